"""Soft rules: what a coach would change before handing a program over.

An OpenAI program that breaks one keeps it as a warning on the result (no
one pays twice for taste); the template generator breaks none, by construction.
"""

from __future__ import annotations

import itertools
import re

from programs import coaching, notes, timing
from programs.catalogue import BEGINNER_AVOID
from programs.rules import facts
from programs.rules.exercises import describe
from programs.rules.facts import sessions, where
from programs.schemas import Program, ProgramRequest, Session, Week

_RIR_WORDS = re.compile(r"\brir\b|reps? in reserve|\brpe\b|reps? left", re.IGNORECASE)
_CARDIO_WORDS = re.compile(r"talk|pace|conversation|breath|\brpe\b|zone|heart rate", re.IGNORECASE)
_HOLD_WORDS = re.compile(r"\bhold|form|quality|\brpe\b|breath", re.IGNORECASE)
_NEAR_FAILURE = re.compile(r"\brir 0\b|to failure|\brpe (?:9|10)\b|\b0 reps? in reserve", re.I)
_GOAL_WORDS = {
    "strength": r"strength|strong|powerlifting",
    "hypertrophy": r"muscle|hypertrophy|size|bodybuilding",
    "endurance": r"endurance|aerobic|stamina|conditioning|cardio",
    "fat_loss": r"fat|lean|weight loss|conditioning",
    "general_fitness": r"fitness|fit|all-round|health",
}
_DAY_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(words, re.IGNORECASE))
    for kind, words in (
        ("cardio", r"conditioning|cardio|interval|aerobic|endurance|tempo|run\b|ride|long"),
        ("recovery", r"mobility|recovery|stretch"),
        ("full", r"full[- ]body|total body|whole body"),
        ("upper", r"upper"),
        ("lower", r"lower|legs?\b"),
        ("push", r"\bpush\b"),
        ("pull", r"\bpull\b"),
    )
)


# Source: WHO 2020 (use the time available) and ACSM GETP (FITT: time is the dose).
def uses_the_time(request: ProgramRequest, program: Program) -> list[str]:
    """A session is not far under the time asked (a deload's may be shorter, on purpose)."""

    def floor(week: Week) -> float:
        share = coaching.DELOAD_MIN_TIME_SHARE if facts.is_deload(week) else coaching.MIN_TIME_SHARE
        return request.session_minutes * share

    return [
        f"{where(week, session)}: takes {timing.session_minutes(session)} min of the "
        f"{request.session_minutes} asked"
        for week, session in sessions(program)
        if timing.session_minutes(session) < floor(week)
    ]


# Source: NSCA ch. 17 (rest by goal: strength 2-5 min, hypertrophy 30-90 s,
# endurance <= 30 s); ACSM 2009 (2-3 min for core lifts at heavier loads).
def rest_fits_the_goal(request: ProgramRequest, program: Program) -> list[str]:
    """Rest is what the goal needs after each lift, main lifts most: not cut for time."""
    least = coaching.MIN_REST[request.goal]
    problems = []
    for week, session in sessions(program):
        mains = {id(e) for e in facts.main_lifts(session)}
        for exercise in session.exercises:
            if describe(exercise).kind != "lift":
                continue
            need = least["main"] if id(exercise) in mains else least["other"]
            too_long = (
                request.goal == "endurance" and exercise.rest_seconds > coaching.MAX_REST_ENDURANCE
            )
            if exercise.rest_seconds < need or too_long:
                limit = ", under 90 s" if too_long else ""
                problems.append(f"{where(week, session)}: {exercise.name} rests "
                                f"{exercise.rest_seconds} s; {request.goal} needs "
                                f"{need} s or more{limit}")  # fmt: skip
    return problems


# Source: ACSM 2009 (loading by goal and training status), NSCA ch. 17 table 17.7.
def reps_fit_the_goal(request: ProgramRequest, program: Program) -> list[str]:
    """Rep ranges fit the goal; beginners never train to failure."""
    (main_low, main_high), (low, high) = coaching.REP_LIMITS[request.goal]
    problems = []
    for week, session in sessions(program):
        mains = {id(e) for e in facts.main_lifts(session)}
        for exercise in session.exercises:
            if describe(exercise).kind != "lift" or timing.timed_seconds(exercise.reps):
                continue
            bottom, top = (main_low, main_high) if id(exercise) in mains else (low, high)
            reps = timing.top_reps(exercise.reps)
            if not bottom <= reps <= top:
                problems.append(f"{where(week, session)}: {exercise.name} {exercise.reps} reps "
                                f"is outside {bottom}-{top} for {request.goal}")  # fmt: skip
            if request.experience == "beginner" and _NEAR_FAILURE.search(exercise.notes):
                problems.append(f"{where(week, session)}: {exercise.name} takes a beginner "
                                "to failure")  # fmt: skip
    return problems


