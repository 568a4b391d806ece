"""The job stream (issue 15): transition → event latency, 1,000 open streams on one
process (RSS, CPU while idle, /api/health latency), and the database statements the
open streams cost (flat in their number, or not).

    .venv/bin/python -m bench.streams [--postgres] [--streams 10,100,1000] [--window 10]

Both parts run a real server (`bench.stream_app`: the service plus a statement
counter, see there) with the service's default intervals, on a fresh SQLite file or,
with `--postgres`, a throw-away PostgreSQL database.

Latency: 16 jobs of 17 steps run at once (0.05 s a step) while a stream follows
each; every event after the first is a transition, and its latency is the time it
reached the client (this process) minus the job's `updated_at` (stamped in the
transition's transaction, on this host's clock).

Open streams: the server holds one job on a step for an hour (JOB_CONCURRENCY=1) and
the rest pending, so nothing changes; a child process opens N streams on N jobs (raw
keep-alive sockets, reading every byte), and once each has its first event this
process measures for `--window` seconds with nothing else asked (the server's CPU
from /proc, its statements from the counter, its RSS), then for as long again asking
/api/health 20 times a second. N = 0 is the baseline the others are compared with.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import Server, data_count, log, percentile, server
from bench.health_under_polls import health_latencies
from harness.postgres import throwaway
from harness.sse import amessages

APP = "bench.stream_app:app"
REQUEST = {"goal": "strength", "experience": "beginner", "days_per_week": 1, "weeks": 16}
LATENCY_JOBS = 16
STEP_SECONDS = "0.05"
OPEN_TIMEOUT = 180.0  # every stream has its first event by then, or the run fails
CONNECTING_AT_ONCE = 50


# ---- latency ----------------------------------------------------------------


async def _follow(client: httpx.AsyncClient, job_id: str, latencies: list[float]) -> None:
    async with client.stream("GET", f"/api/programs/jobs/{job_id}/stream") as answer:
        first = True
        async for message in amessages(answer.aiter_lines()):
            if message.event != "job":
                continue
            arrived = time.time()
            if not first:  # the first event is the job as it was, not a transition
                stamped = datetime.fromisoformat(message.job()["updated_at"]).timestamp()
                latencies.append((arrived - stamped) * 1000)
            first = False


async def _latencies(url: str) -> list[float]:
    latencies: list[float] = []
    timeout = httpx.Timeout(10, read=60)
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as client:
        ids = []
        for _ in range(LATENCY_JOBS):
            answer = await client.post("/api/programs/generate", json=REQUEST)
            ids.append(answer.json()["id"])
        await asyncio.gather(*(_follow(client, job_id, latencies) for job_id in ids))
    return latencies


def latency(db_url: str, tmp: Path) -> list[float]:
    """Transition → event at the client, in ms, for every transition of LATENCY_JOBS."""
    env = {"GENERATION_STEP_DELAY_SECONDS": STEP_SECONDS, "JOB_CONCURRENCY": str(LATENCY_JOBS)}
    with server(db_url, tmp / "latency.log", app=APP, **env) as srv:
        return asyncio.run(_latencies(srv.url))


# ---- open streams -----------------------------------------------------------


async def _hold(port: int, path: str, gate: asyncio.Semaphore, ready: list[int], stop: Any) -> int:
    """One stream: opened (a few at a time) up to its first event, then read until `stop`;
    the bytes it brought."""
    async with gate:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head[:200].decode(errors="replace"))
        seen = len(await reader.readuntil(b"event: job"))
    ready[0] += 1
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                seen += len(await asyncio.wait_for(reader.read(65536), 0.5))
    finally:
        writer.close()
    return seen


def hold_streams(port: int, paths: list[str], stop: Any, out: Any) -> None:
    """Open a stream on each path; say how many opened once all have their first event
    (or OPEN_TIMEOUT passed); read until `stop` is set; then report the bytes read."""

    async def run() -> int:
        ready = [0]
        gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
        holders = asyncio.gather(*(_hold(port, path, gate, ready, stop) for path in paths))
        deadline = time.monotonic() + OPEN_TIMEOUT
        while ready[0] < len(paths) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        out.put(ready[0])
        return sum(await asyncio.wait_for(holders, timeout=OPEN_TIMEOUT))

    out.put(asyncio.run(run()))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _statements(client: httpx.Client) -> dict[str, int]:
    return dict(client.get("/bench/statements").json())


@contextlib.contextmanager
def _streams(srv: Server, paths: list[str]) -> Iterator[None]:
    """`paths` held open by a child process for as long as the block runs."""
    queue: Any = multiprocessing.Queue()
    stop = multiprocessing.Event()
    child = multiprocessing.Process(target=hold_streams, args=(srv.port, paths, stop, queue))
    child.start()
    try:
        ready = queue.get(timeout=OPEN_TIMEOUT + 30)
        if ready < len(paths):
            raise RuntimeError(f"only {ready} of {len(paths)} streams opened")
        yield
    finally:
        stop.set()
        child.join(timeout=OPEN_TIMEOUT)
        if child.is_alive():
            child.terminate()  # ours, by its handle
            child.join(timeout=10)


def open_streams(db_url: str, tmp: Path, counts: list[int], window: float) -> list[dict[str, Any]]:
    """One row per N in [0, *counts]: statements/s, CPU %, RSS, health p50/p99."""
    env = {
        "GENERATION_STEP_DELAY_SECONDS": "3600",
        "JOB_CONCURRENCY": "1",
        "SHUTDOWN_GRACE_SECONDS": "1",
    }
    rows = []
    with server(db_url, tmp / "streams.log", app=APP, **env) as srv:
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            ids = [
                client.post("/api/programs/generate", json=REQUEST).json()["id"]
                for _ in range(max(counts))
            ]
            for n in [0, *counts]:
                paths = [f"/api/programs/jobs/{job_id}/stream" for job_id in ids[:n]]
                log(f"{n} open streams")
                with _streams(srv, paths):
                    time.sleep(2)  # the opening settles
                    before, cpu, began = (
                        _statements(client),
                        _cpu_seconds(srv.pid),
                        time.monotonic(),
                    )
                    time.sleep(window)
                    after, elapsed = _statements(client), time.monotonic() - began
                    cpu = (_cpu_seconds(srv.pid) - cpu) / elapsed
                    rss = _rss_mb(srv.pid)
                    health = health_latencies(srv.url, window)
                sent = {k: after.get(k, 0) - before.get(k, 0) for k in after}
                rows.append(
                    {
                        "streams": n,
                        "statements_per_s": data_count(sent) / elapsed,
                        "cpu_percent": cpu * 100,
                        "rss_mb": rss,
                        "health_p50_ms": percentile(health, 50),
                        "health_p99_ms": percentile(health, 99),
                    }
                )
    return rows


def _report(label: str, lat: list[float], rows: list[dict[str, Any]]) -> None:
    print(f"\n{label}")
    print(
        f"transition → event at the client: p50 {percentile(lat, 50):.1f} ms, "
        f"p99 {percentile(lat, 99):.1f} ms, max {max(lat):.1f} ms ({len(lat)} transitions)"
    )
    print("| open streams | statements/s | server CPU | server RSS | /api/health p50 / p99 |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['streams']} | {row['statements_per_s']:.1f} | {row['cpu_percent']:.1f} % "
            f"| {row['rss_mb']:.0f} MB | {row['health_p50_ms']:.1f} / "
            f"{row['health_p99_ms']:.1f} ms |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--streams", default="10,100,1000")
    parser.add_argument("--window", type=float, default=10.0)
    args = parser.parse_args()
    counts = [int(n) for n in args.streams.split(",")]
    with tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp:
        if args.postgres:
            with throwaway("progen_bench_streams") as url:
                lat = latency(url, Path(tmp))
            with throwaway("progen_bench_streams") as url:
                rows = open_streams(url, Path(tmp), counts, args.window)
        else:
            lat = latency(f"sqlite:///{tmp}/latency.db", Path(tmp))
            rows = open_streams(f"sqlite:///{tmp}/streams.db", Path(tmp), counts, args.window)
    _report("PostgreSQL" if args.postgres else "SQLite", lat, rows)


if __name__ == "__main__":
    main()
