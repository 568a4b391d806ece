"""What a Celery prefork worker needs to hold N jobs waiting on a model: N processes.

Starts a real worker (the peers' venv, bench/peers/.venv, with celery[redis]) on the
machine's Redis at 127.0.0.1:6379 with a sleeping task, measures its processes' memory
while every slot sleeps, and extrapolates per process to larger concurrencies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, log
from harness import wait_for

PEERS_PYTHON = ROOT / "bench/peers/.venv/bin/python"
BROKER = "redis://127.0.0.1:6379/13"
START_TIMEOUT = 90.0
HOLD_SECONDS = 20.0  # each task sleeps this long: every slot is busy while we measure
SETTLE_SECONDS = 5.0
STOP_TIMEOUT = HOLD_SECONDS + 20


def children(pid: int) -> list[int]:
    """The direct children of `pid` (its pool processes)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def memory_kb(pid: int) -> dict[str, int]:
    """Rss and Pss (shared pages divided among their sharers) of `pid`, in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"Rss", "Pss"}:
            found[key.lower()] = int(rest.split()[0])
    return found


def _tree(pid: int) -> dict[str, Any]:
    pool = children(pid)
    each = [memory_kb(child) for child in pool]
    parent = memory_kb(pid)
    return {
        "processes": 1 + len(pool),
        "rss_mb": (parent["rss"] + sum(m["rss"] for m in each)) / 1024,
        "pss_mb": (parent["pss"] + sum(m["pss"] for m in each)) / 1024,
        "parent_pss_mb": parent["pss"] / 1024,
        "child_pss_mb": sum(m["pss"] for m in each) / len(each) / 1024 if each else 0.0,
        "child_rss_mb": sum(m["rss"] for m in each) / len(each) / 1024 if each else 0.0,
    }


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Warm shutdown (SIGTERM waits for the sleeps), then cold (SIGQUIT), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGQUIT, 15), (signal.SIGKILL, 15)):
        if proc.poll() is not None:
            return
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def measure(concurrency: int, extrapolate_to: tuple[int, ...], logs: Path) -> dict[str, Any]:
    """A prefork worker at `concurrency`, every slot sleeping: processes, RSS and PSS; then
    PSS extrapolated (parent + per-child × N) to each of `extrapolate_to`."""
    if not PEERS_PYTHON.exists():
        return {"skipped": f"{PEERS_PYTHON} missing: build it from bench/peers/requirements.txt"}
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BENCH_CELERY_BROKER": BROKER,
        "BENCH_CELERY_QUEUE": f"bench-sleeper-{os.getpid()}",
    }
    worker = [str(PEERS_PYTHON), "-m", "celery", "-A", "bench.celery_sleeper", "worker"]
    options = ["--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "WARNING"]
    quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with (logs / "celery-worker.log").open("ab") as out:
        proc = subprocess.Popen(
            [*worker, *options, *quiet], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for(
            lambda: proc.poll() is None and len(children(proc.pid)) >= concurrency,
            timeout=START_TIMEOUT,
            interval=0.5,
            what=f"a prefork worker with {concurrency} processes",
        )
        idle = _tree(proc.pid)
        enqueue = [str(PEERS_PYTHON), "-m", "bench.celery_sleeper", str(concurrency)]
        subprocess.run([*enqueue, str(HOLD_SECONDS)], cwd=ROOT, env=env, check=True, timeout=60)
        time.sleep(SETTLE_SECONDS)
        busy = _tree(proc.pid)
        log(f"celery prefork x{concurrency}: {busy['pss_mb']:.0f} MB PSS busy")
    finally:
        _stop(proc)
    per_child, parent = busy["child_pss_mb"], busy["parent_pss_mb"]
    return {
        "concurrency": concurrency,
        "idle": idle,
        "busy": busy,
        "extrapolated_pss_mb": {n: parent + per_child * n for n in extrapolate_to},
    }
