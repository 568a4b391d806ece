"""`/api/health` latency while 100 clients poll large completed jobs (issue 12).

    .venv/bin/python -m bench.health_under_polls [--clients 100] [--every 1] [--seconds 20]
                                                 [--kb 268]

The jobs are real: created, claimed and completed through the store on a SQLite
file, each holding a template program padded to about `--kb` KB (the review's
268 KB job), then a real server (`./start_fastapi.sh`) serves them. The pollers
run in another process (raw keep-alive HTTP/1.1, no JSON parsing, so the client
is not the bottleneck), each polling every `--every` seconds (the review drove
82 polls/s; 100 clients at 1 s is 100/s), or with `--every 0` as fast as the
server answers (saturation: every request then waits behind the queue). This
process asks for /api/health 20 times a second and prints its p50/p99/max,
beside the same figures without load, the polls served and the server's peak
memory (VmHWM).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import Server, log, percentile
from db import migrate
from db.database import Sessions, make_engine
from jobs import journal, store
from programs.generators.template import TemplateGenerator
from programs.schemas import ProgramRequest

HEALTH_PER_SECOND = 20
JOBS = 10  # distinct large jobs the clients spread over
BIGGEST = {
    "goal": "hypertrophy",
    "experience": "advanced",
    "days_per_week": 7,
    "weeks": 16,
    "session_minutes": 180,
    "equipment": ["dumbbells", "barbell", "kettlebells", "machines", "bands", "pull_up_bar"],
}


async def _template_program() -> dict[str, Any]:
    """The largest program the offline generator writes, through its own steps."""
    generator = TemplateGenerator()
    payload = ProgramRequest(**BIGGEST).model_dump()
    done: list[Any] = []
    for index in range(generator.total_steps(payload)):
        done.append((await generator.run_step(payload, index, done)).output)
    return dict(generator.result(payload, done))


def _padded(program: dict[str, Any], kb: int) -> dict[str, Any]:
    """The program with each exercise's notes lengthened until it is about `kb` KB."""
    import json

    exercises = [x for w in program["weeks"] for s in w["sessions"] for x in s["exercises"]]
    missing = kb * 1024 - len(json.dumps(program))
    if missing > 0:
        each = missing // len(exercises) + 1
        for exercise in exercises:
            exercise["notes"] += " " + "keep the back neutral, " * (each // 23 + 1)
    return program


def make_jobs(db_url: str, kb: int) -> tuple[list[str], int]:
    """JOBS completed jobs holding a ~kb KB program; their ids and the program's size."""
    import json

    program = _padded(asyncio.run(_template_program()), kb)
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    sessions = journal.attach(Sessions(engine))
    ids = []
    for _ in range(JOBS):
        with sessions.write() as session:
            job = store.create(session, payload=BIGGEST, max_attempts=1, total_steps=1)
        with sessions.write() as session:
            (claimed,) = store.claim(session, owner="bench", limit=1)
            store.complete(session, lease=store.lease_of(claimed), result=program, usage=None)
        ids.append(job.id)
    engine.dispose()
    return ids, len(json.dumps(program))


async def _poll_forever(
    port: int, paths: list[str], every: float, until: float, served: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    turn = 0
    await asyncio.sleep(random.uniform(0, every))  # clients are not in step
    try:
        while time.monotonic() < until:
            due = time.monotonic() + every
            path = paths[turn % len(paths)]
            turn += 1
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            served[0] += 1
            await asyncio.sleep(max(0.0, due - time.monotonic()))
    finally:
        writer.close()


def pollers(
    port: int, paths: list[str], clients: int, every: float, seconds: float, out: Any
) -> None:
    """`clients` keep-alive connections polling `paths` for `seconds` (a child process)."""

    async def run() -> int:
        served = [0]
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(_poll_forever(port, paths, every, until, served) for _ in range(clients))
        )
        return served[0]

    out.put(asyncio.run(run()))


def health_latencies(url: str, seconds: float) -> list[float]:
    """GET /api/health HEALTH_PER_SECOND times a second; each latency in ms."""
    latencies = []
    with httpx.Client(base_url=url, timeout=10) as client:
        start = time.monotonic()
        for tick in range(int(seconds * HEALTH_PER_SECOND)):
            time.sleep(max(0.0, start + tick / HEALTH_PER_SECOND - time.monotonic()))
            began = time.perf_counter()
            assert client.get("/api/health").status_code == 200
            latencies.append((time.perf_counter() - began) * 1000)
    return latencies


def _summary(latencies: list[float]) -> str:
    return (
        f"p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
        f"max {max(latencies):.1f} ms ({len(latencies)} requests)"
    )


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between polls")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--kb", type=int, default=268)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        ids, size = make_jobs(db_url, args.kb)
        log(f"{len(ids)} completed jobs of {size / 1024:.0f} KB each")
        server = Server(db_url, Path(tmp) / "server.log", SUBMIT_RATE_PER_MINUTE="0")
        server.start()
        try:
            idle = health_latencies(server.url, 5)
            queue: Any = multiprocessing.Queue()
            paths = [f"/api/programs/jobs/{job_id}" for job_id in ids]
            child = multiprocessing.Process(
                target=pollers,
                args=(server.port, paths, args.clients, args.every, args.seconds + 2, queue),
            )
            child.start()
            time.sleep(1)  # every client connected and polling
            loaded = health_latencies(server.url, args.seconds)
            polls = queue.get(timeout=args.seconds + 60)
            child.join(timeout=30)
            peak = _peak_rss_mb(server.pid)
        finally:
            server.stop()
    pace = f"every {args.every:g} s" if args.every else "as fast as answered"
    print(f"program size: {size / 1024:.0f} KB; {args.clients} clients polling {pace}")
    print(f"/api/health idle:          {_summary(idle)}")
    print(f"/api/health under polling: {_summary(loaded)}")
    print(f"polls served: {polls} in {args.seconds + 2:.0f} s ({polls / (args.seconds + 2):.0f}/s)")
    print(f"server peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
