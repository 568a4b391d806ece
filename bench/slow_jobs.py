"""Many slow jobs at once: memory, idle CPU, polling latency, and statements per tick."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    REQUEST,
    StatementCounter,
    in_process,
    log,
    median,
    percentile,
    server,
    sqlite_count,
)
from bench.loadgen import Tally, closed_loop, open_loop, run, timed_loop
from db.database import make_engine
from harness import wait_for
from jobs.steps import JSON, StepResult
from programs.schemas import ProgramRequest

IN_FLIGHT = 1000
SLOW = {**REQUEST, "weeks": 8}  # 9 steps of 30 s: in flight for the whole measurement
POLL_RATE, POLL_SECONDS = 500, 20
PROBE_ROUNDS, PROBE_SECONDS = 3, 3  # routes probed in turn, median per route: noise hits all alike


def rss_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of `pid`, in MB."""
    found: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                found[key] = int(value.split()[0]) / 1024
    return {"rss_mb": found["VmRSS"], "peak_rss_mb": found["VmHWM"]}


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid`, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_percent(pid: int, seconds: float = 10) -> float:
    """CPU % of one core that `pid` used over `seconds`."""
    before, started = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - before) / (time.monotonic() - started)


def _latency(tally: Tally) -> dict[str, float]:
    ok = sum(n for status, n in tally.statuses.items() if status < 400)
    return {
        "p50_ms": percentile(tally.latencies, 50) * 1000,
        "p99_ms": percentile(tally.latencies, 99) * 1000,
        "max_ms": max(tally.latencies) * 1000,
        "rate": len(tally.latencies) / tally.seconds,
        "errors": len(tally.latencies) - ok,
        "send_late_p99_ms": percentile(tally.late, 99) * 1000,  # see loadgen.open_loop
    }


def server_figures(logs: Path) -> dict[str, Any]:
    """1,000 slow jobs in a real server (the bench app: the service plus /bare)."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp:
        db = Path(tmp) / "slow.db"
        with server(
            f"sqlite:///{db}",
            logs / "slow-server.log",
            app="bench.bare_app:app",
            JOB_CONCURRENCY=str(IN_FLIGHT),
            GENERATION_STEP_DELAY_SECONDS="30",
        ) as proc:
            figures["idle_rss_mb"] = rss_mb(proc.pid)["rss_mb"]
            posted = run(
                closed_loop(
                    proc.port,
                    "POST",
                    "/api/programs/generate",
                    connections=8,
                    total=IN_FLIGHT,
                    body=SLOW,
                    keep_ids=True,
                )
            )
            wait_for(
                lambda: sqlite_count(db, "in_progress") >= IN_FLIGHT,
                timeout=60,
                interval=0.1,
                what=f"{IN_FLIGHT} jobs in progress",
            )
            log(f"slow jobs: {IN_FLIGHT} in flight; measuring CPU for 10 s")
            figures["cpu_percent"] = cpu_percent(proc.pid)
            figures.update(rss_mb(proc.pid))
            paths = {
                "job": [f"/api/programs/jobs/{job_id}" for job_id in posted.ids],
                "health": "/api/health",
                "bare": "/bare",
            }
            rates: dict[str, list[float]] = {name: [] for name in paths}
            for _ in range(PROBE_ROUNDS):
                for name, path in paths.items():
                    probe = run(timed_loop(proc.port, path, connections=8, seconds=PROBE_SECONDS))
                    rates[name].append(len(probe.latencies) / probe.seconds)
            for name, runs in rates.items():
                figures[f"{name}_max_rps"] = median(runs)
                figures[f"{name}_max_rps_runs"] = runs
            for name, path in paths.items():
                log(f"slow jobs: polling {name} at {POLL_RATE}/s for {POLL_SECONDS} s")
                figures[name] = _latency(
                    run(open_loop(proc.port, path, rate=POLL_RATE, seconds=POLL_SECONDS))
                )
            figures["in_progress_after"] = sqlite_count(db, "in_progress")
            figures.update({f"end_{k}": v for k, v in rss_mb(proc.pid).items()})
    return figures


class Forever:
    """A StepHandler whose step waits an hour: jobs stay in flight."""

    def total_steps(self, payload: JSON) -> int:
        """One step."""
        return 1

    async def run_step(self, payload: JSON, index: int, done: list[JSON]) -> StepResult:
        """Wait (the runner cancels it at shutdown)."""
        await asyncio.sleep(3600)
        return StepResult({}, "done")

    def result(self, payload: JSON, done: list[JSON]) -> JSON:
        """Nothing."""
        return {}


async def _tick_statements(in_flight: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp:
        engine = make_engine(f"sqlite:///{tmp}/ticks.db")
        setup = await in_process(engine, Forever(), concurrency=in_flight, timeout=7200)
        runner, ticks, service = setup.engine.runner, setup.engine.ticks, setup.service
        request = ProgramRequest.model_validate(REQUEST)
        await asyncio.gather(*(service.submit(request, None) for _ in range(in_flight)))
        deadline = time.monotonic() + 60
        while len(runner.leases()) < in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        counter = StatementCounter()
        counter.attach(engine)
        started = time.perf_counter()
        await ticks.heartbeat()
        heartbeat_ms = (time.perf_counter() - started) * 1000
        heartbeat = counter.data_statements
        counter.reset()
        await ticks.monitor()
        monitor = counter.data_statements
        await setup.engine.stop(0)
        engine.dispose()
    return {
        "in_flight": in_flight,
        "heartbeat_statements": heartbeat,
        "heartbeat_ms": heartbeat_ms,
        "monitor_statements": monitor,
    }


def tick_statements(sizes: tuple[int, ...] = (10, 100, 1000)) -> list[dict[str, float]]:
    """Statements one heartbeat tick and one monitor tick send, by jobs in flight."""
    return [asyncio.run(_tick_statements(size)) for size in sizes]


if __name__ == "__main__":
    from bench.common import ROOT

    print(tick_statements())
    print(server_figures(ROOT / "bench/results"))
