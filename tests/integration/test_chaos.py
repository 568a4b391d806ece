"""A short chaos run per database: real processes hurt at random, then proof from the rows.

scripts/chaos/ does the work (see docs/CHAOS.md for long runs); here CI runs
it for about a minute on each database and asserts that every check passed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from live import ROOT, record
from scripts.chaos import Config, Summary, run

from harness import postgres

pytestmark = pytest.mark.integration
SCENARIOS = {  # PostgreSQL: 3 instances and a database restart; SQLite: 2 processes, one file
    "postgresql": {"instances": 3, "faults": ("kill", "stop", "term", "dbrestart"), "jobs": 50},
    "sqlite": {"instances": 2, "faults": ("kill", "stop", "term"), "jobs": 36},
}


def _keep(summary: Summary, db: str) -> None:
    out = ROOT / "test-artifacts" / f"chaos-{db}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary.to_dict(), indent=2, default=str))
    figures = summary.figures
    flat = {
        f"reclaim_{kind}_{stat}": stats[stat]
        for kind, stats in figures["reclaim_latency"].items()
        if stats.get("n")
        for stat in ("p50", "max")
    }
    record(
        f"chaos_{db}",
        faults=sum(figures["faults"].values()),
        interrupted_attempts=figures["interrupted_attempts"],
        steps_redone=figures["steps_redone"],
        finished_steps_redone=figures["finished_steps_redone"],
        **flat,
    )


@pytest.mark.timeout(240)
def test_a_short_chaos_run_passes_every_check(db_url: str, tmp_path: Path) -> None:
    db = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    scenario = SCENARIOS[db]
    config = Config(
        db=db,
        database_url=db_url,
        duration=40,
        seed=20240601,
        fault_gap=(3.0, 6.0),
        settle_timeout=60,
        workdir=tmp_path / "chaos",
        **scenario,
    )
    try:
        summary = run(config)
    finally:
        if "dbrestart" in config.faults:
            assert postgres.ensure_running(), "PostgreSQL did not come back"
    print(summary.table())
    _keep(summary, db)
    assert summary.ok, "\n".join(f"{c.name}: {c.detail}" for c in summary.failed())
    kinds = set(summary.figures["faults"])
    assert len(kinds) >= 2, f"too few kinds of fault in the run: {kinds}"
    assert summary.figures["interrupted_attempts"] >= 1, "no fault ever hit a running job"
    assert summary.figures["finished_steps_redone"] == 0
