"""Data at rest: private SQLite files, statements logged without their values, health
errors without the driver's text."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import factories
from api.app import create_app
from db import migrate
from db.database import Sessions, make_engine

CANARY = "CANARY-notes-knee-injury"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The usual umask (022), under which they were made 0755 and 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_data_directory_and_database_are_private(tmp_path, usual_umask):
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'programs.db'}")
    migrate.upgrade(engine)
    with Sessions(engine).write() as session:  # WAL and shared-memory files exist now
        session.execute(sa.text("SELECT 1"))
        files = sorted(p.name for p in (tmp_path / "data").iterdir())
        modes = {name: _mode(tmp_path / "data" / name) for name in files}
    engine.dispose()
    assert _mode(tmp_path / "data") == 0o700
    assert {"programs.db", "programs.db-wal", "programs.db-shm"} <= set(files), files
    assert set(modes.values()) == {0o600}, modes


def test_an_older_world_readable_database_is_made_private(tmp_path):
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    os.chmod(database, 0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert _mode(database) == 0o600


def test_a_failed_statement_never_carries_its_values(engine):
    with pytest.raises(sa.exc.DBAPIError) as caught, engine.connect() as connection:
        connection.execute(sa.text("SELECT * FROM no_such_table WHERE x = :x"), {"x": CANARY})
    assert CANARY not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)


def test_health_says_the_database_error_in_words_never_the_drivers_text(tmp_path):
    url = "postgresql+psycopg://progen-user:hunter2pass@127.0.0.1:1/progen"
    app = create_app(factories.app_settings(f"sqlite:///{tmp_path / 'ok.db'}"))
    with TestClient(app) as client:
        original = app.state.engine.sessions
        app.state.engine.sessions = Sessions(make_engine(url))
        try:
            body = client.get("/api/health").json()
        finally:
            app.state.engine.sessions.engine.dispose()
            app.state.engine.sessions = original
    assert body["database"] == "error: database unreachable"
    for private in ("progen-user", "hunter2pass", "127.0.0.1", ":1"):
        assert private not in body["database"]
