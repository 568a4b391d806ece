"""The shape every program generator shares: a plan step, then one step per week.

Step 0 writes the `Plan`; step n (1..weeks) writes `Week` n, seeing the plan
and the weeks already written so the program progresses. The job engine
saves each step's output, so a resumed job starts at the first missing week.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from jobs.steps import JSON, StepResult
from programs import notes, rules
from programs.schemas import Plan, Program, ProgramRequest, Week


class ProgramGenerator(ABC):
    """A `jobs.steps.StepHandler` for training programs.

    Subclasses implement `plan` and `week`; `name` goes into
    `Program.generator` ("template", "openai:gpt-5-mini").
    """

    name: str
    # Whether `result` checks the soft rules; the template keeps them by construction.
    warns: bool = True
    # Whether `week` reads the weeks already written (validating them costs time).
    reads_previous: bool = True

    def total_steps(self, payload: JSON) -> int:
        """The plan plus one step per week."""
        return 1 + int(payload["weeks"])

    async def run_step(self, payload: JSON, index: int, done: list[JSON]) -> StepResult:
        """Dispatch step `index` to `plan` or `week`."""
        request = ProgramRequest.model_validate(payload)
        if index == 0:
            plan, usage = await self.plan(request)
            return StepResult(plan.model_dump(), "plan written", usage)
        plan = Plan.model_validate(done[0])
        earlier = done[1:index] if self.reads_previous else []
        previous = [Week.model_validate(week) for week in earlier]
        week, usage = await self.week(request, plan, previous, index)
        return StepResult(week.model_dump(), f"week {index} of {request.weeks} written", usage)

    def result(self, payload: JSON, done: list[JSON]) -> JSON:
        """Join the plan and the weeks into the finished `Program`.

        What the notes changed and what they say that nothing understood are
        read from the request here, the same way for every generator; the soft
        rules' warnings too, unless the generator keeps them by construction.
        """
        request = ProgramRequest.model_validate(payload)
        plan = Plan.model_validate(done[0])
        reading = notes.read(request.notes)
        program = Program(
            title=plan.title,
            summary=plan.summary,
            generator=self.name,
            weeks=[Week.model_validate(week) for week in done[1:]],
            notes_applied=list(reading.applied),
            notes_not_understood=list(reading.not_understood),
        )
        if self.warns:
            program.warnings = rules.warnings(request, program)[: rules.WARNINGS_MAX]
        return program.model_dump()

    async def aclose(self) -> None:  # noqa: B027  (a hook: most generators hold nothing)
        """Release clients at shutdown; nothing to release by default."""

    @abstractmethod
    async def plan(self, request: ProgramRequest) -> tuple[Plan, dict[str, int]]:
        """Write the outline: title, summary and one focus per week; return it with usage."""

    @abstractmethod
    async def week(
        self, request: ProgramRequest, plan: Plan, previous: list[Week], number: int
    ) -> tuple[Week, dict[str, int]]:
        """Write week `number` (1-based) given the plan and weeks 1..number-1."""
