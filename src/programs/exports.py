"""A finished program as files people use elsewhere: a calendar (RFC 5545) and a sheet (CSV).

Both read the stored program JSON (the contract's Program), so they work on any
program a generator wrote, and neither knows about jobs.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: The default weekdays for n sessions a week: spread out, rest days between hard days
#: where the week allows (Mon/Wed/Fri for three).
SPREAD: dict[int, tuple[str, ...]] = {
    1: ("mon",),
    2: ("mon", "thu"),
    3: ("mon", "wed", "fri"),
    4: ("mon", "tue", "thu", "fri"),
    5: ("mon", "tue", "wed", "fri", "sat"),
    6: ("mon", "tue", "wed", "thu", "fri", "sat"),
    7: WEEKDAYS,
}
CSV_COLUMNS = (
    "week",
    "day",
    "session",
    "order",
    "exercise",
    "sets",
    "reps",
    "rest_seconds",
    "notes",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell starting so
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PRODID = "-//progen//training program//EN"


class ExportError(ValueError):
    """A calendar option that cannot be used; its text says which and why."""


@dataclass(frozen=True)
class CalendarOptions:
    """When the sessions happen: the first week's start, the weekdays, the time and zone."""

    start: date
    weekdays: tuple[int, ...]  # 0 = Monday, one per session of a week, in session order
    at: time
    zone: ZoneInfo


def next_monday(today: date) -> date:
    """The Monday after today (a week ahead when today is a Monday)."""
    return today + timedelta(days=7 - today.weekday())


def calendar_options(
    *, days_per_week: int, start: str | None, days: str | None, at: str | None, tz: str | None
) -> CalendarOptions:
    """Checked options from the query's text; ExportError names the bad one."""
    zone = _zone(tz or "UTC")
    when = _start(start) if start else next_monday(datetime.now(zone).date())
    return CalendarOptions(
        start=when, weekdays=_weekdays(days, days_per_week), at=_time(at or "18:00"), zone=zone
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ExportError(
            f"tz: {name[:64]!r} is not an IANA time zone name such as Europe/Paris"
        ) from None


def _start(text: str) -> date:
    try:
        when = date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:  # 2026-02-30
        when = None
    if when is None or not 1970 <= when.year <= 2999:
        raise ExportError(f"start: {text[:32]!r} is not a date written YYYY-MM-DD (1970 to 2999)")
    return when


def _time(text: str) -> time:
    match = _TIME.fullmatch(text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ExportError(f"time: {text[:32]!r} is not a time written HH:MM (00:00 to 23:59)")
    return time(int(match[1]), int(match[2]))


def _weekdays(text: str | None, count: int) -> tuple[int, ...]:
    names = SPREAD[count] if text is None else tuple(n.strip().lower() for n in text.split(","))
    unknown = [name for name in names if name not in WEEKDAYS]
    if unknown:
        raise ExportError(f"days: {unknown[0][:16]!r} is not one of {', '.join(WEEKDAYS)}")
    if len(set(names)) != len(names):
        raise ExportError("days: each weekday may appear once")
    if len(names) != count:
        raise ExportError(f"days: give {count} weekdays, one per session of a week")
    return tuple(WEEKDAYS.index(name) for name in names)


def session_dates(options: CalendarOptions, weeks: int) -> list[list[date]]:
    """The date of each session, per week: week 1 is the 7 days from `start`.

    The chosen weekdays are taken in the order they fall after `start`, so day 1
    of a week always comes before day 2, whatever weekday the program starts on.
    """
    offsets = sorted((day - options.start.weekday()) % 7 for day in options.weekdays)
    return [
        [options.start + timedelta(days=7 * week + offset) for offset in offsets]
        for week in range(weeks)
    ]


def _exercise_line(exercise: Mapping[str, Any]) -> str:
    name, sets, reps, rest = (exercise[key] for key in ("name", "sets", "reps", "rest_seconds"))
    line = f"{name}: {sets} × {reps}, rest {rest} s"
    return f"{line} ({exercise['notes']})" if exercise.get("notes") else line


def _description(session: Mapping[str, Any]) -> str:
    lines = [_exercise_line(exercise) for exercise in session["exercises"]]
    warmup = session.get("warmup")
    if warmup:
        lines.insert(0, f"Warm-up: {_warmup_text(warmup)}")
    return "\n".join(lines)


def _warmup_text(warmup: Any) -> str:
    """A warm-up in words, whether a generator wrote it as text, items or an object."""
    if isinstance(warmup, str):
        return warmup
    if isinstance(warmup, Mapping):
        return "; ".join(str(value) for value in warmup.values() if value)
    if isinstance(warmup, Sequence):
        return "; ".join(_warmup_text(item) for item in warmup)
    return str(warmup)


def to_ics(program: Mapping[str, Any], options: CalendarOptions, *, uid: str) -> bytes:
    """The program as a calendar: one event per session, at the chosen days and time."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", program["title"])
    stamp = datetime.now(UTC)
    weeks = program["weeks"]
    for week, dates in zip(weeks, session_dates(options, len(weeks)), strict=True):
        for session, day in zip(week["sessions"], dates, strict=True):
            event = icalendar.Event()
            event.add("uid", f"{uid}-w{week['week']}-d{session['day']}@progen")
            event.add("dtstamp", stamp)
            event.add("summary", session["name"])
            event.add("description", _description(session))
            event.add("dtstart", datetime.combine(day, options.at, tzinfo=options.zone))
            event.add("duration", timedelta(minutes=session["duration_minutes"]))
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _cell(value: object) -> str | int:
    """Text that a spreadsheet would run as a formula is quoted (OWASP's CSV injection)."""
    if isinstance(value, int):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _csv_rows(program: Mapping[str, Any]) -> Iterator[tuple[str | int, ...]]:
    for week in program["weeks"]:
        for session in week["sessions"]:
            for order, exercise in enumerate(session["exercises"], start=1):
                yield tuple(
                    _cell(value)
                    for value in (
                        week["week"], session["day"], session["name"], order, exercise["name"],
                        exercise["sets"], exercise["reps"], exercise["rest_seconds"],
                        exercise.get("notes", ""),
                    )
                )  # fmt: skip


def to_csv(program: Mapping[str, Any]) -> str:
    """One row per exercise, under a header row (CONTRACT.md's columns)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_rows(program))
    return out.getvalue()


def filename(program: Mapping[str, Any], job_id: str, suffix: str) -> str:
    """`<title>-<id's random end>.<suffix>`: readable, and different for every job.

    Job ids are time-first (UUIDv7), so their start is shared by jobs made the same
    minute; their last characters are random.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", str(program.get("title", "")).lower()).strip("-")[:60]
    return f"{slug or 'program'}-{job_id.replace('-', '')[-8:]}.{suffix}"