# Source: NSCA ch. 17 and 18 (RIR/RPE for lifts; talk test for aerobic work).
def effort_fits_the_kind(request: ProgramRequest, program: Program) -> list[str]:
    """Each exercise has a cue and an effort instruction of its kind."""
    words = {"lift": _RIR_WORDS, "hold": _HOLD_WORDS, "intervals": _CARDIO_WORDS,
             "steady": _CARDIO_WORDS}  # fmt: skip
    problems = []
    for week, session in sessions(program):
        for exercise in session.exercises:
            kind = describe(exercise).kind
            wanted = words.get(kind)
            if wanted is not None and not wanted.search(exercise.notes):
                problems.append(f"{where(week, session)}: {exercise.name} has no {kind} "
                                "effort instruction")  # fmt: skip
            elif kind == "mobility" and not exercise.notes.strip():
                problems.append(f"{where(week, session)}: {exercise.name} has no cue")
    return problems


# Source: NSCA ch. 17 (balance agonist and antagonist; pull at least as much as push
# for shoulder health); ACSM 2009 (multi-joint exercises for all major muscle groups).
def balanced_week(request: ProgramRequest, program: Program) -> list[str]:
    """Each week pulls at least as much as it pushes and trains lower and upper body."""
    problems = []
    for week in program.weeks:
        push, pull, lower = facts.push_pull_lower(week)
        if push > pull:
            problems.append(f"week {week.week}: {push} sets of pushing, {pull} of pulling")
        resistance = sum(1 for s in week.sessions for e in s.exercises if facts.is_resistance(e))
        if resistance >= 4 and (lower == 0 or push + pull == 0):
            problems.append(f"week {week.week}: trains only the "
                            f"{'upper' if lower == 0 else 'lower'} body")  # fmt: skip
    return problems


# Source: NSCA ch. 17 (split routines: each day trains what it is named for).
def day_names_fit(request: ProgramRequest, program: Program) -> list[str]:
    """A day's name says what it trains; no two sessions of a week are the same."""
    problems = []
    for week in program.weeks:
        seen: dict[tuple[str, ...], int] = {}
        for session in week.sessions:
            problems.extend(f"{where(week, session)}: {problem}" for problem in _name(session))
            # The same exercises, sets and reps in the same order: a tiny pool (bodyweight,
            # bad knees) may share exercises between days, but not the whole workout.
            key = tuple((e.name, e.sets, e.reps) for e in session.exercises)
            if key in seen:
                problems.append(f"{where(week, session)}: the same workout as day {seen[key]}")
            seen.setdefault(key, session.day)
    return problems


def _name(session: Session) -> list[str]:
    said = {kind for kind, words in _DAY_WORDS if words.search(session.name)}
    patterns = {describe(e).pattern for e in session.exercises if facts.is_resistance(e)}
    lower, upper = patterns & facts.LOWER_PATTERNS, patterns & facts.UPPER_PATTERNS
    checks = [
        ("cardio" in said and not facts.is_cardio_session(session), "is not mostly cardio"),
        ("recovery" in said and bool(patterns - {"core"}), "has lifting on a recovery day"),
        ("full" in said and not (lower and upper), "does not train the whole body"),
        ("upper" in said and bool(lower), "has lower-body lifts"),
        ("lower" in said and bool(upper), "has upper-body lifts"),
        ("push" in said and bool(patterns & facts.PULL_PATTERNS), "has pulling"),
        ("pull" in said and bool(patterns & facts.PUSH_PATTERNS), "has pushing"),
    ]
    return [problem for broken, problem in checks if broken]


# Source: ACSM 2009 (concurrent aerobic work interferes with strength and hypertrophy),
# NSCA ch. 18 (progress aerobic duration gradually), WHO 2020.
def cardio_where_it_belongs(request: ProgramRequest, program: Program) -> list[str]:
    """No cardio padding in lifting sessions; endurance and fat-loss cardio progresses."""
    problems = []
    for week, session in sessions(program):
        cardio = facts.cardio_seconds(session)
        lifting = any(facts.is_resistance(e) for e in session.exercises)
        if lifting and cardio and not facts.is_cardio_session(session):
            if request.goal in ("strength", "hypertrophy") or cardio * 4 > timing.session_seconds(
                session
            ):
                problems.append(f"{where(week, session)}: {cardio // 60} min of cardio pads "
                                "a lifting session")  # fmt: skip
    if request.goal in ("endurance", "fat_loss"):
        problems.extend(_cardio_progresses(program))
    return problems


