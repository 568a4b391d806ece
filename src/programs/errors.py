"""Generation failures, in the two kinds the job engine understands."""

from jobs.errors import PermanentStepError, RetryableStepError


class RetryableGenerationError(RetryableStepError):
    """Generation failed in a way another attempt may fix."""


class PermanentGenerationError(PermanentStepError):
    """Generation cannot succeed without the user changing something."""
