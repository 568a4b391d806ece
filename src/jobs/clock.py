"""The one clock of the engine: aware UTC, and the only thing tests move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def utcnow() -> datetime:
    """Now, in UTC, shifted by whatever a test asked for."""
    return datetime.now(UTC) + _offset


def shift(by: timedelta) -> None:
    """Move the clock (tests only): lets a test age heartbeats without sleeping."""
    global _offset
    _offset += by


def reset() -> None:
    """Put the clock back to real time."""
    global _offset
    _offset = timedelta(0)
