"""Checks before the app exists: a configuration that cannot work stops the start.

Each failure prints one line naming the variable and exits non-zero, instead
of the traceback a failed lifespan would log.
"""

from __future__ import annotations

import logging
import sys

import sqlalchemy as sa

from db.database import describe_error, make_engine, redact
from settings import Settings, load_or_exit

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MIN_TOKEN_CHARS = 16  # the contract's floor; a token guessed online must take forever


def _fail(line: str) -> None:
    print(f"progen: configuration error: {line}", file=sys.stderr)  # noqa: T201
    raise SystemExit(2)


def checked_settings() -> Settings:
    """Valid settings on a reachable database, with logging set up; else exit 2."""
    settings = load_or_exit()
    _check_token(settings)
    _check_exposure(settings)
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
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for noisy in ("apscheduler", "alembic"):  # a line per tick or per check is noise
        logging.getLogger(noisy).setLevel(logging.WARNING)
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
