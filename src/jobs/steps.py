"""The interface between the job engine and whatever a job computes.

A job runs in steps. After each step the engine saves the step's output
with the job (fenced on the lease), so a later attempt resumes after the
last saved step and never redoes, or pays again for, a finished one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

JSON = dict[str, Any]


@dataclass(frozen=True)
class StepResult:
    """What one step produced.

    Args:
        output: JSON-serialisable output, saved as the step's checkpoint.
        message: progress text shown on the job ("week 2 of 8 written").
        usage: token counts this step cost, e.g. {"input_tokens": 10, ...};
            summed per job by the engine.
    """

    output: JSON
    message: str
    usage: dict[str, int] = field(default_factory=dict)


class StepHandler(Protocol):
    """What a job's domain implements; the engine calls it, never the reverse."""

    def total_steps(self, payload: JSON) -> int:
        """How many steps a job with this payload takes."""
        ...

    async def run_step(self, payload: JSON, index: int, done: list[JSON]) -> StepResult:
        """Run step `index` (0-based) given the outputs of steps 0..index-1.

        Raise `jobs.errors.RetryableStepError` for a failure worth another
        attempt and `jobs.errors.PermanentStepError` for one that is not.
        Any other exception counts as retryable.
        """
        ...

    def result(self, payload: JSON, done: list[JSON]) -> JSON:
        """Assemble the job's final result from all step outputs."""
        ...
