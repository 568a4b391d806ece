"""`python -m bench.submit_latency`: one client's POST /api/programs/generate, one at a time.

Issue 17's submit target (a submit's p50 ≤ 2 ms on one connection), in two settings,
on SQLite and on a throw-away PostgreSQL database:
- `alone`: the server only accepts. Its one slot (JOB_CONCURRENCY=1) is held by a job
  whose step waits an hour, so nothing runs beside the submits and the new jobs stay
  pending (the queue cap still counts them on every submit);
- `while jobs run`: JOB_CONCURRENCY=8 and the template generator, so the server runs
  the submitted jobs in the same process meanwhile (as the peer table's HTTP row).

Each POST is timed from send to the whole 202 answer read, on one keep-alive
connection (`http.client`). The settings take turns, RUNS times; the medians are shown.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from bench.common import REQUEST, log, percentile, server
from bench.peers.progen_peer import SERVER_ENV  # the peer table's server: no cap, no rate
from harness.postgres import throwaway

RUNS = 3
Fresh = Callable[[], AbstractContextManager[str]]  # a new, empty database: its URL
SETTINGS: dict[str, dict[str, str]] = {
    "alone": {
        "JOB_CONCURRENCY": "1",
        "GENERATION_STEP_DELAY_SECONDS": "3600",
        "SHUTDOWN_GRACE_SECONDS": "0",
    },
    "while jobs run": {"JOB_CONCURRENCY": "8"},
}


def posts(port: int, count: int) -> list[float]:
    """`count` sequential POSTs on one connection after one to warm up; each one's
    seconds, sorted."""
    body = json.dumps(REQUEST).encode()
    headers = {"Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    seconds = []
    try:
        for index in range(count + 1):
            started = time.perf_counter()
            connection.request("POST", "/api/programs/generate", body, headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != 202:
                raise RuntimeError(f"POST answered {response.status}: {answer[:200]!r}")
            if index:  # the first one holds the slot when alone
                seconds.append(time.perf_counter() - started)
    finally:
        connection.close()
    return sorted(seconds)


@contextmanager
def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="progen-bench-submit-") as tmp:
        yield f"sqlite:///{tmp}/submit.db"


def run(count: int, runs: int, databases: dict[str, Fresh]) -> list[dict[str, Any]]:
    """Every (database, setting), `runs` times in turn; one row of medians each."""
    found: dict[tuple[str, str], list[list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="progen-bench-submit-logs-") as logs:
        for _ in range(runs):
            for database, fresh in databases.items():
                for setting, env in SETTINGS.items():
                    log_file = Path(logs) / "server.log"
                    with fresh() as url, server(url, log_file, **{**SERVER_ENV, **env}) as proc:
                        found.setdefault((database, setting), []).append(posts(proc.port, count))
                    log(f"submit latency: {database}, {setting}: done")
    rows = []
    for (database, setting), samples in found.items():
        rows.append({
            "database": database,
            "setting": setting,
            "posts": count,
            "p50_ms": [1000 * statistics.median(s) for s in samples],
            "p90_ms": [1000 * percentile(s, 90) for s in samples],
            "p99_ms": [1000 * percentile(s, 99) for s in samples],
            "per_second": [len(s) / sum(s) for s in samples],
        })  # fmt: skip
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """Medians of the runs, each run's p50 in the cell."""
    lines = [
        "| database | setting | p50 (each run) | p90 | p99 | submits/s |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        runs = ", ".join(f"{value:.2f}" for value in row["p50_ms"])
        lines.append(
            f"| {row['database']} | {row['setting']} "
            f"| {statistics.median(row['p50_ms']):.2f} ms ({runs}) "
            f"| {statistics.median(row['p90_ms']):.2f} ms "
            f"| {statistics.median(row['p99_ms']):.2f} ms "
            f"| {statistics.median(row['per_second']):.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000, help="per run (default 1000)")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args()
    databases: dict[str, Fresh] = {"SQLite": _sqlite}
    if not args.sqlite_only:
        databases["PostgreSQL"] = lambda: throwaway("progen_bench_submit")
    print(table(run(args.posts, args.runs, databases)))


if __name__ == "__main__":
    main()
