"""The shape every program generator shares: a plan step, then one step per week.

Step 0 writes the `Plan`; step n (1..weeks) writes `Week` n, seeing the plan
and the weeks already written so the program progresses. The job engine
saves each step's output, so a resumed job starts at the first missing week.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from jobs.steps import JSON, StepResult
from programs.schemas import Plan, Program, ProgramRequest, Week


class ProgramGenerator(ABC):
    """A `jobs.steps.StepHandler` for training programs.

    Subclasses implement `plan` and `week`; `name` goes into
    `Program.generator` ("template", "openai:gpt-5-mini").
    """

    name: str

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
        previous = [Week.model_validate(week) for week in done[1:index]]
        week, usage = await self.week(request, plan, previous, index)
        return StepResult(week.model_dump(), f"week {index} of {request.weeks} written", usage)

    def result(self, payload: JSON, done: list[JSON]) -> JSON:
        """Join the plan and the weeks into the finished `Program`."""
        plan = Plan.model_validate(done[0])
        program = Program(
            title=plan.title,
            summary=plan.summary,
            generator=self.name,
            weeks=[Week.model_validate(week) for week in done[1:]],
        )
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
