"""Helpers the program tests share: run the generator's steps as the job engine does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from programs.generators.template import TemplateGenerator
from programs.schemas import Program, ProgramRequest


def request(**fields: Any) -> dict[str, Any]:
    """A valid request payload, with defaults for what a test does not care about."""
    defaults = {"goal": "strength", "experience": "intermediate", "days_per_week": 3, "weeks": 4}
    return ProgramRequest.model_validate({**defaults, **fields}).model_dump()


def steps(payload: dict[str, Any], generator: TemplateGenerator | None = None) -> list[Any]:
    """Every step's result, through a JSON round trip like the job engine's checkpoints."""
    generator = generator or TemplateGenerator()

    async def run() -> list[Any]:
        done: list[dict[str, Any]] = []
        results = []
        for index in range(generator.total_steps(payload)):
            result = await generator.run_step(payload, index, done)
            done.append(json.loads(json.dumps(result.output)))
            results.append(result)
        return results

    return asyncio.run(run())


def generate(payload: dict[str, Any]) -> Program:
    """The finished program for a request payload."""
    done = [result.output for result in steps(payload)]
    return Program.model_validate(TemplateGenerator().result(payload, done))


def program(**fields: Any) -> Program:
    """The finished program for a request with these fields."""
    return generate(request(**fields))
