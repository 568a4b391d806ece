"""Hard rules: a program that breaks one cannot be handed over (time, kit, injury, counts).

Each rule is a function over (request, program) that returns its problems in
words; an OpenAI answer that breaks one is sent back once with those words.
"""

from __future__ import annotations

from programs import notes, timing
from programs.rules.exercises import describe
from programs.rules.facts import sessions, where
from programs.schemas import Program, ProgramRequest, Week


def week_structure(request: ProgramRequest, week: Week, number: int) -> list[str]:
    """Problems with one week's numbering and its number of sessions."""
    problems = []
    if week.week != number:
        problems.append(f"week is {week.week}, expected {number}")
    days = [session.day for session in week.sessions]
    expected = list(range(1, request.days_per_week + 1))
    if days != expected:
        problems.append(
            f"week {number}: sessions have days {days}, expected exactly "
            f"{request.days_per_week} sessions with days {expected}"
        )
    return problems


# Source: the contract (CONTRACT.md, "Program"): the weeks and days asked for.
def counts_match_request(request: ProgramRequest, program: Program) -> list[str]:
    """As many weeks and sessions as asked, numbered from 1."""
    problems = []
    if len(program.weeks) != request.weeks:
        problems.append(f"the program has {len(program.weeks)} weeks, asked for {request.weeks}")
    for number, week in enumerate(program.weeks, start=1):
        problems.extend(week_structure(request, week, number))
    return problems


# Source: ACSM GETP (the FITT prescription: time is part of the dose) and the request.
def fits_the_time(request: ProgramRequest, program: Program) -> list[str]:
    """No session takes longer than the minutes asked, by `programs.timing`."""
    return [
        f"{where(week, session)}: takes {timing.session_minutes(session)} min by "
        f"sets x (work + rest) plus the warm-up, over the {request.session_minutes} asked; "
        "drop an exercise or a set, never rest"
        for week, session in sessions(program)
        if timing.session_minutes(session) > request.session_minutes
    ]


# Source: honest reporting; the formula is `programs.timing`.
def duration_is_honest(request: ProgramRequest, program: Program) -> list[str]:
    """Each session's duration_minutes is what its warm-up and exercises take."""
    return [
        f"{where(week, session)}: says {session.duration_minutes} min, its content takes "
        f"{timing.session_minutes(session)}"
        for week, session in sessions(program)
        if session.duration_minutes != timing.session_minutes(session)
    ]


# Source: the request: only the equipment given (bodyweight is always there).
def equipment_owned(request: ProgramRequest, program: Program) -> list[str]:
    """Every exercise uses only the equipment the person has."""
    owned = {*request.equipment, "bodyweight"}
    problems = []
    for week, session in sessions(program):
        for exercise in session.exercises:
            missing = describe(exercise).equipment - owned
            if missing:
                kit = ", ".join(sorted(missing)).replace("_", " ")
                problems.append(f"{where(week, session)}: {exercise.name} needs {kit}")
    return problems


# Source: ACSM GETP (exercise with musculoskeletal conditions: avoid movements that
# provoke pain) and the person's own stated dislikes (adherence: WHO 2020).
def respects_notes(request: ProgramRequest, program: Program) -> list[str]:
    """No exercise the notes rule out: injuries, dislikes and constraints."""
    reading = notes.read(request.notes)
    if not (reading.avoid or reading.names):
        return []
    problems = []
    for week, session in sessions(program):
        for exercise in session.exercises:
            hit = describe(exercise).tags & reading.avoid
            if hit or exercise.name in reading.names or _disliked(exercise.name, request.notes):
                why = ", ".join(sorted(hit)).replace("_", " ") or "named in the notes"
                problems.append(f"{where(week, session)}: {exercise.name} ({why}) goes "
                                "against the notes")  # fmt: skip
    return problems


def _disliked(name: str, text: str) -> bool:
    """A model's own exercise name that the notes' dislikes name ("Easy jog")."""
    labels = notes.read(text).labels
    return any(rule.label in labels and rule.mention.search(name) for rule in notes.ACTIVITIES)