def _cardio_progresses(program: Program) -> list[str]:
    """Within a block (the weeks between deloads) cardio never drops; overall it builds."""
    problems = []
    for before, week in itertools.pairwise(program.weeks):
        if facts.is_deload(before) or facts.is_deload(week):
            continue
        earlier, later = facts.cardio_minutes(before), facts.cardio_minutes(week)
        if later < earlier - 0.5:
            problems.append(f"week {week.week}: {later:.0f} min of cardio, down from {earlier:.0f}")
    building = [facts.cardio_minutes(w) for w in program.weeks if not facts.is_deload(w)]
    if len(building) >= 3 and 0 < building[-1] <= building[0]:
        problems.append("cardio does not build over the program")
    return problems


# Source: ACSM 2009 (progressive overload; vary volume and intensity, with planned
# recovery), NSCA ch. 17 (deload frequency rises with training age).
def progresses_and_deloads(request: ProgramRequest, program: Program) -> list[str]:
    """Volume never drops outside a deload, and a deload never does more than the week
    before it; deloads come as often as the experience needs."""
    problems = []
    weeks = program.weeks
    for before, week in itertools.pairwise(weeks):
        if facts.is_deload(week) and not facts.is_deload(before):
            if facts.lift_sets(week) > facts.lift_sets(before) or (
                facts.all_sets(week) > facts.all_sets(before)
            ):
                problems.append(
                    f"week {week.week} is a deload but does more than week {before.week}"
                )
            continue
        if facts.is_deload(before) or facts.is_deload(week):
            continue
        if facts.lift_sets(week) < facts.lift_sets(before) or (
            facts.cardio_minutes(week) < facts.cardio_minutes(before) - 0.5
        ):
            problems.append(f"week {week.week} does less than week {before.week} without a deload")
    limit = coaching.BLOCK_WEEKS[request.experience]
    run = 0
    for week in weeks:
        run = 0 if facts.is_deload(week) else run + 1
        if run > limit:
            problems.append(f"week {week.week}: {run} hard weeks in a row; a "
                            f"{request.experience} needs a deload every {limit}")  # fmt: skip
            run = 0
    return problems


# Source: ACSM 2009 (novices: simple, stable exercises), ACSM GETP (low impact first).
def beginner_friendly(request: ProgramRequest, program: Program) -> list[str]:
    """Beginners get simple, low-skill, low-impact exercises."""
    if request.experience != "beginner":
        return []
    return [
        f"{where(week, session)}: {exercise.name} is too technical or high-impact for a beginner"
        for week, session in sessions(program)
        for exercise in session.exercises
        if describe(exercise).tags & BEGINNER_AVOID
    ]


# Source: ACSM GETP (every session starts with a 5-10 min warm-up, its own phase).
def warms_up(request: ProgramRequest, program: Program) -> list[str]:
    """Each session has its own warm-up, and no exercise pretends to be one."""
    problems = []
    for week, session in sessions(program):
        if session.warmup is None or session.warmup.minutes < 3:
            problems.append(f"{where(week, session)}: no warm-up of 3 min or more")
        if any(re.search(r"warm[- ]?up", e.name, re.IGNORECASE) for e in session.exercises):
            problems.append(f"{where(week, session)}: the warm-up is listed as an exercise")
    return problems


# Source: plain speaking: a title and summary say what the program is and what changed.
def says_what_it_is(request: ProgramRequest, program: Program) -> list[str]:
    """The title names the goal; every change the notes caused is said."""
    problems = []
    if not re.search(_GOAL_WORDS[request.goal], program.title, re.IGNORECASE):
        problems.append(f"the title {program.title!r} does not say it is a "
                        f"{request.goal.replace('_', ' ')} program")  # fmt: skip
    said = set(program.notes_applied)
    missing = [
        change
        for change in notes.read(request.notes).applied
        if change not in said and change.split(":")[0] not in program.summary
    ]
    if missing:
        problems.append(f"the program does not say what the notes changed: {missing[0]}")
    return problems
