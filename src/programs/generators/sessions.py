"""One week's sessions: the layout's picks at this week's dose, and the cardio days.

Every session's `duration_minutes` is `programs.timing.session_minutes` of
what it holds, and the layout fitted the peak week, so no week runs over.
Cardio time builds from `coaching.CARDIO_START_SHARE` of the session to all of
it over the building weeks (NSCA ch. 18: about 10 % more a week); a deload
eases it. A lifting deload cuts sets and ends early: the time it frees is rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from programs import coaching, timing
from programs.catalogue import (
    BY_NAME,
    PULL_PATTERNS,
    PUSH_PATTERNS,
    CatalogueExercise,
    by_pattern,
)
from programs.generators import doses, layout
from programs.generators.layout import Context, Day
from programs.schemas import EXERCISES_MAX, Exercise, Session, Warmup

MOBILITY_MAX = 8  # drills in a recovery session or a lifting day's mobility block
# A lifting day with this share of its time unused (a long session, a small kit) ends
# with mobility work: flexibility training is part of the week (ACSM GETP), not filler.
COOL_DOWN_SHARE = 0.15
MOBILITY_SETS_MAX = 4  # of 45 s: about 3 min per position (ACSM GETP: 60 s or more)
# Work seconds of an interval, by block: they lengthen as the program goes on.
INTERVAL_SECONDS = {"intervals": (60, 90, 120), "short_intervals": (30, 40, 45)}
INTERVAL_SHARE = 0.6  # of a cardio session's time; an easy steady finish takes the rest
_WARMUP = {
    "lift": "Easy cardio for a few minutes, dynamic mobility for the joints of the day, then "
    "two lighter ramp-up sets of the first lift.",
    "cardio": "Start easy and build to the session's pace; add leg swings and a few short, "
    "faster pick-ups.",
    "recovery": "Easy walking or cycling, then gentle joint circles from neck to ankles.",
}


@dataclass(frozen=True)
class WeekShape:
    """Where a week sits: its block and step, whether it deloads, its cardio share."""

    block: int
    step: int
    deload: bool
    cardio_share: float


def week_shape(number: int, weeks: int, experience: str) -> WeekShape:
    """The week's block, step, deload and cardio share (building weeks rise to 1.0)."""
    block, step = coaching.block_of(number, experience)  # type: ignore[arg-type]
    deload = coaching.deload_week(number, weeks, experience)  # type: ignore[arg-type]
    building = coaching.building_weeks(weeks, experience)  # type: ignore[arg-type]
    if deload:
        share = coaching.DELOAD_SHARE
    elif len(building) == 1:
        share = 1.0
    else:
        rise = building.index(number) / (len(building) - 1)
        share = coaching.CARDIO_START_SHARE + (1 - coaching.CARDIO_START_SHARE) * rise
    return WeekShape(block, step, deload, share)


def week(ctx: Context, days: tuple[Day, ...], shape: WeekShape) -> list[Session]:
    """Every day of the week at this week's dose, the week's pulling kept >= its pushing."""
    lifting = [
        [
            doses.lift(ctx.request, pick.exercise, pick.dose,
                       doses.week_sets(pick.sets, pick.role, shape.step, shape.deload),
                       shape.step, shape.deload)
            for pick in day.picks
        ]
        for day in days
    ]  # fmt: skip
    _balance(lifting)
    return [
        _session(ctx, day, shape, exercises) for day, exercises in zip(days, lifting, strict=True)
    ]


def _balance(week: list[list[Exercise]]) -> None:
    """Take sets off the pushing exercises with the most sets until the week pulls as much.

    The layout is balanced at its peak; a week's lighter dose (the first week of a
    block, a deload) takes sets off unevenly, so the same check runs on every week.
    """

    def pattern(exercise: Exercise) -> str:
        return BY_NAME[exercise.name].pattern

    pushes = [(d, i) for d, day in enumerate(week) for i, e in enumerate(day)
              if pattern(e) in PUSH_PATTERNS]  # fmt: skip
    excess = sum(week[d][i].sets for d, i in pushes) - sum(
        e.sets for day in week for e in day if pattern(e) in PULL_PATTERNS
    )
    while excess > 0:
        d, i = max(pushes, key=lambda key: (week[key[0]][key[1]].sets, key))
        if week[d][i].sets == 1:
            break  # every push is down to one set: the layout's balance covers the rest
        week[d][i] = week[d][i].model_copy(update={"sets": week[d][i].sets - 1})
        excess -= 1


def _session(ctx: Context, day: Day, shape: WeekShape, lifting: list[Exercise]) -> Session:
    """One day of the week at this week's dose."""
    if day.type.cardio is not None:
        exercises, kind = _cardio(ctx, day, shape), "cardio"
    elif lifting:
        exercises, kind = [*lifting, *_finisher(ctx, day, shape)], "lift"
        left = ctx.budget - sum(timing.exercise_seconds(e) for e in exercises)
        if shape.deload:  # a shorter session: the saved time is not filled with other work
            _give_back(ctx, day, exercises)
        elif left >= ctx.request.session_minutes * 60 * COOL_DOWN_SHARE:
            room = EXERCISES_MAX - len(exercises)
            exercises += _mobility_block(ctx, left, len(lifting) + day.number, room)
    else:
        exercises, kind = _recovery(ctx, shape), "recovery"
    warmup = Warmup(minutes=ctx.warmup_minutes, description=_WARMUP[kind])
    made = Session(day=day.number, name=day.name, duration_minutes=0, warmup=warmup,
                   exercises=exercises)  # fmt: skip
    return made.model_copy(update={"duration_minutes": timing.session_minutes(made)})


