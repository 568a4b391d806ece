"""The offline generator: coach-style programs built from the catalogue, no network.

Deterministic by construction (no randomness), so the same request always
gets the same program and tests can pin its properties.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from programs.catalogue import (
    BW,
    CatalogueExercise,
    Pattern,
    adaptations,
    available,
    by_pattern,
    excluded_tags,
)
from programs.errors import PermanentGenerationError
from programs.generators.base import ProgramGenerator
from programs.schemas import Exercise, Goal, Plan, PlanWeek, ProgramRequest, Session, Week

Role = Literal["main", "accessory", "core", "conditioning", "mobility"]


@dataclass(frozen=True)
class DayType:
    """A kind of training day: its name and its slots in priority order.

    `offset` starts the day further down each pattern's options, so days differ.
    """

    name: str
    slots: tuple[tuple[Pattern, Role], ...]
    offset: int = 0


FULL_BODY_A = DayType("Full body A", (
    ("squat", "main"), ("horizontal_push", "main"), ("horizontal_pull", "accessory"),
    ("lunge", "accessory"), ("legs_accessory", "accessory"), ("core", "core"),
    ("arms", "accessory"), ("vertical_pull", "accessory"), ("core", "core"),
))  # fmt: skip
FULL_BODY_B = DayType("Full body B", (
    ("hinge", "main"), ("vertical_push", "main"), ("vertical_pull", "accessory"),
    ("squat", "accessory"), ("horizontal_push", "accessory"), ("carry", "core"),
    ("core", "core"), ("arms", "accessory"), ("legs_accessory", "accessory"),
))  # fmt: skip
# Day C rotates to the second option of each pattern (front squat, Romanian deadlift).
FULL_BODY_C = DayType("Full body C", (
    ("squat", "main"), ("horizontal_pull", "main"), ("hinge", "accessory"),
    ("horizontal_push", "accessory"), ("vertical_pull", "accessory"), ("core", "core"),
    ("lunge", "accessory"), ("carry", "core"), ("arms", "accessory"),
), offset=1)  # fmt: skip
UPPER = DayType("Upper body", (
    ("horizontal_push", "main"), ("horizontal_pull", "main"), ("vertical_push", "accessory"),
    ("vertical_pull", "accessory"), ("horizontal_push", "accessory"),
    ("horizontal_pull", "accessory"), ("arms", "accessory"), ("arms", "accessory"),
    ("core", "core"),
))  # fmt: skip
LOWER = DayType("Lower body", (
    ("squat", "main"), ("hinge", "main"), ("lunge", "accessory"), ("legs_accessory", "accessory"),
    ("hinge", "accessory"), ("legs_accessory", "accessory"), ("core", "core"), ("carry", "core"),
))  # fmt: skip
PUSH = DayType("Push", (
    ("horizontal_push", "main"), ("vertical_push", "main"), ("horizontal_push", "accessory"),
    ("arms", "accessory"), ("arms", "accessory"), ("core", "core"), ("core", "core"),
))  # fmt: skip
PULL = DayType("Pull", (
    ("vertical_pull", "main"), ("horizontal_pull", "main"), ("horizontal_pull", "accessory"),
    ("arms", "accessory"), ("arms", "accessory"), ("carry", "core"), ("core", "core"),
))  # fmt: skip
LEGS = DayType("Legs", (
    ("squat", "main"), ("hinge", "main"), ("lunge", "accessory"), ("legs_accessory", "accessory"),
    ("legs_accessory", "accessory"), ("core", "core"), ("carry", "core"),
))  # fmt: skip
# Intervals first; the rest of the session is steady aerobic work.
CONDITIONING = DayType("Conditioning", (
    ("conditioning", "conditioning"), ("conditioning", "conditioning"), ("carry", "core"),
    ("conditioning", "conditioning"), ("core", "core"),
))  # fmt: skip
MOBILITY = DayType("Mobility and recovery", (("mobility", "mobility"),) * 7)

FA, FB, FC = FULL_BODY_A, FULL_BODY_B, FULL_BODY_C
U, L, C = UPPER, LOWER, CONDITIONING
_PPL = (PUSH, PULL, LEGS)
# Weekly splits by days per week: full body up to 3 days, then upper/lower and push/pull/legs.
LIFTING_SPLITS = {
    1: (FA,), 2: (FA, FB), 3: (FA, FB, FC), 4: (U, L, U, L), 5: (U, L, *_PPL),
    6: _PPL * 2, 7: (*_PPL * 2, MOBILITY),
}  # fmt: skip
# Endurance and fat loss alternate lifting with conditioning days.
CONDITIONING_SPLITS = {
    1: (FA,), 2: (FA, C), 3: (FA, C, FB), 4: (U, C, L, C), 5: (U, C, L, C, FA),
    6: (U, C, L, C, FA, C), 7: (U, C, L, C, FA, C, MOBILITY),
}  # fmt: skip
# General fitness: lifting first, one conditioning day once there are four or more.
GENERAL_SPLITS = {
    1: (FA,), 2: (FA, FB), 3: (FA, FB, FC), 4: (U, L, C, FA), 5: (U, L, C, U, L),
    6: (U, L, C, U, L, C), 7: (U, L, C, U, L, C, MOBILITY),
}  # fmt: skip


def _split(goal: Goal, days: int) -> tuple[DayType, ...]:
    """The week's day types for this goal and number of days."""
    if goal in ("endurance", "fat_loss"):
        return CONDITIONING_SPLITS[days]
    if goal == "general_fitness":
        return GENERAL_SPLITS[days]
    return LIFTING_SPLITS[days]


