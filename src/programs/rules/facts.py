"""Facts about sessions and weeks that several rules read."""

from __future__ import annotations

from collections.abc import Iterator

from programs import timing
from programs.catalogue import CARDIO_PATTERNS, LOWER_PATTERNS, PULL_PATTERNS, PUSH_PATTERNS
from programs.rules.exercises import describe
from programs.schemas import Exercise, Program, Session, Week

COMPOUND = frozenset(
    {"squat", "hinge", "lunge", "horizontal_push", "vertical_push", "horizontal_pull",
     "vertical_pull"}
)  # fmt: skip
UPPER_PATTERNS = PUSH_PATTERNS | PULL_PATTERNS
MAIN_LIFTS_MAX = 2  # a session's main lifts: its leading compound lifts, at most two


def where(week: Week, session: Session) -> str:
    """How a problem names its session: "week 2, day 3 (Upper body A)"."""
    return f"week {week.week}, day {session.day} ({session.name})"


def sessions(program: Program) -> Iterator[tuple[Week, Session]]:
    """Every session of the program with its week."""
    for week in program.weeks:
        for session in week.sessions:
            yield week, session


def is_cardio(exercise: Exercise) -> bool:
    """Intervals or steady aerobic work."""
    return describe(exercise).kind in CARDIO_PATTERNS


def is_resistance(exercise: Exercise) -> bool:
    """A lift or a hold: the work sets, reps and rest are about."""
    return describe(exercise).kind in ("lift", "hold")


def main_lifts(session: Session) -> list[Exercise]:
    """The session's leading compound lifts: what it is built around."""
    mains = []
    for exercise in session.exercises:
        described = describe(exercise)
        if described.kind != "lift" or described.pattern not in COMPOUND:
            break
        mains.append(exercise)
        if len(mains) == MAIN_LIFTS_MAX:
            break
    return mains


def cardio_seconds(session: Session) -> int:
    """Seconds of the session spent on cardio."""
    return sum(timing.exercise_seconds(e) for e in session.exercises if is_cardio(e))


def is_cardio_session(session: Session) -> bool:
    """A session that is mostly cardio (a conditioning or aerobic day)."""
    total = sum(timing.exercise_seconds(e) for e in session.exercises)
    return total > 0 and cardio_seconds(session) * 2 >= total


def pattern_sets(week: Week) -> dict[str, int]:
    """Working sets per movement pattern in a week."""
    counts: dict[str, int] = {}
    for session in week.sessions:
        for exercise in session.exercises:
            described = describe(exercise)
            if described.kind in ("lift", "hold") and described.pattern:
                counts[described.pattern] = counts.get(described.pattern, 0) + exercise.sets
    return counts


def push_pull_lower(week: Week) -> tuple[int, int, int]:
    """Sets of pushing, pulling and lower-body work in a week."""
    counts = pattern_sets(week)
    return (
        sum(counts.get(p, 0) for p in PUSH_PATTERNS),
        sum(counts.get(p, 0) for p in PULL_PATTERNS),
        sum(counts.get(p, 0) for p in LOWER_PATTERNS),
    )


def lift_sets(week: Week) -> int:
    """Working sets of resistance exercise in a week."""
    return sum(e.sets for s in week.sessions for e in s.exercises if is_resistance(e))


def all_sets(week: Week) -> int:
    """Every set of the week, whatever its kind (what a naive volume count sees)."""
    return sum(e.sets for s in week.sessions for e in s.exercises)


def cardio_minutes(week: Week) -> float:
    """Minutes of cardio in a week."""
    return sum(cardio_seconds(session) for session in week.sessions) / 60


def is_deload(week: Week) -> bool:
    """A week its focus calls a deload (or recovery week)."""
    focus = week.focus.lower()
    return "deload" in focus or "recovery week" in focus
