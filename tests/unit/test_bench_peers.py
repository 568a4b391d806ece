"""The peer table: medians of the runs, each submit timed, ratios to the right peers."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.peers.__main__ import summary, table
from bench.peers.measure import submits
from bench.peers.peer import Peer


def _run(peer: str, backend: str, mode: str, rate: float, p50: float) -> dict[str, Any]:
    return {
        "peer": peer, "name": peer, "backend": backend, "job": "a job", "mode": mode,
        "jobs": 10, "jobs_per_second": rate, "submits_per_second": 2 * rate,
        "submit_p50_ms": p50, "submit_p99_ms": 10 * p50,
    }  # fmt: skip


def test_progen_rows_are_divided_by_the_best_peer_and_the_best_postgresql_peer() -> None:
    mode = "while-running"
    runs = [
        _run("saq-redis", "redis", mode, 1000, 0.3),
        _run("saq-postgres", "postgresql", mode, 200, 1.0),
        _run("procrastinate", "postgresql", mode, 250, 2.0),
        *(_run("progen-sqlite", "sqlite", mode, rate, p50) for rate, p50 in
          ((400, 0.5), (500, 0.4), (900, 0.9))),
    ]  # fmt: skip
    rows = {row["peer"]: row for row in summary(runs)}
    progen = rows["progen-sqlite"]
    assert progen["median"] == 500 and progen["p50_median"] == 0.5
    assert progen["vs_best"] == ("saq-redis", 0.5)
    assert progen["vs_best_pg"] == ("procrastinate", 2.0)
    assert "vs_best" not in rows["saq-redis"]  # only progen's rows get ratios
    shown = table(list(rows.values()), 10)
    assert "| progen-sqlite | 500 (400, 500, 900) | 1000 | 0.50 / 5.00 | 0.50× (saq-redis) |" in (
        shown
    )


class _Slow(Peer):
    """A peer whose submits take 1 ms, 2 ms, 3 ms ..."""

    def __init__(self) -> None:
        self.calls = 0

    async def submit(self) -> None:
        self.calls += 1
        await asyncio.sleep(self.calls / 1000)


def test_each_submit_is_timed_on_its_own() -> None:
    latencies = asyncio.run(submits(_Slow(), 5))
    assert latencies == sorted(latencies) and len(latencies) == 5
    assert 0.001 <= latencies[0] < latencies[-1]
    assert 0.005 <= latencies[-1] < 0.5  # the slowest, not the sum
