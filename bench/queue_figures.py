"""The figures people ask of a queue: queue wait under a steady load, CPU per job, and how
throughput and memory grow with the jobs table.

`python -m bench.queue_figures [--sizes 10000,100000,1000000] [--databases sqlite]` (or
`./scripts/bench.sh --queue`). Every server is a real process (the harness) with the
template generator (a job is a 1-week, 1-day program: 2 steps, no model),
JOB_CONCURRENCY=8 and retention off; jobs are submitted over HTTP. Queue wait is
claimed - created, read from the job rows and events afterwards.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import job_rows, table_fill
from bench.common import (
    REQUEST,
    ROOT,
    UNFINISHED,
    load_average,
    log,
    machine,
    median,
    percentile,
    server,
)
from bench.loadgen import Tally, closed_loop, open_loop, run
from bench.slow_jobs import cpu_seconds, rss_mb
from db.database import make_engine
from harness import wait_for
from harness.postgres import ensure_running, throwaway

SETTINGS = {"JOB_CONCURRENCY": "8", "JOB_RETENTION_DAYS": "36500"}
CAPACITY_JOBS = 3000
CAPACITY_RUNS = 3  # capacity is their median: one burst on a shared machine misleads
STEADY_SECONDS = 20.0
LOADS = (0.5, 0.9)  # offered load, as a fraction of the measured capacity
BATCH = 2000  # new jobs measured on each filled table
BATCH_RUNS = 3  # batches per table, each on a fresh server; figures are their medians
SIZES = (10_000, 100_000, 1_000_000)
FILL_BUDGET = 240.0  # seconds one fill may take; a larger table stops where it got to
DRAIN_TIMEOUT = 180.0
SUBMIT_CONNECTIONS = 16
SEED = 17


def poisson_arrivals(rate: float, seconds: float, seed: int) -> list[float]:
    """Arrival times (s from the start) of a Poisson process at `rate`/s within `seconds`:
    exponential gaps, seeded, bounded in count (never more than 3× the expected number)."""
    rng, at, arrivals = random.Random(seed), 0.0, []
    for _ in range(int(3 * rate * seconds) + 10):
        at += rng.expovariate(rate)
        if at >= seconds:
            break
        arrivals.append(at)
    return arrivals


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file in `tmp`, or a throw-away PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'queue.db'}"
        return
    if not ensure_running():
        raise RuntimeError("PostgreSQL does not answer on 127.0.0.1:5432")
    with throwaway("progen_queue") as url:
        yield url


def drained(db_url: str) -> None:
    """Wait (bounded) until no job is pending or running."""
    engine = make_engine(db_url)
    try:

        def idle() -> bool:
            with engine.connect() as conn:
                return not conn.execute(sa.text(UNFINISHED)).scalar()

        wait_for(idle, timeout=DRAIN_TIMEOUT, interval=0.05, what="every job finished")
    finally:
        engine.dispose()


Save = Callable[[], None]
Submit = Callable[[int], Coroutine[Any, Any, Tally]]  # the server's port -> the submitting run


def burst(jobs: int) -> Submit:
    """`jobs` POSTs as fast as SUBMIT_CONNECTIONS keep-alive connections go."""
    return lambda port: closed_loop(
        port,
        "POST",
        "/api/programs/generate",
        connections=SUBMIT_CONNECTIONS,
        total=jobs,
        body=REQUEST,
    )


def poisson(rate: float) -> Submit:
    """POSTs at Poisson arrivals of `rate`/s for STEADY_SECONDS, open loop."""
    due = poisson_arrivals(rate, STEADY_SECONDS, SEED)
    return lambda port: open_loop(
        port, "/api/programs/generate", rate=rate, seconds=STEADY_SECONDS, body=REQUEST, due=due
    )


def batch(db_url: str, logs: Path, submit: Submit) -> dict[str, Any]:
    """A fresh server on `db_url`: `submit`, then drained. Returns the rows' figures, the
    server's CPU per job (submit and run) and its memory."""
    with server(db_url, logs / "queue-server.log", **SETTINGS) as proc:
        startup = time.monotonic() - proc.spawned_at
        since, cpu0 = datetime.now(UTC), cpu_seconds(proc.pid)
        tally = run(submit(proc.port))
        drained(db_url)
        cpu = cpu_seconds(proc.pid) - cpu0
        memory = rss_mb(proc.pid)
    rows = job_rows.summary(job_rows.read(db_url, since))
    done = rows.get("completed", 0)
    return {
        "startup_s": startup,
        "submitted": tally.statuses.get(202, 0),
        "post_p99_ms": percentile(tally.latencies, 99) * 1000,
        **rows,
        "jobs_per_s": done / rows["makespan_s"] if done else 0.0,
        "cpu_ms_per_job": 1000 * cpu / max(done, 1),
        **memory,
    }


