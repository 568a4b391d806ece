"""What the measurement needs from each queue: a client, a worker command and its counts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("PEERS_REDIS_URL", "redis://127.0.0.1:6379")
PG_URL = os.environ.get("PEERS_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
CONCURRENCY = int(os.environ.get("PEERS_CONCURRENCY", "8"))
QUEUE = "peers"
#: The crash scenario (`bench.peers.crash`): each library's defaults, or its best documented
#: settings for getting a dead worker's job run again; how long its one long job runs; where
#: the job records each start.
BEST = os.environ.get("PEERS_CONFIG") == "best"
LONG_SECONDS = float(os.environ.get("PEERS_LONG_SECONDS", "30"))
MARKS_ENV = "PEERS_MARKS"


def mark_start() -> None:
    """A long job's first act: note the time it (re)started, for the crash scenario."""
    _mark(os.environ[MARKS_ENV])


def mark_end() -> None:
    """A long job's last act: note that it ran to its end."""
    _mark(os.environ[MARKS_ENV] + ".end")


def _mark(path: str) -> None:
    with open(path, "a") as marks:
        marks.write(f"{time.time()}\n")


def _marks(path: str) -> list[float]:
    try:
        return [float(line) for line in Path(path).read_text().split()]
    except FileNotFoundError:
        return []


class Peer:
    """One queue library on one backend.

    `enqueue` submits jobs one at a time from this client process, as an application
    would; `counts` reads the library's own bookkeeping: (waiting, unfinished), where
    unfinished is waiting plus running.
    """

    name: str
    backend: str  # "redis" or "postgresql"
    job: str  # what one job is for this library, in words
    best: str  # its best documented settings for recovering a dead worker's job, in words

    async def open(self) -> None:
        """Connect the client (after `reset`)."""

    async def reset(self) -> None:
        """An empty queue: no jobs, no results, no workers' leftovers."""
        raise NotImplementedError

    async def submit(self) -> None:
        """Submit one no-op job and return once the library confirmed it."""
        raise NotImplementedError

    async def enqueue(self, count: int) -> None:
        """Submit `count` no-op jobs, one at a time, each confirmed before the next."""
        for _ in range(count):
            await self.submit()

    async def counts(self) -> tuple[int, int]:
        """(waiting, unfinished) jobs, from the library's own state."""
        raise NotImplementedError

    def worker(self) -> list[str]:
        """The worker's command line (run with the peers' venv, from the repository root)."""
        raise NotImplementedError

    async def enqueue_long(self) -> None:
        """Submit one job that runs LONG_SECONDS, calling `mark_start` first and `mark_end` last."""
        raise NotImplementedError

    def starts(self) -> list[float]:
        """When the long job started, each time it did (epoch seconds)."""
        return _marks(os.environ[MARKS_ENV])

    def ends(self) -> int:
        """How often the long job ran to its end."""
        return len(_marks(os.environ[MARKS_ENV] + ".end"))

    async def close(self) -> None:
        """Close the client."""


def module_cli(module: str, *args: str) -> list[str]:
    """`python -m module args` with this venv's interpreter."""
    return [sys.executable, "-m", module, *args]


def fresh_postgres_database(name: str) -> str:
    """Drop and create database `name` on the local server; its URL."""
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(
            ["psql", PG_URL + "/postgres", "-qc", sql], check=True, capture_output=True, timeout=60
        )
    return f"{PG_URL}/{name}"
