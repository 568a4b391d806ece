"""An LLM-shaped load: 1,000 programs at once through the OpenAI generator and a slow model.

`python -m bench.llm_load` (or `./scripts/bench.sh --llm`). The model is the fake server
(scripts/fake_openai_server.py --load) in its own process on 127.0.0.1: each answer
takes a seeded log-normal 1-8 s, with a few 429s and timeouts. A job is a 1-week,
2-day program: 2 model calls (the plan, then the week) plus the SDK's retries. One
progen process (bench/lag_app.py: the service plus two no-op routes) runs them at each
JOB_CONCURRENCY in turn, on a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import job_rows, prefork_memory
from bench.common import (
    REQUEST,
    ROOT,
    load_average,
    log,
    machine,
    percentile,
    server,
    sqlite_unfinished,
)
from bench.loadgen import Tally, closed_loop, open_loop, run
from bench.slow_jobs import cpu_seconds, rss_mb
from harness import free_port, wait_for

PROGRAMS = 1000
CONCURRENCIES = (100, 250, 1000)
JOB = {**REQUEST, "weeks": 1, "days_per_week": 2}  # a plan and one week: 2 model calls
MODEL = {  # scripts/fake_openai_server.py --load
    "median_seconds": 2.5,
    "sigma": 0.6,
    "min_seconds": 1.0,
    "max_seconds": 8.0,
    "http429": 0.03,
    "timeout": 0.02,
    "hang_seconds": 30.0,
    "seed": 17,
}
OPENAI_TIMEOUT = 10.0  # the client gives up on a hanging answer after this (and retries)
RUN_LIMIT = 240.0  # seconds one concurrency may take before it is abandoned
PROBE_RATE, PROBE_CHUNK = 20, 5.0  # per probed route, requests/s; seconds per probe round
SUBMIT_CONNECTIONS = 16
PROBES = {  # figure -> route: health as monitors see it, the loop's lag, a thread's wait
    "health": "/api/health",
    "loop_lag": "/bare-async",
    "thread_wait": "/bare",
}


@contextmanager
def fake_model(logs: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The fake OpenAI server with MODEL's latency, in its own process; stopped by its pid."""
    port = free_port()
    command = [str(ROOT / ".venv/bin/python"), str(ROOT / "scripts/fake_openai_server.py")]
    options = ["--port", str(port), "--load", json.dumps(MODEL), "--quiet"]
    with (logs / "llm-fake-openai.log").open("ab") as out:
        proc = subprocess.Popen([*command, *options], cwd=ROOT, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), timeout=30, interval=0.1, what="the fake OpenAI server")
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_control/scenario", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def model_calls(url: str) -> dict[str, float]:
    """What the model was asked: calls, faults, and the mean seconds a call held the client
    (a hanging answer counts until the client's timeout)."""
    requests = httpx.get(f"{url}/_control/requests", timeout=60).json()["requests"]
    held = [min(entry["delay_seconds"], OPENAI_TIMEOUT) for entry in requests]
    return {
        "calls": len(requests),
        "http429": sum(entry["mode"] == "http429" for entry in requests),
        "timeouts": sum(entry["mode"] == "timeout" for entry in requests),
        "mean_call_s": statistics.fmean(held),
    }


async def _probe(port: int, seconds: float) -> tuple[Tally, ...]:
    """PROBES at PROBE_RATE each, open loop, for `seconds` (see bench/lag_app.py)."""
    return tuple(
        await asyncio.gather(
            *(
                open_loop(port, path, rate=PROBE_RATE, seconds=seconds, connections=4)
                for path in PROBES.values()
            )
        )
    )


async def _submit_and_probe(port: int, db: Path, started: float) -> tuple[Tally, dict[str, Tally]]:
    """Submit PROGRAMS at once and probe PROBES in rounds of PROBE_CHUNK meanwhile, until the
    submit is answered and every job finished (or RUN_LIMIT)."""
    submit = asyncio.create_task(
        closed_loop(
            port,
            "POST",
            "/api/programs/generate",
            connections=SUBMIT_CONNECTIONS,
            total=PROGRAMS,
            body=JOB,
        )
    )
    probes = {name: Tally() for name in PROBES}
    for _ in range(int(RUN_LIMIT / PROBE_CHUNK) + 1):
        if time.time() - started > RUN_LIMIT or (submit.done() and not sqlite_unfinished(db)):
            break
        for whole, part in zip(probes.values(), await _probe(port, PROBE_CHUNK), strict=True):
            whole.latencies += part.latencies
            for status, count in part.statuses.items():
                whole.statuses[status] = whole.statuses.get(status, 0) + count
    return await submit, probes


