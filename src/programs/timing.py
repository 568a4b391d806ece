"""How long an exercise and a session take: the one formula every duration comes from.

    exercise seconds = sets x (work + rest_seconds)
    work             = the stated time for timed work ("30s", "12 min"),
                       else SETUP_SECONDS + SECONDS_PER_REP x the top of the rep range
    session minutes  = ceil((warm-up seconds + sum of exercise seconds) / 60)

Rest is counted after every set, the last included: it is the walk to the next
station, the change of plates. The template generator fits sessions with this
formula, the rules check every program (OpenAI's too) with it, and a
session's `duration_minutes` is always its result, so the reported length is
what the exercises take.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from programs.schemas import Exercise, Session, Week

SETUP_SECONDS = 5  # unrack, brace, set the feet
SECONDS_PER_REP = 4  # a controlled rep: about 2 s down, 1-2 s up (NSCA tempo guidance)
AMRAP_REPS = 12  # "AMRAP" and other words: counted as a long set
_TIMED = re.compile(r"^\s*(\d{1,4})\s*(s|sec|secs|seconds?|min|mins|minutes?)\s*$", re.IGNORECASE)
_NUMBERS = re.compile(r"\d{1,4}")


def timed_seconds(reps: str) -> int | None:
    """Seconds of work when `reps` is a time ("30s", "12 min"), else None."""
    match = _TIMED.match(reps)
    if match is None:
        return None
    amount = int(match.group(1))
    return amount * 60 if match.group(2).lower().startswith("m") else amount


def top_reps(reps: str) -> int:
    """The top of a rep range ("8-10" -> 10, "5" -> 5, "AMRAP" -> AMRAP_REPS)."""
    numbers = [int(number) for number in _NUMBERS.findall(reps)]
    return max(numbers) if numbers else AMRAP_REPS


@lru_cache(maxsize=4096)  # a pure function of a short string, asked thousands of times
def work_seconds(reps: str) -> int:
    """Seconds one set of work takes."""
    timed = timed_seconds(reps)
    if timed is not None:
        return timed
    return SETUP_SECONDS + SECONDS_PER_REP * top_reps(reps)


def exercise_seconds(exercise: Exercise) -> int:
    """Seconds an exercise takes: every set's work plus its rest."""
    return exercise.sets * (work_seconds(exercise.reps) + exercise.rest_seconds)


def session_seconds(session: Session) -> int:
    """Seconds a session takes: the warm-up and every exercise."""
    warmup = session.warmup.minutes * 60 if session.warmup else 0
    return warmup + sum(exercise_seconds(exercise) for exercise in session.exercises)


def minutes(seconds: int) -> int:
    """Whole minutes, rounded up: a session never claims to be shorter than it is."""
    return math.ceil(seconds / 60)


def session_minutes(session: Session) -> int:
    """The honest `duration_minutes` of a session."""
    return minutes(session_seconds(session))


def honest(week: Week) -> Week:
    """The week with every session's duration_minutes recomputed from its content."""
    sessions = [
        session.model_copy(update={"duration_minutes": session_minutes(session)})
        for session in week.sessions
    ]
    return week.model_copy(update={"sessions": sessions})
