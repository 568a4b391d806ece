"""Engines and sessions for the configured database.

`from db.database import engine` gives a plain script an `Engine` on the
configured database (the seed's snippet); it is built on first use, so
importing this module connects to nothing. A relative SQLite path means the
project's folder wherever the caller runs, so the snippet run from another
directory finds the server's database instead of creating an empty one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000  # writers queue behind each other instead of failing
T = TypeVar("T")
_IMMEDIATE = "progen_sqlite_immediate"
SQLITE_POOL_SIZE = 48  # FastAPI's 40 threads plus the engine's to_thread workers
PG_CONNECT_TIMEOUT_SECONDS = 3
PG_IDLE_TX_TIMEOUT_MS = 30_000  # our transactions last milliseconds
PG_LOCK_TIMEOUT_MS = 10_000
PROJECT_DIR = Path(__file__).resolve().parents[2]  # src/db/database.py -> the project
DATA_DIR_MODE = 0o700  # notes hold health data (injuries): no other user reads them
DATA_FILE_MODE = 0o600  # SQLite gives -wal and -shm the database file's mode


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """Build an engine; SQLite gets WAL, busy_timeout and foreign keys.

    A relative SQLite path is the project's (see `project_relative`). `hide_parameters`:
    a logged statement error never carries its bound values (a request's notes, a program).
    """
    url = project_relative(url)
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)  # survive a database restart
        if parsed.get_backend_name() == "postgresql":
            # An unreachable server fails in seconds, so health can say so in time.
            kwargs.setdefault(
                "connect_args",
                {
                    "connect_timeout": PG_CONNECT_TIMEOUT_SECONDS,
                    # A process frozen inside a transaction (SIGSTOP, a paused VM) would hold
                    # its row locks, and a peer's reclaim would wait on them: the server ends
                    # such a session, and no statement waits on a lock for long.
                    "options": f"-c idle_in_transaction_session_timeout={PG_IDLE_TX_TIMEOUT_MS}"
                    f" -c lock_timeout={PG_LOCK_TIMEOUT_MS}",
                },
            )
        return sa.create_engine(url, **kwargs)
    _private_file(parsed.database)
    kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    # As many pooled connections as threads that use them (FastAPI's thread pool has
    # 40): an overflow connection is closed on return, and opening one costs PRAGMAs.
    kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
    kwargs.setdefault("max_overflow", SQLITE_POOL_SIZE)
    engine = sa.create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, resolved from the project's folder; None for other URLs."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return PROJECT_DIR / database  # an absolute path stays itself


def project_relative(url: str) -> str:
    """The URL with a relative SQLite path made absolute from the project's folder."""
    path = sqlite_path(url)
    if path is None or make_url(url).database == str(path):
        return url
    return make_url(url).set(database=str(path)).render_as_string(hide_password=False)


def _private_file(database: str | None) -> None:
    """Create `./data/` (0700) on the first start so the default URL just works, and keep
    the database file and its -wal/-shm readable by this user only (0600)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.exists():
        path.parent.mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, DATA_FILE_MODE))  # before SQLite makes it
    for name in (database, f"{database}-wal", f"{database}-shm"):
        try:
            os.chmod(name, DATA_FILE_MODE)  # also files an older version made 0644
        except FileNotFoundError:
            pass


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # stored in the file; readers never block writers
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # Writers take the lock at BEGIN (IMMEDIATE), so they queue on busy_timeout;
    # a deferred transaction that reads then writes fails at once with
    # SQLITE_BUSY instead. Readers open none: each of their statements is its
    # own read transaction, which never waits and saves a round trip per poll.
    if conn.get_execution_options().get(_IMMEDIATE, False):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def describe_error(error: BaseException, database_url: str) -> str:
    """A short description of a database error, without the URL's password."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()[0] if str(original).strip() else ""
    try:
        password = make_url(database_url).password
    except Exception:  # an unparsable URL has no password we could find
        password = None
    if password:
        text = text.replace(str(password), "***")
    return f"{type(original).__name__}: {text}"[:300]


class Sessions:
    """Short sessions on one engine: `read()` to query, `write()` for one writing transaction.

    Objects stay readable after commit (expire_on_commit=False): callers
    only read them, and must not hold a session across slow work.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        writer = engine.execution_options(**{_IMMEDIATE: True})
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)
        # SQLite has one writer at a time anyway: queueing this process's writers
        # on a lock is fair and fast, where busy_timeout's sleeps grow to 100 ms.
        # busy_timeout still arbitrates between processes.
        sqlite = engine.dialect.name == "sqlite"
        self._one_writer: AbstractContextManager[Any] = (
            threading.RLock() if sqlite else nullcontext()
        )
        self._hooks: set[tuple[str, Callable[..., None]]] = set()

    def listen(self, identifier: str, fn: Callable[..., None], *, mark: str) -> None:
        """Run `fn` on this factory's session events (`identifier`, e.g. "before_commit");
        its sessions then carry `mark` in `info`, so code that needs `fn` can check that
        it runs. Idempotent: the factory keeps its own list, because `event.contains`
        keys on `id()`, and a collected factory's id reused by a new one made it answer
        yes for hooks the new one never had (new jobs then went unwritten)."""
        if (identifier, fn) in self._hooks:
            return
        self._hooks.add((identifier, fn))
        for maker in (self._read, self._write):
            event.listen(maker, identifier, fn)
        self.tag(mark, True)

    def tag(self, key: str, value: Any) -> None:
        """Put `key: value` in the `info` of every session made from now on (what the code
        that uses these sessions attached to them: hooks, a clock, metrics)."""
        for maker in (self._read, self._write):
            maker.configure(info={**maker.kw.get("info", {}), key: value})

    def info(self) -> dict[str, Any]:
        """What `tag` put on these sessions."""
        return dict(self._read.kw.get("info", {}))

    def kept(self, key: str, make: Callable[[], T]) -> T:
        """What `tag` put under `key`; on first use made by `make()` and tagged (so every
        user of these sessions shares one)."""
        found = self.info().get(key)
        if found is None:
            found = make()
            self.tag(key, found)
        return cast(T, found)

    def read(self) -> Session:
        """A session for queries (use as a context manager)."""
        return self._read()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction that commits on success and rolls back on error."""
        with self._one_writer, self._write.begin() as session:
            yield session


def tagged(session: Session, key: str, kind: type[T]) -> T:
    """The `kind` that `Sessions.kept` tagged this session's factory with under `key`."""
    found = session.info.get(key)
    if not isinstance(found, kind):
        raise RuntimeError(
            f"this session's factory has no {kind.__name__.lower()}: "
            "build it with jobs.journal.attach(sessions)"
        )
    return found


_engine: sa.Engine | None = None


def __getattr__(name: str) -> Any:
    """Build `engine` on first use from the configured URL (the seed's snippet)."""
    global _engine
    if name != "engine":
        raise AttributeError(name)
    if _engine is None:
        from settings import get_settings  # the snippet's edge: the engine never reads settings

        url = get_settings().database_url
        path = sqlite_path(url)
        if path is not None and not path.exists():
            raise FileNotFoundError(
                f"no progen database at {path}: start the server once (./start_fastapi.sh), "
                "or set DATABASE_URL to the server's"
            )
        _engine = make_engine(url)
    return _engine
