"""Storage failures in words: what /api/health, a 503 and a log line say about the database.

A storage failure is the database itself refusing work (disk full, read-only,
unreachable), which an operator fixes and a client retries; anything else a
database call raises (a constraint, bad SQL) is a bug. The words never carry
the driver's text, so no host, user or password reaches an answer or a log.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa

DISK_FULL, READ_ONLY = "disk full", "read-only"
#: Less room than this beside a SQLite database counts as full: a write that fits in the
#: WAL's reused frames (a heartbeat) still commits, but the next insert or checkpoint fails.
MIN_FREE_BYTES = 64 * 1024
#: SQLite's messages (its only error detail), in the order they are tried
_SQLITE = (
    ("disk is full", DISK_FULL),
    ("readonly database", READ_ONLY),
    ("unable to open database file", "cannot open the database file"),
    ("disk i/o error", "disk I/O error"),
    ("database is locked", "database locked by another process"),
    ("not a database", "the file is not a SQLite database"),
)
#: PostgreSQL SQLSTATEs, by exact code or class (the first two characters)
_SQLSTATE = {
    "53100": DISK_FULL,
    "25006": READ_ONLY,
    "57P01": "database shutting down",
    "57P02": "database shutting down",
    "57P03": "database starting up",
    "53300": "too many connections",
    "08": "database unreachable",
    "53": "database out of resources",
}
_ERRNO = {
    errno.ENOSPC: DISK_FULL,
    errno.EDQUOT: DISK_FULL,
    errno.EROFS: READ_ONLY,
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EIO: "disk I/O error",
}


def storage_failure(error: BaseException) -> str | None:
    """Words for a failure of the storage (e.g. "disk full"), or None when `error` is a bug."""
    if isinstance(error, sa.exc.TimeoutError):  # the pool: every connection is busy
        return "no free database connection"
    original = getattr(error, "orig", None) or error
    if isinstance(original, OSError):
        return _ERRNO.get(original.errno or 0)
    if isinstance(original, sqlite3.Error):
        return _sqlite(original)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return _SQLSTATE.get(sqlstate) or _SQLSTATE.get(sqlstate[:2])
    if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError):
        return "database unreachable"  # psycopg: no SQLSTATE before a session exists
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return "database connection lost"
    return None


def _sqlite(error: sqlite3.Error) -> str | None:
    text = str(error).lower()
    if "no such" in text or "syntax error" in text:  # the schema or the SQL: a bug
        return None
    found = next((words for needle, words in _SQLITE if needle in text), None)
    if found is None and isinstance(error, sqlite3.OperationalError):
        return "database error"
    return found


def describe(error: BaseException) -> str:
    """Words for any database error: the storage failure, else the error's type alone."""
    return storage_failure(error) or f"unexpected {type(error).__name__}"


def log(logger: logging.Logger, error: BaseException, what: str) -> None:
    """Log a failure: a storage failure as one line of words (it is expected, and the
    driver's text may hold a query's parameters); anything else as the bug it is, with
    its traceback."""
    words = storage_failure(error)
    if words is None:
        logger.error(what, exc_info=error)
    else:
        logger.warning("%s (%s)", what, words)


def check_room(engine: sa.Engine) -> None:
    """Raise ENOSPC when a SQLite database's folder has less than MIN_FREE_BYTES free
    (PostgreSQL's own disk is the server's to watch: its writes fail with DiskFull)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return
    folder = Path(database).parent
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    if free < MIN_FREE_BYTES:
        raise OSError(errno.ENOSPC, f"{free} bytes free beside the database", str(folder))