def _give_back(ctx: Context, day: Day, exercises: list[Exercise]) -> None:
    """A deload that would leave the session under even a deload's share of its time (a
    tiny kit) gives sets back, in priority order, up to the peak week's."""
    floor = ctx.request.session_minutes * 60 * coaching.DELOAD_MIN_TIME_SHARE
    total = ctx.warmup_minutes * 60 + sum(timing.exercise_seconds(e) for e in exercises)
    for index, pick in enumerate(day.picks):
        exercise = exercises[index]
        per_set = timing.work_seconds(exercise.reps) + exercise.rest_seconds
        while total < floor and exercise.sets < pick.sets and total + per_set <= ctx.budget_end:
            exercise = exercise.model_copy(update={"sets": exercise.sets + 1})
            total += per_set
        exercises[index] = exercise


def _finisher(ctx: Context, day: Day, shape: WeekShape) -> list[Exercise]:
    """The layout's conditioning finisher, its rounds building with the weeks like cardio."""
    peak = layout.finisher_rounds(ctx.key, day.number)
    rounds = int(peak * shape.cardio_share)
    if rounds < 1:
        return []
    options = by_pattern(ctx.pool, "intervals")
    work, rest = layout.FINISHER_DOSE
    effort = options[(day.number + shape.block) % len(options)]
    return [doses.cardio(effort, rounds, f"{work}s", rest, "hard")]


def _mobility_block(
    ctx: Context, seconds: int, start: int, room: int = MOBILITY_MAX
) -> list[Exercise]:
    """Up to `room` mobility drills that fit in `seconds`, starting further down each day."""
    options = by_pattern(ctx.pool, "mobility")
    count = min(MOBILITY_MAX, room, len(options))
    fit = seconds // (count * doses.MOBILITY_SET_SECONDS) if count else 0
    sets = max(2, min(MOBILITY_SETS_MAX, fit))
    drills = []
    for index in range(count):
        drill = doses.mobility(options[(start + index) % len(options)], sets)
        if timing.exercise_seconds(drill) > seconds:
            break
        drills.append(drill)
        seconds -= timing.exercise_seconds(drill)
    return drills


def _recovery(ctx: Context, shape: WeekShape) -> list[Exercise]:
    """Mobility drills, then an easy walk or ride for the rest of the time."""
    drills = _mobility_block(ctx, ctx.budget, 0)
    left = ctx.budget - sum(timing.exercise_seconds(e) for e in drills)
    minutes = int(left * shape.cardio_share // 60)
    if minutes >= 1:
        drills.append(doses.cardio(_steady(ctx, 0), 1, f"{minutes} min", 0, "easy"))
    return drills


def _steady(ctx: Context, offset: int) -> CatalogueExercise:
    options = by_pattern(ctx.pool, "steady")
    return options[offset % len(options)]


def _cardio(ctx: Context, day: Day, shape: WeekShape) -> list[Exercise]:
    """Long and tempo days are steady work; interval days are intervals, then an easy finish."""
    kind = day.type.cardio
    minutes = max(1, int(ctx.budget * shape.cardio_share // 60))
    if kind == "long":
        return [doses.cardio(_steady(ctx, 0), 1, f"{minutes} min", 0, "easy")]
    if kind == "tempo":
        steady = _steady(ctx, day.type.offset)
        half = (minutes - 4) // 2  # two efforts with 2 easy minutes after each
        if half >= 5:
            return [doses.cardio(steady, 2, f"{half} min", 120, "tempo")]
        # One effort and 2 easy minutes: never the long day's workout in a short session.
        return [doses.cardio(steady, 1, f"{max(1, minutes - 2)} min", 120, "tempo")]
    return _intervals(ctx, day, shape, minutes)


def _intervals(ctx: Context, day: Day, shape: WeekShape, minutes: int) -> list[Exercise]:
    """Efforts of 30-120 s with equal or longer easy recoveries, then an easy finish."""
    kind = day.type.cardio or "intervals"
    work = INTERVAL_SECONDS[kind][min(shape.block, 2)]
    rest = work * (2 if kind == "short_intervals" or ctx.request.experience == "beginner" else 1)
    options = by_pattern(ctx.pool, "intervals")
    effort = options[(day.type.offset + shape.block) % len(options)]
    total = minutes * 60
    rounds = max(1, min(total // (work + rest), round(total * INTERVAL_SHARE / (work + rest))))
    exercises = [doses.cardio(effort, rounds, f"{work}s", rest, "hard")]
    finish = (total - rounds * (work + rest)) // 60
    if finish >= 1:
        exercises.append(doses.cardio(_steady(ctx, day.type.offset), 1, f"{finish} min", 0, "easy"))
    return exercises