@dataclass(frozen=True)
class Dose:
    """One exercise's prescription; `work` is the seconds one set takes."""

    sets: int
    reps: str
    work: int
    rest: int

    @property
    def per_set(self) -> int:
        """Seconds one set takes with its rest."""
        return self.work + self.rest

    def seconds(self) -> int:
        """Time this exercise takes: every set's work plus its rest."""
        return self.sets * self.per_set


# (sets for an intermediate, reps, seconds per set, rest seconds) by goal and role.
_BASE: dict[Goal, dict[Role, tuple[int, str, int, int]]] = {
    "strength": {"main": (3, "5", 25, 180), "accessory": (3, "8-10", 35, 90),
                 "core": (3, "30s", 30, 60), "conditioning": (4, "20s", 20, 70)},
    "hypertrophy": {"main": (3, "6-8", 35, 120), "accessory": (3, "10-12", 45, 75),
                    "core": (3, "40s", 40, 45), "conditioning": (4, "30s", 30, 60)},
    "endurance": {"main": (3, "12-15", 45, 60), "accessory": (3, "15-20", 50, 45),
                  "core": (3, "45s", 45, 30), "conditioning": (5, "40s", 40, 20)},
    "fat_loss": {"main": (3, "12-15", 40, 30), "accessory": (3, "15", 40, 20),
                 "core": (3, "40s", 40, 20), "conditioning": (5, "40s", 40, 20)},
    "general_fitness": {"main": (3, "8-10", 35, 90), "accessory": (3, "10-12", 40, 60),
                        "core": (3, "30s", 30, 45), "conditioning": (4, "30s", 30, 45)},
}  # fmt: skip
_MOBILITY = (2, "45s", 45, 15)
_EXPERIENCE_SETS = {"beginner": -1, "intermediate": 0, "advanced": 1}
_STRENGTH_MAIN_REPS = ("5", "4", "3")  # heavier, lower-rep main lifts in later blocks
_CIRCUIT_NOTE = "Circuit: go straight to the next exercise; rest 90 s after each round."
_WARM_UP_NOTE = "Easy cardio and dynamic mobility, then a lighter set of the first exercise."
_FINISHER_NOTE = "Easy aerobic work to fill the session; it shrinks as lifting volume grows."
_FINISHER_MINIMUM = 2  # minutes; less is within the duration tolerance anyway
_CEILING = 1.1  # the peak week may run this much over the time budget


@dataclass(frozen=True)
class WeekShape:
    """Where a week sits in its block: which block, which step, deload or not."""

    block: int
    step: int
    deload: bool


