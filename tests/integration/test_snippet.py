"""The seed's snippet, `from db.database import engine`, run from another directory.

A relative SQLite path means the project's folder, so the snippet finds the
server's database wherever it runs, and never creates an empty one.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import factories
from db import migrate
from db.database import Sessions, make_engine
from jobs import journal

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SNIPPET = f"""
import sys
sys.path.insert(0, {str(ROOT / "src")!r})
from sqlalchemy import text
from db.database import engine
with engine.connect() as conn:
    print(conn.execute(text(
        "SELECT COUNT(*) FROM program_generation_jobs WHERE status = 'in_progress'"
    )).scalar())
"""


@pytest.fixture
def relative_url() -> Iterator[str]:
    """A relative SQLite URL inside the project, removed afterwards."""
    name = f"test-artifacts/snippet-{uuid.uuid4().hex[:8]}.db"
    yield f"sqlite:///./{name}"
    for leftover in (ROOT / "test-artifacts").glob(f"{Path(name).name}*"):
        leftover.unlink()


def _snippet(url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in factories.PROGEN_ENV}
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", SNIPPET],
        cwd=cwd,
        env={**env, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_snippet_from_another_directory_reads_the_projects_database(relative_url, tmp_path):
    engine = make_engine(relative_url)  # the server's view: the project's folder
    try:
        migrate.upgrade(engine)
        factories.running(journal.attach(Sessions(engine)))
    finally:
        engine.dispose()
    done = _snippet(relative_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    assert list(tmp_path.iterdir()) == [], "the snippet created files where it ran"


def test_the_snippet_never_creates_an_empty_database(relative_url, tmp_path):
    done = _snippet(relative_url, tmp_path)
    assert done.returncode != 0
    assert "no progen database at" in done.stderr
    assert "start the server once" in done.stderr
    assert list(tmp_path.iterdir()) == []
    assert not list((ROOT / "test-artifacts").glob(f"{Path(relative_url).name}*"))
