"""Structural rules: one module writes job state; the engine never imports the domain."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src"
# A job row changes through an UPDATE/INSERT/DELETE on Job or an attribute assignment.
STATE_WRITE = re.compile(
    r"\b(update|insert|delete)\(\s*Job\b|\bJob\(|\.(status|owner|heartbeat_at)\s*=[^=]"
)


def test_only_the_store_writes_status_owner_or_heartbeat():
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.relative_to(SRC).as_posix() in {"jobs/store.py", "jobs/models.py"}:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if STATE_WRITE.search(code):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offenders == []


def test_job_engine_never_imports_the_domain_or_the_api():
    imports = re.compile(r"^\s*(from|import)\s+(programs|api)\b", re.MULTILINE)
    offenders = [p.name for p in (SRC / "jobs").rglob("*.py") if imports.search(p.read_text())]
    assert offenders == []
