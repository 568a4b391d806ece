"""News between instances, on real servers: how soon a cancel stops the running step, and
how soon an idle peer claims what was submitted to a busy instance.

    python -m bench.news [--samples N] [--sqlite-only]

Two servers (./start_fastapi.sh, the default 30 s heartbeat, so only the news can be
fast) share one database: a SQLite file, then a throw-away PostgreSQL database. Each
step of a job sleeps 60 s (GENERATION_STEP_DELAY_SECONDS), so a job is always in a
step when it is cancelled.

- cancel → step stopped: the time from sending POST .../cancel to the job's
  `finished_at`, which its owner writes once the step's task was cancelled (so the
  figure is an upper bound), cancelled through the owner ("same") or the other
  server ("other").
- submit → claimed by an idle peer (PostgreSQL): the owner is full (JOB_CONCURRENCY=1,
  one job running); the job's `started_at - created_at`, both written by the database
  clock's aligned time on this one host.

Prints a table and writes bench/results/news.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import REQUEST, ROOT, Server, log, median, percentile
from harness import wait_for
from harness.postgres import throwaway

SLOW_STEPS = {"GENERATION_STEP_DELAY_SECONDS": "60", "SHUTDOWN_GRACE_SECONDS": "0"}
RESULTS = ROOT / "bench" / "results" / "news.json"


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _submit(server: Server) -> str:
    answer = server.client.post("/api/programs/generate", json=REQUEST)
    answer.raise_for_status()
    return str(answer.json()["id"])


def _job(server: Server, job_id: str) -> dict[str, Any]:
    return dict(server.client.get(f"/api/programs/jobs/{job_id}").json())


def _running(server: Server, job_id: str) -> dict[str, Any]:
    """The job once it runs (claimed, owner known)."""
    return wait_for(
        lambda: (job := _job(server, job_id))["status"] == "in_progress" and job,
        timeout=10,
        interval=0.01,
        what=f"job {job_id} running",
    )


def _cancelled(server: Server, job_id: str) -> dict[str, Any]:
    return wait_for(
        lambda: (job := _job(server, job_id))["status"] == "cancelled" and job,
        timeout=40,  # the heartbeat (30 s) is the slowest path a cancel can take
        interval=0.01,
        what=f"job {job_id} cancelled",
    )


def _pair(stack: ExitStack, db_url: str, logs: Path, **env: str) -> list[Server]:
    servers = []
    for n in range(2):
        server = Server(db_url, logs / f"news-server-{n}.log", **SLOW_STEPS, **env)
        stack.callback(server.close)
        server.start()
        servers.append(server)
    return servers


def cancels(db_url: str, logs: Path, samples: int) -> dict[str, list[float]]:
    """Seconds from POST cancel to the step stopped, through the owner and through the other."""
    seconds: dict[str, list[float]] = {"same": [], "other": []}
    with ExitStack() as stack:
        pair = _pair(stack, db_url, logs)
        ids = [server.health()[1]["instance_id"] for server in pair]  # type: ignore[index]
        for n in range(samples):
            for where in ("same", "other"):
                job_id = _submit(pair[n % 2])
                owner = pair[ids.index(_running(pair[0], job_id)["owner"])]
                through = owner if where == "same" else pair[1 - pair.index(owner)]
                sent = time.time()
                through.client.post(f"/api/programs/jobs/{job_id}/cancel").raise_for_status()
                seconds[where].append(_at(_cancelled(through, job_id)["finished_at"]) - sent)
    return seconds


def peer_claims(db_url: str, logs: Path, samples: int) -> list[float]:
    """Seconds from a submit to a full instance to its idle peer's claim (PostgreSQL)."""
    waits: list[float] = []
    with ExitStack() as stack:
        busy, idle = _pair(stack, db_url, logs, JOB_CONCURRENCY="1")
        filler = _submit(busy)
        if _running(busy, filler)["owner"] != busy.health()[1]["instance_id"]:  # type: ignore[index]
            busy, idle = idle, busy  # the other one took it: it is the busy one
        for _ in range(samples):
            job_id = _submit(busy)
            job = _running(idle, job_id)
            waits.append(_at(job["started_at"]) - _at(job["created_at"]))
            idle.client.post(f"/api/programs/jobs/{job_id}/cancel").raise_for_status()
            _cancelled(idle, job_id)
    return waits


def _figures(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(median(values) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def run(samples: int, postgres: bool = True) -> dict[str, Any]:
    """Every figure of this module, on SQLite and (unless told not to) PostgreSQL."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="progen-bench-news-") as tmp:
        logs = Path(tmp)
        log("news: cancels on SQLite")
        for where, values in cancels(f"sqlite:///{tmp}/news.db", logs, samples).items():
            figures[f"cancel_{where}_sqlite"] = _figures(values)
        if postgres:
            with throwaway("progen_bench_news") as url:
                log("news: cancels on PostgreSQL")
                for where, values in cancels(url, logs, samples).items():
                    figures[f"cancel_{where}_postgresql"] = _figures(values)
            with throwaway("progen_bench_news") as url:
                log("news: a busy instance's submit, claimed by its idle peer")
                figures["peer_claim_postgresql"] = _figures(peer_claims(url, logs, samples))
    return figures


def main() -> None:
    """Run, print the table, keep the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30, help="per figure (default 30)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args()
    figures = run(args.samples, postgres=not args.sqlite_only)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print("| figure | n | p50 | p99 | max |\n|---|---|---|---|---|")
    for name, row in figures.items():
        cells = [name, row["n"], *(f"{row[k]} ms" for k in ("p50_ms", "p99_ms", "max_ms"))]
        print("| " + " | ".join(map(str, cells)) + " |")


if __name__ == "__main__":
    main()
