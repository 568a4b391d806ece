"""The offline generator: programs a coach would hand over, built from the catalogue.

Deterministic (no randomness): the same request always gets the same
program. The plan step writes the title, summary and each week's focus; each
week step renders that week from the block's layout (`layout.py`) at the
week's dose (`sessions.py`). Every program keeps every rule in
`programs.rules` by construction; `tests/unit/programs/test_rules_property.py`
checks it on 1,000 random requests.
"""

from __future__ import annotations

import asyncio

from programs import coaching
from programs.errors import PermanentGenerationError
from programs.generators import layout, sessions
from programs.generators.base import ProgramGenerator
from programs.schemas import Plan, PlanWeek, ProgramRequest, Week

GOAL_TITLES = {
    "strength": "Strength",
    "hypertrophy": "Muscle-building (hypertrophy)",
    "endurance": "Endurance",
    "fat_loss": "Fat-loss conditioning",
    "general_fitness": "General fitness",
}
_GOAL_PURPOSE = {
    "strength": "heavy main lifts first with long rests, then accessories for balance",
    "hypertrophy": "moderate loads for 6-15 reps close to failure, enough sets for every "
    "muscle group",
    "endurance": "aerobic work that builds week by week (intervals, tempo and a long easy "
    "session), with full-body strength to stay robust",
    "fat_loss": "full-body strength to keep muscle, plus conditioning that builds week by week",
    "general_fitness": "a balanced mix of strength, conditioning and mobility",
}


def _focus(number: int, request: ProgramRequest) -> str:
    """The plan's one-line focus for a week."""
    shape = sessions.week_shape(number, request.weeks, request.experience)
    if shape.deload:
        return "Deload: fewer sets and lighter loads in shorter sessions; recover"
    block = f"Block {shape.block + 1}, week {shape.step + 1}"
    if shape.step == 0 and shape.block > 0:
        return f"{block}: new accessory variations, main lifts a little heavier"
    if shape.step == 0:
        return f"{block}: learn the movements, leave reps in reserve"
    return f"{block}: build: more sets or load, a little closer to the limit"


def _days_a_week(days: int) -> str:
    return f"{days} day{'s' if days > 1 else ''} a week"


def _split_words(request: ProgramRequest) -> str:
    names = [day.name for day in layout.layout(request.model_dump_json(), 0)]
    return ", ".join(names)


def title(request: ProgramRequest) -> str:
    """What the program is: goal, level, length and frequency."""
    return (
        f"{GOAL_TITLES[request.goal]}, {request.experience}: {request.weeks} weeks, "
        f"{_days_a_week(request.days_per_week)}, {request.session_minutes} min"
    )


def summary(request: ProgramRequest) -> str:
    """The approach, the week, the progression, and what the notes changed."""
    ctx = layout.context(request.model_dump_json())
    kit = sorted({*request.equipment} - {"bodyweight"})
    equipment = (", ".join(kit).replace("_", "-") + " and bodyweight") if kit else "bodyweight"
    block = coaching.BLOCK_WEEKS[request.experience]
    deloads = (
        f"every {block}th week is a deload" if request.weeks > block else "no deload is needed"
    )
    text = (
        f"{request.experience.capitalize()} {request.goal.replace('_', ' ')} program: "
        f"{_GOAL_PURPOSE[request.goal]}. Each week: {_split_words(request)}; "
        f"{request.session_minutes} minutes with {equipment}, warm-up included. Sets and "
        f"effort build within each {block - 1}-week block and {deloads}."
    )
    if ctx.reading.applied:
        labels = ", ".join(change.split(":")[0] for change in ctx.reading.applied)
        text += f" Adapted to your notes ({labels}): see notes_applied."
    if ctx.reading.fewer_days and ctx.reading.fewer_days < request.days_per_week:
        text += f" {_priority(request, ctx.reading.fewer_days)}"
    if ctx.reading.not_understood:
        text += " Some of your notes were not understood: see notes_not_understood."
    return text


def _priority(request: ProgramRequest, days: int) -> str:
    """Which sessions to keep in a short week: the ones that cover the most movements."""
    week = layout.layout(request.model_dump_json(), 0)
    chosen: list[layout.Day] = []
    covered: set[str] = set()
    for _ in range(days):
        best = max(
            (d for d in week if d not in chosen),
            key=lambda d: len({p.exercise.pattern for p in d.picks} - covered) * 10 - d.number,
        )
        chosen.append(best)
        covered |= {p.exercise.pattern for p in best.picks}
    names = " and ".join(
        f"day {d.number} ({d.name})" for d in sorted(chosen, key=lambda d: d.number)
    )
    return f"In a week with only {days} days, do {names}: they cover the most."


class TemplateGenerator(ProgramGenerator):
    """Builds programs from the exercise catalogue; the fallback when no LLM is configured."""

    name = "template"
    warns = False  # every rule holds by construction (the property test proves it)
    reads_previous = False  # each week comes from the layout and the week's place

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
        plan = Plan(
            title=title(request),
            summary=summary(request),
            weeks=[PlanWeek(week=n, focus=_focus(n, request)) for n in range(1, request.weeks + 1)],
        )
        return plan, {}

    async def week(
        self, request: ProgramRequest, plan: Plan, previous: list[Week], number: int
    ) -> tuple[Week, dict[str, int]]:
        """Week `number`: the block's layout at this week's dose."""
        await self._pause()
        if not 1 <= number <= len(plan.weeks):
            raise PermanentGenerationError(f"the plan has no week {number}")
        key = request.model_dump_json()
        ctx = layout.context(key)
        shape = sessions.week_shape(number, request.weeks, request.experience)
        made = sessions.week(ctx, layout.layout(key, shape.block), shape)
        return Week(week=number, focus=plan.weeks[number - 1].focus, sessions=made), {}
