"""Storage failures in words: what health, a 503 and a log line say; never the driver's text."""

from __future__ import annotations

import errno
import sqlite3

import psycopg
import pytest
import sqlalchemy as sa

from db import failures


def _wrapped(original: BaseException) -> sa.exc.DBAPIError:
    return sa.exc.OperationalError("UPDATE instances SET ...", {"notes": "knee"}, original)


@pytest.mark.parametrize(
    ("original", "words"),
    [
        (sqlite3.OperationalError("database or disk is full"), "disk full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (sqlite3.OperationalError("unable to open database file"), "cannot open the database file"),
        (sqlite3.OperationalError("database is locked"), "database locked by another process"),
        (psycopg.errors.DiskFull("could not extend file"), "disk full"),
        (psycopg.errors.ReadOnlySqlTransaction("read-only transaction"), "read-only"),
        (psycopg.errors.AdminShutdown("terminating connection"), "database shutting down"),
        (
            psycopg.OperationalError('connection to server at "10.0.0.5", user "bob" failed'),
            "database unreachable",
        ),
        (OSError(errno.ENOSPC, "No space left on device"), "disk full"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
    ],
)
def test_storage_failures_are_named_in_words(original, words):
    assert failures.storage_failure(_wrapped(original)) == words
    assert failures.describe(_wrapped(original)) == words


@pytest.mark.parametrize(
    "error",
    [
        sa.exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),
        sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: jobs")),
        sa.exc.ProgrammingError("SELECT", {}, psycopg.errors.UndefinedColumn("column x")),
    ],
)
def test_bugs_are_not_storage_failures(error):
    assert failures.storage_failure(error) is None
    assert failures.describe(error) == f"unexpected {type(error).__name__}"


def test_a_storage_failure_is_logged_as_one_line_without_the_query_or_its_values(caplog):
    caplog.set_level("WARNING")
    error = _wrapped(sqlite3.OperationalError("database or disk is full"))
    failures.log(__import__("logging").getLogger("t"), error, "monitor tick failed")
    [record] = caplog.records
    assert record.getMessage() == "monitor tick failed (disk full)"
    assert record.exc_info is None
    assert "knee" not in caplog.text
