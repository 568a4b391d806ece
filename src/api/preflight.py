"""Checks before the app exists: a configuration that cannot work stops the start.

Each failure prints one line naming the variable and exits non-zero, instead
of the traceback a failed lifespan would log.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

from api import logs
from db import failures
from db.database import describe_error, make_engine, redact, sqlite_path
from settings import Settings, load_or_exit

MIN_TOKEN_CHARS = 16  # the contract's floor; a token guessed online must take forever


def _fail(line: str) -> None:
    print(f"progen: configuration error: {line}", file=sys.stderr)  # noqa: T201
    raise SystemExit(2)


def checked_settings() -> Settings:
    """Valid settings on a reachable database, with logging set up; else exit 2."""
    settings = load_or_exit()
    _check_token(settings)
    _check_exposure(settings)
    check_sqlite_folder(settings.database_url)
    try:
        engine = make_engine(settings.database_url)
    except Exception as error:  # a malformed URL or an unknown driver
        _fail(
            f"DATABASE_URL: cannot use {redact_safely(settings.database_url)} "
            f"({type(error).__name__}): give a SQLAlchemy URL such as sqlite:///./data/programs.db"
        )
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:
        reason = describe_error(error, settings.database_url)
        hint = (
            "check that the file is a progen database this user can read and write"
            if sqlite_path(settings.database_url)
            else "check the URL and that the database is up"
        )
        _fail(
            f"DATABASE_URL: cannot connect to {redact_safely(settings.database_url)} "
            f"({failures.describe(error)}; {reason}): {hint}"
        )
    finally:
        engine.dispose()
    logs.configure(settings.log_format)
    return settings


def _check_token(settings: Settings) -> None:
    """API_TOKEN must be long enough to resist guessing, and sendable in a header."""
    if settings.api_token is None:
        return
    token = settings.api_token.get_secret_value()
    if len(token) < MIN_TOKEN_CHARS:
        _fail(
            f"API_TOKEN: too short ({len(token)} characters; at least {MIN_TOKEN_CHARS}): "
            "use e.g. the output of `openssl rand -hex 32`"
        )
    if not (token.isascii() and token.isprintable()) or token != token.strip():
        _fail(
            "API_TOKEN: use printable ASCII without surrounding spaces "
            "(a header carries no other characters reliably)"
        )


def _check_exposure(settings: Settings) -> None:
    """A public HOST without API_TOKEN would let anyone spend the service: refuse it."""
    if settings.host_is_loopback or settings.api_token is not None or settings.allow_anonymous:
        return
    _fail(
        f"HOST: {settings.host} accepts connections from other machines but API_TOKEN is "
        "unset: set API_TOKEN, or ALLOW_ANONYMOUS=true to serve everyone"
    )


def redact_safely(url: str) -> str:
    """The URL without its password; never the raw text if it cannot be parsed."""
    try:
        return redact(url)
    except Exception:
        return "the configured URL"


FOLDER_HINTS = {
    errno.EROFS: "the folder is on a read-only file system: remount it read-write, or point "
    "DATABASE_URL at a writable folder",
    errno.EACCES: "this user may not write there: fix the folder's owner or mode, or point "
    "DATABASE_URL elsewhere",
    errno.ENOSPC: "the disk is full: free some space, or point DATABASE_URL at another disk",
}
FOLDER_HINTS[errno.EPERM] = FOLDER_HINTS[errno.EACCES]
FOLDER_HINTS[errno.EDQUOT] = FOLDER_HINTS[errno.ENOSPC]


def check_sqlite_folder(url: str) -> None:
    """A SQLite database needs a folder it can write (its -wal and -shm files live
    there): try, and on failure exit with the OS's own reason and what to do."""
    try:
        path = sqlite_path(url)
    except sa.exc.ArgumentError:  # not a URL: the engine's check says so next
        return
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _probe_write(path.parent)
        if path.exists():
            path.open("r+b").close()  # the file itself must be writable too
    except OSError as error:
        hint = FOLDER_HINTS.get(error.errno or 0, "point DATABASE_URL at a folder it can write")
        _fail(f"DATABASE_URL: cannot write the database at {path} ({error}): {hint}")


def _probe_write(folder: Path) -> None:
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".progen-write-check-") as probe:
        try:
            os.posix_fallocate(probe.fileno(), 0, failures.MIN_FREE_BYTES)
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                raise
            probe.write(bytes(failures.MIN_FREE_BYTES))  # no fallocate here: write the room
            probe.flush()
            os.fsync(probe.fileno())
