"""`python -m bench`: every figure of issue 6, then the table (stdout), JSON and Markdown."""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from bench import engine, http_load, recovery, report, slow_jobs
from bench.common import ROOT, log, machine, median

RESULTS = ROOT / "bench" / "results"
SLOW_LOGS = RESULTS / "peer-defaults"  # its servers log apart from the fast peer test's
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
ENGINE_JOBS = int(os.environ.get("BENCH_ENGINE_JOBS", "5000"))
PG_JOBS = int(os.environ.get("BENCH_PG_JOBS", "5000"))
HTTP_JOBS = int(os.environ.get("BENCH_HTTP_JOBS", "5000"))


def _engine(
    run: Callable[[int], engine.EngineRun], jobs: int
) -> tuple[dict[str, Any], list[engine.EngineRun]]:
    runs = []
    for index in range(RUNS):
        runs.append(run(jobs))
        log(f"engine run {index + 1}/{RUNS}: {runs[-1].jobs_per_second:.0f} jobs/s")
    rates = [r.jobs_per_second for r in runs]
    return {
        "jobs": jobs,
        "runs": rates,
        "median": median(rates),
        "per_job": engine.per_job(runs[0]),
    }, runs


def engine_figures(figures: dict[str, Any]) -> None:
    """SQLite and PostgreSQL throughput, and the physical-limit ratio from the same runs."""
    log(f"engine, SQLite: {RUNS} x {ENGINE_JOBS} jobs")
    figures["engine_sqlite"], runs = _engine(engine.run_sqlite, ENGINE_JOBS)
    commits = [engine.sqlite_commits_per_second() for _ in range(RUNS)]
    per_job = [engine.per_job(r) for r in runs]
    # A job costs what SQLite executes for it: an executemany's statement runs once per row.
    executions = median([p["executions"] for p in per_job])
    limit = median(commits) / executions
    figures["physical_limit"] = {
        "commits_per_s": median(commits),
        "executions_per_job": executions,
        "statements_per_job": median([p["statements"] for p in per_job]),
        "commits_per_job": median([p["commits"] for p in per_job]),
        "limit_jobs_per_s": limit,
        "fraction": figures["engine_sqlite"]["median"] / limit,
    }
    log(f"engine, PostgreSQL: {RUNS} x {PG_JOBS} jobs")
    try:
        figures["engine_postgres"], _ = _engine(engine.run_postgres, PG_JOBS)
    except Exception as error:
        log("engine, PostgreSQL failed:\n" + traceback.format_exc())
        figures["engine_postgres"] = {"error": f"{type(error).__name__}: {error}"[:200]}


def http_figures(figures: dict[str, Any]) -> None:
    """HTTP throughput on a real server, median of RUNS."""
    log(f"HTTP: {RUNS} x {HTTP_JOBS} jobs")
    runs = [http_load.run(HTTP_JOBS, RESULTS) for _ in range(RUNS)]
    rates = [r.jobs_per_second for r in runs]
    figures["http"] = {
        "jobs": HTTP_JOBS,
        "runs": rates,
        "median": median(rates),
        "post_p50_ms": median([r.post_p50_ms for r in runs]),
        "post_p99_ms": median([r.post_p99_ms for r in runs]),
        "errors": sum(r.errors for r in runs),
    }


def _safe(figures: dict[str, Any], name: str, measure: Callable[[], Any]) -> None:
    """Run one measurement; a failure becomes an error figure instead of ending the run."""
    try:
        figures[name] = measure()
    except Exception as error:
        log(f"{name} failed:\n" + traceback.format_exc())
        figures[name] = {"error": f"{type(error).__name__}: {error}"[:200]}


def main() -> None:
    """Run everything, print the table, write the files."""
    started = time.monotonic()
    SLOW_LOGS.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {}
    # Detection at the default intervals takes up to 105 s of two idle servers: it runs
    # beside the other measurements instead of adding to the run.
    slow_peer = threading.Thread(
        target=_safe,
        args=(
            figures,
            "silent_peer_defaults",
            lambda: recovery.silent_peer(SLOW_LOGS, recovery.DEFAULT_TICKS),
        ),
        daemon=True,
    )
    slow_peer.start()
    engine_figures(figures)
    _safe(figures, "http", lambda: http_figures(figures) or figures["http"])
    log("statements per tick, in-process")
    _safe(figures, "tick_statements", slow_jobs.tick_statements)
    log("1,000 slow jobs in a real server")
    _safe(figures, "slow_jobs", lambda: slow_jobs.server_figures(RESULTS))
    log("recovery and startup")
    _safe(figures, "restart", lambda: recovery.restart(RESULTS))
    _safe(figures, "silent_peer", lambda: recovery.silent_peer(RESULTS))
    _safe(figures, "startup", lambda: recovery.startup(RESULTS))
    slow_peer.join(timeout=180)
    figures["total_seconds"] = time.monotonic() - started
    notes = [
        f"{RUNS} runs per throughput figure, median shown; engine {ENGINE_JOBS} jobs (SQLite), "
        f"{PG_JOBS} (PostgreSQL), HTTP {HTTP_JOBS} jobs (BENCH_*_JOBS override).",
        f"Engine runs submit through `Programs.submit` from {engine.SUBMITTERS} concurrent "
        "callers, as that many HTTP connections would; HTTP runs use "
        f"{http_load.CONNECTIONS} keep-alive connections.",
        "HTTP jobs are the smallest program (1 week, 1 day: 2 steps) from the template "
        "generator; the engine figures use a one-step handler that returns at once.",
        "Polling latency counts from each request's scheduled send time (open loop), so a "
        "saturated server shows its queueing delay.",
        f"Whole run: {figures['total_seconds']:.0f} s.",
    ]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = report.write(figures, machine(), when, notes, RESULTS, ROOT / "bench" / "LATEST.md")
    print(text)


if __name__ == "__main__":
    main()