def _p99_ms(tally: Tally) -> float | None:
    return percentile(tally.latencies, 99) * 1000 if tally.latencies else None


def one_concurrency(concurrency: int, logs: Path) -> dict[str, Any]:
    """PROGRAMS submitted at once to a fresh server at `concurrency`, probed until done."""
    with tempfile.TemporaryDirectory(prefix="progen-llm-") as tmp, fake_model(logs) as model:
        url, fake = model
        db = Path(tmp) / "llm.db"
        with server(
            f"sqlite:///{db}",
            logs / "llm-server.log",
            app="bench.lag_app:app",
            GENERATOR="openai",
            OPENAI_API_KEY="sk-bench-dummy",
            OPENAI_BASE_URL=f"{url}/v1",
            OPENAI_TIMEOUT_SECONDS=str(OPENAI_TIMEOUT),
            JOB_CONCURRENCY=str(concurrency),
        ) as proc:
            idle_rss = rss_mb(proc.pid)["rss_mb"]
            since = datetime.now(UTC)
            cpu0, fake_cpu0, started = cpu_seconds(proc.pid), cpu_seconds(fake.pid), time.time()
            submit, probes = run(_submit_and_probe(proc.port, db, started))
            wall = time.time() - started
            cpu, fake_cpu = cpu_seconds(proc.pid) - cpu0, cpu_seconds(fake.pid) - fake_cpu0
            memory = rss_mb(proc.pid)
        rows = job_rows.summary(job_rows.read(f"sqlite:///{db}", since))
        calls = model_calls(url)
    done = rows.get("completed", 0)
    calls_per_job = calls["calls"] / max(done, 1)
    ideal = concurrency * 60 / (calls_per_job * calls["mean_call_s"])
    per_minute = done * 60 / rows["makespan_s"] if done else 0.0
    figures = {
        "concurrency": concurrency,
        "submitted": submit.statuses.get(202, 0),
        "submit_s": submit.seconds,
        "submit_p99_ms": _p99_ms(submit),
        **rows,
        **calls,
        "calls_per_job": calls_per_job,
        "programs_per_min": per_minute,
        "ideal_per_min": ideal,
        "of_ideal": per_minute / ideal,
        "idle_rss_mb": idle_rss,
        "peak_rss_mb": memory["peak_rss_mb"],
        "cpu_percent": 100 * cpu / wall,
        "cpu_ms_per_program": 1000 * cpu / max(done, 1),
        "fake_cpu_percent": 100 * fake_cpu / wall,
        **{f"{name}_p99_ms": _p99_ms(tally) for name, tally in probes.items()},
        "probe_errors": sum(
            n for tally in probes.values() for status, n in tally.statuses.items() if status != 200
        ),
        "probes": sum(len(tally.latencies) for tally in probes.values()),
    }
    log(
        f"llm c={concurrency}: {done}/{PROGRAMS} in {rows.get('makespan_s', 0):.0f} s, "
        f"{per_minute:.0f}/min = {figures['of_ideal']:.0%} of ideal {ideal:.0f}/min"
    )
    return figures


def main() -> dict[str, Any]:
    """Every concurrency, then the prefork worker; writes bench/results/llm_load.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", default=",".join(map(str, CONCURRENCIES)))
    parser.add_argument("--no-celery", action="store_true", help="skip the prefork worker")
    args = parser.parse_args()
    concurrencies = tuple(int(n) for n in args.concurrency.split(","))
    logs = ROOT / "bench/results"
    logs.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "model": MODEL,
        "openai_timeout_s": OPENAI_TIMEOUT,
        "programs": PROGRAMS,
        "runs": [],
    }
    for concurrency in concurrencies:
        result["runs"].append({"load_before": load_average(), **one_concurrency(concurrency, logs)})
    if not args.no_celery:
        result["celery_prefork"] = prefork_memory.measure(100, concurrencies, logs)
    result["load_after"] = load_average()
    (logs / "llm_load.json").write_text(json.dumps(result, indent=1, default=str))
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=1, default=str))
