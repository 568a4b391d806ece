"""Checks before the app exists: a configuration that cannot work stops the start.

Each failure prints one line naming the variable and exits non-zero, instead
of the traceback a failed lifespan would log.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa

from api import logs
from db.database import describe_error, make_engine, redact
from settings import Settings, load_or_exit


def _fail(line: str) -> None:
    print(f"progen: configuration error: {line}", file=sys.stderr)  # noqa: T201
    raise SystemExit(2)


def checked_settings() -> Settings:
    """Valid settings on a reachable database, with logging set up; else exit 2."""
    settings = load_or_exit()
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
        _fail(
            f"DATABASE_URL: cannot connect to {redact_safely(settings.database_url)} "
            f"({reason}): check the URL and that the database is up"
        )
    finally:
        engine.dispose()
    logs.configure(settings.log_format)
    return settings


def redact_safely(url: str) -> str:
    """The URL without its password; never the raw text if it cannot be parsed."""
    try:
        return redact(url)
    except Exception:
        return "the configured URL"
