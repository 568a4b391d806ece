"""Cost of each engine transaction on its own (single thread): where a job's time goes.

`python -m bench.costs [--pending N] [--profile DIR]` prints milliseconds per submit,
claim (with N jobs pending) and complete, the query plan of the claim, and with
--profile writes a pyinstrument profile of each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from bench.common import REQUEST
from db import migrate
from db.database import Sessions, make_engine
from jobs import journal, store
from programs.schemas import ProgramRequest


def _timed(name: str, count: int, action: Callable[[], Any], profile: Path | None) -> float:
    profiler: Any = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
    started = time.perf_counter()
    for _ in range(count):
        action()
    cost = (time.perf_counter() - started) / count * 1000
    if profiler is not None:
        profiler.stop()
        (profile / f"{name}.txt").write_text(profiler.output_text(unicode=True))
    return cost


def measure(pending: int, profile: Path | None) -> dict[str, Any]:
    """Milliseconds per operation, and the claim's query plan."""
    with tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp:
        engine = make_engine(f"sqlite:///{tmp}/costs.db")
        migrate.upgrade(engine)
        sessions = journal.attach(Sessions(engine))
        payload = ProgramRequest.model_validate(REQUEST).model_dump()

        def submit() -> None:  # one submit in its own transaction: no group commit to share
            with sessions.write() as session:
                store.create(session, payload=payload, max_attempts=3, total_steps=1)

        for _ in range(pending):
            submit()
        statements: list[tuple[str, Any]] = []
        event.listen(
            engine,
            "before_cursor_execute",
            lambda _c, _k, sql, params, *_: statements.append((sql, params)),
        )
        costs: dict[str, Any] = {}
        costs["submit_ms"] = _timed("submit", 300, submit, profile)
        claimed: list[Any] = []

        def claim() -> None:
            with sessions.write() as session:
                claimed.extend(store.claim(session, owner="bench", limit=1))

        statements.clear()
        costs["claim_ms"] = _timed("claim", 200, claim, profile)
        sql, params = next((s, p) for s, p in statements if s.lstrip().startswith("WITH"))
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        costs["claim_plan"] = [row[-1] for row in plan]
        leases = iter([store.lease_of(job) for job in claimed])

        def complete() -> None:
            with sessions.write() as session:
                store.complete(
                    session,
                    lease=next(leases),
                    result={"ok": True},
                    usage=None,
                    steps=[{"ok": True}],
                    message="done",
                )

        costs["complete_ms"] = _timed("complete", 200, complete, profile)

        def empty() -> None:
            with sessions.write() as session:
                session.execute(sa.text("UPDATE instances SET pid = 0 WHERE id = 'none'"))

        costs["empty_write_tx_ms"] = _timed("empty", 300, empty, None)
        engine.dispose()
    return costs


def main() -> None:
    """Print the costs at a small and a deep queue."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, nargs="*", default=[10, 3000])
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    for pending in args.pending:
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        print(f"pending {pending}: {measure(pending, args.profile)}")


if __name__ == "__main__":
    main()
