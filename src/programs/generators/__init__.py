"""Choosing the program generator: OpenAI when configured, else the offline template."""

from __future__ import annotations

from programs.generators.base import ProgramGenerator
from settings import Settings


def choose(settings: Settings) -> ProgramGenerator:
    """GENERATOR=auto picks OpenAI when OPENAI_API_KEY is set, else the template."""
    if settings.use_openai:
        from programs.generators.openai_generator import OpenAIGenerator

        return OpenAIGenerator.from_settings(settings)
    from programs.generators.template import TemplateGenerator

    return TemplateGenerator(step_delay_seconds=settings.generation_step_delay_seconds)