def steady(logs: Path) -> dict[str, Any]:
    """Capacity (the median of CAPACITY_RUNS bursts of CAPACITY_JOBS), then Poisson loads
    at each of LOADS of it."""
    figures: dict[str, Any] = {"load_before": load_average(), "capacity_runs": []}
    for _ in range(CAPACITY_RUNS):
        with (
            tempfile.TemporaryDirectory(prefix="progen-queue-") as tmp,
            database("sqlite", Path(tmp)) as url,
        ):
            figures["capacity_runs"].append(batch(url, logs, burst(CAPACITY_JOBS)))
    capacity = median([one["jobs_per_s"] for one in figures["capacity_runs"]])
    figures["capacity"] = capacity
    log(f"queue: capacity {capacity:.0f} jobs/s")
    for load in LOADS:
        with tempfile.TemporaryDirectory(prefix="progen-queue-") as tmp:
            with database("sqlite", Path(tmp)) as url:
                run_figures = batch(url, logs, poisson(load * capacity))
        figures[f"load_{load:.0%}"] = {"offered_per_s": load * capacity, **run_figures}
        log(f"queue: {load:.0%} load, wait p99 {run_figures.get('wait_p99_s', 0) * 1000:.0f} ms")
    return figures


def growth(
    kind: str, sizes: tuple[int, ...], logs: Path, results: list[dict[str, Any]], save: Save
) -> None:
    """For each size: a fresh database filled with that many finished jobs, then BATCH_RUNS
    batches of BATCH new jobs, each on a fresh server (an empty table first, as the
    baseline). Each figure is the median of the batches; each size is appended to
    `results` and saved as soon as it is measured."""
    for size in (0, *sizes):
        with (
            tempfile.TemporaryDirectory(prefix="progen-queue-") as tmp,
            database(kind, Path(tmp)) as url,
        ):
            filled = table_fill.fill(url, size, FILL_BUDGET)
            log(f"queue: {kind} filled {filled['rows']} rows in {filled['fill_s']:.0f} s")
            figures = {"kind": kind, "asked": size, "load_before": load_average(), **filled}
            runs = [batch(url, logs, burst(BATCH)) for _ in range(BATCH_RUNS)]
        for key in ("startup_s", "jobs_per_s", "cpu_ms_per_job", "peak_rss_mb", "post_p99_ms"):
            figures[key] = median([one[key] for one in runs])
        figures["jobs_per_s_runs"] = [one["jobs_per_s"] for one in runs]
        log(f"queue: {kind} {filled['rows']} rows: {figures['jobs_per_s']:.0f} jobs/s")
        results.append(figures)
        save()


def main() -> dict[str, Any]:
    """Every figure; bench/results/queue_figures.json is rewritten after each part and each
    size, so a failure (e.g. PostgreSQL restarted under us) keeps what was measured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--databases", default="sqlite,postgresql", help="for the growth")
    parser.add_argument("--no-steady", action="store_true")
    args = parser.parse_args()
    sizes = tuple(int(size) for size in args.sizes.split(",") if size)
    logs = ROOT / "bench/results"
    logs.mkdir(parents=True, exist_ok=True)
    out = logs / "queue_figures.json"
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": SETTINGS,
        "growth": [],
    }

    def save() -> None:
        result["load_after"] = load_average()
        out.write_text(json.dumps(result, indent=1, default=str))

    if not args.no_steady:
        result["steady"] = steady(logs)
        save()
    for kind in args.databases.split(","):
        growth(kind, sizes, logs, result["growth"], save)
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=1, default=str))