def week_shape(number: int, weeks: int) -> WeekShape:
    """Blocks of three building weeks and a deload when the program is 5+ weeks long."""
    if weeks < 5:
        return WeekShape(0, number - 1, False)
    return WeekShape((number - 1) // 4, (number - 1) % 4, number % 4 == 0)


_STEP_FOCUS = (
    "Foundation: learn the movements at moderate effort (RPE 7)",
    "Build: one more set, effort up to RPE 8",
    "Peak: the most sets of the block, effort RPE 8-9",
    "Top week: hold the volume, heaviest loads (RPE 9)",
)
_STEP_EFFORT = (
    "RPE 7: comfortably hard, about 3 reps left in the tank.",
    "RPE 8: beat last week by a rep, a little load or 5 s.",
    "RPE 8-9: the hardest week of the block.",
    "RPE 9: top week, same sets, heaviest loads.",
)
_DELOAD_FOCUS = "Deload: fewer sets and lighter loads to recover before the next block"
_DELOAD_EFFORT = "Deload: about 60% of recent loads, easy effort."


def _focus(shape: WeekShape) -> str:
    """The plan's one-line focus for a week."""
    if shape.deload:
        return _DELOAD_FOCUS
    if shape.step == 0 and shape.block > 0:
        return f"Block {shape.block + 1}: rebuild with slightly heavier loads (RPE 7)"
    return _STEP_FOCUS[shape.step]


def _effort(shape: WeekShape) -> str:
    """The effort note every exercise carries that week."""
    if shape.deload:
        return _DELOAD_EFFORT
    if shape.step == 0 and shape.block > 0:
        return "RPE 7: start a little heavier than the last block."
    return _STEP_EFFORT[shape.step]


@dataclass(frozen=True)
class Context:
    """What every session of a request shares, worked out once."""

    request: ProgramRequest
    pool: tuple[CatalogueExercise, ...]
    warm_up_minutes: int
    budget_seconds: int
    rest_scale: float
    peak: WeekShape
    exercise_limit: int

    @classmethod
    def of(cls, request: ProgramRequest) -> Context:
        """Derive the pool, time budget and peak week from a request."""
        minutes = request.session_minutes
        warm_up = min(10, max(3, round(minutes * 0.1)))
        return cls(
            request=request,
            pool=available(request.equipment, excluded_tags(request.notes)),
            warm_up_minutes=warm_up,
            budget_seconds=(minutes - warm_up) * 60,
            rest_scale=min(1.0, max(0.5, minutes / 45)),  # short sessions rest less
            peak=WeekShape(0, min(request.weeks - 1, 2), False),
            exercise_limit=max(8, min(12, minutes // 10)),
        )


def _dose(ctx: Context, role: Role, exercise: CatalogueExercise, shape: WeekShape) -> Dose:
    """Sets, reps and rest for one exercise in one week, before any time fitting."""
    sets, reps, work, rest = _MOBILITY if role == "mobility" else _BASE[ctx.request.goal][role]
    if role != "mobility":
        sets += _EXPERIENCE_SETS[ctx.request.experience]
        sets += -1 if shape.deload else min(shape.step, 2 if role == "main" else 1)
    if role == "main" and exercise.equipment == BW:
        reps, work = _BASE[ctx.request.goal]["accessory"][1:3]  # 5 push-ups build no strength
    elif role == "main" and ctx.request.goal == "strength" and ctx.request.experience != "beginner":
        reps = _STRENGTH_MAIN_REPS[min(shape.block, 2)]
    if reps.endswith("s") or exercise.timed:
        work = max(work, 30) if not reps.endswith("s") else work
        if role != "mobility" and not shape.deload:
            work += 5 * min(shape.step, 2)
        reps = f"{work}s"
    return Dose(max(1, sets), reps, work, round(rest * ctx.rest_scale / 5) * 5)


@dataclass(frozen=True)
class Pick:
    """An exercise chosen for a session; `adjust` cuts sets when one alone overfills it."""

    exercise: CatalogueExercise
    role: Role
    adjust: int = 0


@dataclass(frozen=True)
class Day:
    """One day of the weekly split: its number, type, variant (A=0, B=1...) and name."""

    number: int
    type: DayType
    variant: int
    name: str


def _days(split: tuple[DayType, ...]) -> list[Day]:
    """Number and name the split's days ("Upper body A", "Upper body B")."""
    days = []
    for index, day in enumerate(split):
        variant = split[:index].count(day)
        suffix = f" {'ABCDEFG'[variant]}" if split.count(day) > 1 else ""
        days.append(Day(index + 1, day, variant, day.name + suffix))
    return days


def _candidates(ctx: Context, day: Day) -> list[Pick]:
    """One exercise per slot, rotating through options so day A and day B differ.

    The slots come twice, the second time as accessories, for sessions long
    enough to use more exercises than a day has slots.
    """
    second = tuple(
        (pattern, "accessory" if role == "main" else role) for pattern, role in day.type.slots
    )
    picks: list[Pick] = []
    seen: dict[str, int] = {}
    for pattern, role in day.type.slots + second:
        options = by_pattern(ctx.pool, pattern)
        start = day.type.offset + day.variant + seen.get(pattern, 0)
        seen[pattern] = seen.get(pattern, 0) + 1
        if not options:
            continue
        used = {pick.exercise.name for pick in picks}
        start %= len(options)
        fresh = [ex for ex in options[start:] + options[:start] if ex.name not in used]
        if fresh:
            picks.append(Pick(fresh[0], role))
    return picks


def _fit(ctx: Context, candidates: list[Pick]) -> list[Pick]:
    """Keep, in priority order, the exercises whose peak-week time fits the session.

    Sets are fixed by goal and experience; time left over in lighter weeks (or
    after the exercise limit) becomes a steady aerobic finisher, not extra sets.
    """
    ceiling = ctx.budget_seconds * _CEILING
    chosen: list[Pick] = []
    used = 0
    for pick in candidates:
        peak = _dose(ctx, pick.role, pick.exercise, ctx.peak)
        if not chosen and peak.seconds() > ceiling:
            pick = replace(pick, adjust=max(1, int(ceiling // peak.per_set)) - peak.sets)
        elif len(chosen) == ctx.exercise_limit or used + peak.seconds() > ceiling:
            continue
        chosen.append(pick)
        used += (peak.sets + pick.adjust) * peak.per_set
    return chosen


@dataclass(frozen=True)
class Layout:
    """The part of a program that is the same every week: context and each day's picks."""

    ctx: Context
    days: tuple[tuple[Day, tuple[Pick, ...]], ...]


@lru_cache(maxsize=256)
def layout(request_json: str) -> Layout:
    """Choose each day's exercises once per request; every week step reuses them."""
    ctx = Context.of(ProgramRequest.model_validate_json(request_json))
    days = _days(_split(ctx.request.goal, ctx.request.days_per_week))
    return Layout(ctx, tuple((day, tuple(_fit(ctx, _candidates(ctx, day)))) for day in days))


def _exercise(ctx: Context, pick: Pick, shape: WeekShape) -> tuple[Exercise, int]:
    """The week's prescription for a pick, and the seconds it takes."""
    base = _dose(ctx, pick.role, pick.exercise, shape)
    sets = max(1, base.sets + pick.adjust)
    notes = [pick.exercise.cue]
    if pick.role != "mobility":
        notes.append(_effort(shape))
    if ctx.request.goal == "fat_loss" and pick.role in ("main", "accessory"):
        notes.append(_CIRCUIT_NOTE)
    exercise = Exercise(
        name=pick.exercise.name, sets=sets, reps=base.reps, rest_seconds=base.rest,
        notes=" ".join(notes),
    )  # fmt: skip
    return exercise, sets * base.per_set


def _finisher(ctx: Context, day: DayType, minutes: int) -> Exercise:
    """Steady aerobic work for the time the lifting leaves; low impact unless it is cardio day."""
    options = by_pattern(ctx.pool, "aerobic")
    if day is not CONDITIONING:
        options = tuple(sorted(options, key=lambda exercise: "high_impact" in exercise.tags))
    choice = options[0]
    return Exercise(
        name=choice.name, sets=1, reps=f"{minutes} min", rest_seconds=0,
        notes=f"{choice.cue} {_FINISHER_NOTE}",
    )  # fmt: skip


def _session(ctx: Context, day: Day, picks: tuple[Pick, ...], shape: WeekShape) -> Session:
    """One day: warm-up, this week's dose of the day's picks, then any aerobic finisher."""
    warm_up = Exercise(
        name="Warm-up", sets=1, reps=f"{ctx.warm_up_minutes} min", rest_seconds=0,
        notes=_WARM_UP_NOTE,
    )  # fmt: skip
    exercises, seconds = [warm_up], ctx.warm_up_minutes * 60
    for pick in picks:
        exercise, spent = _exercise(ctx, pick, shape)
        exercises.append(exercise)
        seconds += spent
    left = round(ctx.request.session_minutes - seconds / 60)
    if left >= _FINISHER_MINIMUM:
        exercises.append(_finisher(ctx, day.type, left))
        seconds += left * 60
    minutes = round(seconds / 60)
    return Session(day=day.number, name=day.name, duration_minutes=minutes, exercises=exercises)


def _days_a_week(days: int) -> str:
    """Say "1 day a week" or "3 days a week"."""
    return f"{days} day{'s' if days > 1 else ''} a week"


def _summary(request: ProgramRequest) -> str:
    """What the program is, how it progresses and what the notes changed."""
    split = _days(_split(request.goal, request.days_per_week))
    days = ", ".join(day.name for day in split)
    kit = sorted({*request.equipment} - {"bodyweight"})
    equipment = (", ".join(kit).replace("_", "-") + " and bodyweight") if kit else "bodyweight only"
    text = (
        f"{request.experience.capitalize()} {request.goal.replace('_', ' ')} program: "
        f"{_days_a_week(request.days_per_week)} ({days}), about {request.session_minutes} "
        f"minutes a session with {equipment}. Sets and effort build week to week"
    )
    text += ", with a lighter deload every 4th week." if request.weeks >= 5 else "."
    found = adaptations(request.notes)
    if found:
        changes = "; ".join(f"{a.label}: {a.summary}" for a in found)
        text += f" Adapted to your notes: {changes}."
    return text


class TemplateGenerator(ProgramGenerator):
    """Builds programs from the exercise catalogue; the fallback when no LLM is configured."""

    name = "template"

    def __init__(self, step_delay_seconds: float = 0.0) -> None:
        """`step_delay_seconds` simulates model latency per step for demos and load tests."""
        self._delay = step_delay_seconds

    async def _pause(self) -> None:
        """Sleep for the simulated latency, and not at all when it is zero."""
        if self._delay > 0:
            await asyncio.sleep(self._delay)

    async def plan(self, request: ProgramRequest) -> tuple[Plan, dict[str, int]]:
        """Title, summary and one focus line per week."""
        await self._pause()
        goal = request.goal.replace("_", " ")
        plan = Plan(
            title=f"{request.weeks}-week {goal} program, {_days_a_week(request.days_per_week)}",
            summary=_summary(request),
            weeks=[
                PlanWeek(week=n, focus=_focus(week_shape(n, request.weeks)))
                for n in range(1, request.weeks + 1)
            ],
        )
        return plan, {}

    async def week(
        self, request: ProgramRequest, plan: Plan, previous: list[Week], number: int
    ) -> tuple[Week, dict[str, int]]:
        """Week `number`: the same exercises every week, the dose following the block."""
        await self._pause()
        if not 1 <= number <= len(plan.weeks):
            raise PermanentGenerationError(f"the plan has no week {number}")
        fixed = layout(request.model_dump_json())
        shape = week_shape(number, request.weeks)
        sessions = [_session(fixed.ctx, day, picks, shape) for day, picks in fixed.days]
        return Week(week=number, focus=plan.weeks[number - 1].focus, sessions=sessions), {}
