"""The job engine's exceptions; `api/errors.py` maps them to HTTP once."""


class JobError(Exception):
    """A job operation could not be done."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__ or "")


class JobNotFound(JobError):
    """No job has this id."""


class InvalidTransition(JobError):
    """The job's status does not allow this."""


class LeaseLost(JobError):
    """This process no longer owns the job: another process or the monitor took it."""


class StepError(Exception):
    """A step failed; `message` is what the user reads on the job (no secrets)."""


class RetryableStepError(StepError):
    """The step may succeed on a later attempt (rate limit, timeout, bad output)."""


class PermanentStepError(StepError):
    """The step will fail again however often it is tried (bad key, refusal)."""


class InvalidCursor(JobError):
    """The list cursor is not one this service gave out."""
