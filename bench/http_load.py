"""HTTP throughput: POST /api/programs/generate on a real server until N jobs completed."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import REQUEST, log, percentile, server, sqlite_count, sqlite_unfinished
from bench.loadgen import closed_loop
from harness import wait_for

CONNECTIONS = 16


@dataclass
class HttpRun:
    """One HTTP run's figures."""

    jobs: int
    seconds: float  # first POST to last completion
    post_seconds: float  # first POST to last answer
    post_p50_ms: float
    post_p99_ms: float
    errors: int

    @property
    def jobs_per_second(self) -> float:
        """Completed jobs per second."""
        return self.jobs / self.seconds


def run(jobs: int, logs: Path) -> HttpRun:
    """One run on a fresh server and SQLite file."""
    with tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp:
        db = Path(tmp) / "http.db"
        with server(f"sqlite:///{db}", logs / "http-server.log", JOB_CONCURRENCY="8") as proc:
            started = time.perf_counter()
            tally = asyncio.run(
                closed_loop(
                    proc.port,
                    "POST",
                    "/api/programs/generate",
                    connections=CONNECTIONS,
                    total=jobs,
                    body=REQUEST,
                )
            )
            posted = time.perf_counter() - started
            accepted = tally.statuses.get(202, 0)
            wait_for(
                lambda: not sqlite_unfinished(db),
                timeout=120,
                interval=0.01,
                what=f"{accepted} jobs completed",
            )
            seconds = time.perf_counter() - started
            if (done := sqlite_count(db, "completed")) != accepted:
                raise RuntimeError(f"{done} of {accepted} jobs completed")
    latencies = tally.latencies
    result = HttpRun(
        accepted,
        seconds,
        posted,
        percentile(latencies, 50) * 1000,
        percentile(latencies, 99) * 1000,
        jobs - accepted,
    )
    log(f"http: {result.jobs_per_second:.0f} jobs/s, POST p50 {result.post_p50_ms:.1f} ms")
    return result


if __name__ == "__main__":
    from bench.common import ROOT

    out = ROOT / "bench/results"
    out.mkdir(parents=True, exist_ok=True)
    print(run(2000, out))
