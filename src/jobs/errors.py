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
    """A step failed; `message` is what the user reads on the job (no secrets).

    `usage` holds the tokens the failed step still cost (answers that were paid
    for but unusable), so the job's usage counts them too.
    """

    def __init__(self, message: str, usage: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.usage = dict(usage or {})


class RetryableStepError(StepError):
    """The step may succeed on a later attempt (rate limit, timeout, bad output)."""


class PermanentStepError(StepError):
    """The step will fail again however often it is tried (bad key, refusal)."""


class InvalidCursor(JobError):
    """The list cursor is not one this service gave out."""
