"""Engines and sessions for the configured database.

`from db.database import engine` gives a plain script an `Engine` on the
configured database (the seed's snippet); it is built on first use, so
importing this module connects to nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from settings import get_settings

SQLITE_BUSY_TIMEOUT_MS = 10_000  # writers queue behind each other instead of failing


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """Build an engine; SQLite gets WAL, busy_timeout and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return sa.create_engine(url, **kwargs)
    _ensure_parent_dir(parsed.database)
    kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    engine = sa.create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _ensure_parent_dir(database: str | None) -> None:
    """Create `./data/` on the first start so the default URL just works."""
    if database and database != ":memory:" and not database.startswith("file:"):
        from pathlib import Path

        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin_immediate).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # stored in the file; readers never block writers
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # A deferred BEGIN: readers never wait. Every write transaction in
    # jobs/store.py starts with its write, so it takes the lock through
    # busy_timeout instead of failing a read-to-write upgrade with SQLITE_BUSY.
    conn.exec_driver_sql("BEGIN")


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def describe_error(error: BaseException) -> str:
    """A short, secret-free description of a database error."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()[0] if str(original).strip() else ""
    password = make_url(get_settings().database_url).password
    if password:
        text = text.replace(str(password), "***")
    return f"{type(original).__name__}: {text}"[:300]


_engine: sa.Engine | None = None


def __getattr__(name: str) -> Any:
    """Build `engine` and `SessionLocal` on first use from the configured URL."""
    global _engine
    if name not in {"engine", "SessionLocal"}:
        raise AttributeError(name)
    if _engine is None:
        _engine = make_engine(get_settings().database_url)
    return _engine if name == "engine" else sessionmaker(_engine, expire_on_commit=False)


def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (they are only read)."""
    return sessionmaker(engine, expire_on_commit=False)
