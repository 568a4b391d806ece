"""One PROMETHEUS_MULTIPROC_DIR per server life, so /metrics adds up under `--workers N`.

Every process of one server (the workers of `--workers N`, the worker of
`--reload`, or the lone process) writes its values into the same folder,
named after the server's main process and its start (in clock ticks since
boot, which no clock adjustment moves): a new server never
reads an old one's counts, even with a reused pid. Folders of servers that
are gone are removed when the next one starts (the main process of
`--workers` runs none of our code, so nothing can remove them at its exit).

`prepare()` must run before anything imports prometheus_client, which reads
the variable once, at import.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

from jobs.instances import process_start_ticks

ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "progen-metrics-"


def prepare() -> Path:
    """Create (or join) this server's folder and export it; an operator's own wins."""
    if given := os.environ.get(ENV):
        return Path(given)
    base = Path(tempfile.gettempdir())
    _remove_stale(base)
    parent = multiprocessing.parent_process()  # uvicorn's supervisor or reloader, if any
    folder = base / _name(parent.pid if parent and parent.pid else os.getpid())
    folder.mkdir(mode=0o700, exist_ok=True)
    os.environ[ENV] = str(folder)
    return folder


def is_server_process() -> bool:
    """True in a lone server process (no supervisor): its exit ends the server."""
    return multiprocessing.parent_process() is None


def remove(folder: Path) -> None:
    """Remove a server's folder (at the exit of a lone server process)."""
    if folder.name.startswith(PREFIX):
        shutil.rmtree(folder, ignore_errors=True)


def _name(pid: int) -> str:
    return f"{PREFIX}{pid}-{process_start_ticks(pid) or 0}"


def _remove_stale(base: Path) -> None:
    for folder in base.glob(f"{PREFIX}*"):
        try:
            pid = int(folder.name.removeprefix(PREFIX).split("-")[0])
        except ValueError:
            continue
        if folder.name != _name(pid):  # that server is gone (or its pid now names another)
            shutil.rmtree(folder, ignore_errors=True)
