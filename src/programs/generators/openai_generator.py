"""Program generation with OpenAI structured outputs (Chat Completions `parse`).

Each step is one `chat.completions.parse` call whose strict JSON schema is the
contract's own model (`Plan`, `Week`). An answer that parses but breaks the
program rules, or does not parse, is asked again once with the problems
appended; every SDK failure becomes a Retryable/PermanentGenerationError in
`sdk_error`, with a message built from types and status codes only, so no
API key or request detail can reach a job's `error` or a log line.

Retries, and how they multiply: the SDK retries connection errors, timeouts,
408, 409, 429 and 5xx itself (`SDK_MAX_RETRIES`, backoff 0.5 s doubling up to
8 s, or the server's `retry-after`). When it gives up, the step raises
RetryableGenerationError and the job engine tries the job again, up to
JOB_MAX_ATTEMPTS, waiting JOB_RETRY_BACKOFF_SECONDS doubling between attempts
(resuming at this step). So the worst case for one step is
(SDK_MAX_RETRIES + 1) x JOB_MAX_ATTEMPTS HTTP requests (3 x 3 = 9 with the
defaults), twice that if every answer also needs the re-ask; and one call can
take up to (SDK_MAX_RETRIES + 1) x OPENAI_TIMEOUT_SECONDS plus backoff, which
JOB_TIMEOUT_SECONDS bounds. There is deliberately no retry loop here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx2
import openai
from openai.types.chat import ChatCompletionMessageParam
from openai.types.completion_usage import CompletionUsage
from pydantic import BaseModel, ValidationError

import settings
from jobs.errors import StepError
from programs import rules, timing
from programs.errors import PermanentGenerationError, RetryableGenerationError
from programs.generators import prompts
from programs.generators.base import ProgramGenerator
from programs.rules import hard
from programs.schemas import Plan, Program, ProgramRequest, Session, Week

logger = logging.getLogger(__name__)

SDK_MAX_RETRIES = 2  # the SDK's default; see the module docstring for the total
MAX_PROBLEMS_SHOWN = 8  # keeps the re-ask and the job's error short
# Checked on the whole program, not on one week: its week count (the plan's check and
# hard.week_structure cover a week), and durations (each week's are recomputed first).
WEEK_SCOPE_SKIPS = frozenset({"counts_match_request", "duration_is_honest"})

Answer = TypeVar("Answer", bound=BaseModel)
Usage = dict[str, int]

# Checked in order: the first matching type wins. APITimeoutError subclasses
# APIConnectionError and the status errors subclass APIStatusError, so the
# specific types come first.
_SDK_ERRORS: tuple[tuple[type[openai.OpenAIError], type[StepError], str], ...] = (
    (
        openai.APITimeoutError,
        RetryableGenerationError,
        "OpenAI did not answer in time (OPENAI_TIMEOUT_SECONDS); retried while attempts remain",
    ),
    (
        openai.APIConnectionError,
        RetryableGenerationError,
        "could not connect to OpenAI (check the network and OPENAI_BASE_URL); retried while "
        "attempts remain",
    ),
    (
        openai.AuthenticationError,
        PermanentGenerationError,
        "OpenAI rejected the API key: set OPENAI_API_KEY",
    ),
    (
        openai.PermissionDeniedError,
        PermanentGenerationError,
        "OpenAI denied access (HTTP 403): check that the OPENAI_API_KEY's project may use "
        "OPENAI_MODEL",
    ),
    (
        openai.NotFoundError,
        PermanentGenerationError,
        "OpenAI does not know the model (HTTP 404): check OPENAI_MODEL (and OPENAI_BASE_URL)",
    ),
    (
        openai.RateLimitError,
        RetryableGenerationError,
        "OpenAI rate limit reached (HTTP 429); retried while attempts remain",
    ),
    (
        openai.ConflictError,
        RetryableGenerationError,
        "OpenAI reported a conflict (HTTP 409); retried while attempts remain",
    ),
    (
        openai.LengthFinishReasonError,
        PermanentGenerationError,
        "OpenAI's answer hit its length limit: ask for fewer days per week or shorter "
        "sessions, or use a model with a larger output limit (OPENAI_MODEL)",
    ),
    (
        openai.ContentFilterFinishReasonError,
        PermanentGenerationError,
        "OpenAI's content filter stopped the answer: rephrase the notes and submit again",
    ),
)


def sdk_error(error: openai.OpenAIError) -> StepError:
    """Translate an SDK exception into the two kinds the job engine knows.

    The SDK's own str() can quote the request or the server's echo of the
    key, so only the type, status code and error code are used here.
    """
    if isinstance(error, openai.RateLimitError) and error.code == "insufficient_quota":
        return PermanentGenerationError(
            "OpenAI quota exhausted (HTTP 429 insufficient_quota): check the plan and billing "
            "of the OPENAI_API_KEY's account"
        )
    for kind, step_error, message in _SDK_ERRORS:
        if isinstance(error, kind):
            return step_error(message)
    if isinstance(error, openai.APIStatusError):
        return _status_error(error)
    return RetryableGenerationError(
        f"OpenAI call failed ({type(error).__name__}); retried while attempts remain"
    )


def _status_error(error: openai.APIStatusError) -> StepError:
    status = error.status_code
    if status >= 500 or status == 408:
        return RetryableGenerationError(
            f"OpenAI server error (HTTP {status}); retried while attempts remain"
        )
    # An error code such as "context_length_exceeded" tells the user what to change.
    code = f" {error.code}" if error.code and re.fullmatch(r"[a-z_]{1,64}", error.code) else ""
    return PermanentGenerationError(
        f"OpenAI rejected the request (HTTP {status}{code}): check that OPENAI_MODEL "
        "supports structured outputs, or ask for a smaller program"
    )


def plan_problems(plan: Plan, request: ProgramRequest) -> list[str]:
    """What makes a parsed plan unusable for this request (empty when fine)."""
    numbers = [line.week for line in plan.weeks]
    expected = list(range(1, request.weeks + 1))
    if numbers == expected:
        return []
    return [f"the plan must have exactly {request.weeks} weeks numbered 1 to {request.weeks}"]


def week_problems(week: Week, request: ProgramRequest, number: int) -> list[str]:
    """What makes a parsed week unusable as week `number` (empty when fine).

    Parsing already enforced the schema's bounds (non-empty exercises,
    sets >= 1, rest >= 0); on top come the week's numbering and sessions and
    the hard coaching rules (time, equipment, notes), in the rules' own words,
    and the limits the prompt states. Soft rules become warnings on the result.
    """
    problems = hard.week_structure(request, week, number)
    single = Program(title="", summary="", generator="", weeks=[timing.honest(week)])
    for rule in rules.HARD:
        if rule.name not in WEEK_SCOPE_SKIPS:
            problems.extend(rule.check(request, single))
    for session in week.sessions:
        problems.extend(_limits(session))
    return problems


def _limits(session: Session) -> list[str]:
    where = f"day {session.day}"
    problems = []
    for exercise in session.exercises:
        if not 1 <= exercise.sets <= prompts.MAX_SETS:
            problems.append(f"{where}, {exercise.name}: sets must be 1-{prompts.MAX_SETS}")
        if not 0 <= exercise.rest_seconds <= prompts.MAX_REST_SECONDS:
            problems.append(
                f"{where}, {exercise.name}: rest_seconds must be 0-{prompts.MAX_REST_SECONDS}"
            )
    return problems


@dataclass
class _Attempt(Generic[Answer]):
    """One answer: what parsed (if anything), what is wrong with it, what it cost."""

    parsed: Answer | None
    problems: list[str]
    usage: Usage
    content: str | None = None


class OpenAIGenerator(ProgramGenerator):
    """Writes programs with OpenAI, one structured-output call per step.

    Args:
        api_key: the OpenAI key; handed to the SDK client and kept nowhere else.
        model: e.g. "gpt-5-mini"; also names the generator ("openai:gpt-5-mini").
        base_url: an OpenAI-compatible endpoint, or None for the SDK default.
        timeout_seconds: per HTTP request.
    """

    def __init__(
        self,
        *,
        api_key: str,
        model: str = "gpt-5-mini",
        base_url: str | None = None,
        timeout_seconds: float = 120.0,
    ) -> None:
        self.model = model
        self.name = f"openai:{model}"
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_seconds,
            max_retries=SDK_MAX_RETRIES,
        )

    @classmethod
    def from_settings(cls, config: settings.Settings) -> OpenAIGenerator:
        """Build the generator from OPENAI_* settings."""
        if config.openai_api_key is None or not config.has_openai_key:
            raise settings.ConfigError("the OpenAI generator needs OPENAI_API_KEY: set it")
        return cls(
            api_key=config.openai_api_key.get_secret_value(),
            model=config.openai_model,
            base_url=config.openai_base_url,
            timeout_seconds=config.openai_timeout_seconds,
        )

    def __repr__(self) -> str:
        return f"OpenAIGenerator(model={self.model!r})"

    async def aclose(self) -> None:
        """Close the HTTP connections; call it in the loop that used the generator."""
        await self._client.close()

    async def plan(self, request: ProgramRequest) -> tuple[Plan, Usage]:
        """Write the outline, checked against the requested number of weeks."""
        messages = prompts.plan_messages(request)
        return await self._ask(
            messages,
            Plan,
            lambda plan: plan_problems(plan, request),
            prompts.PLAN_MAX_COMPLETION_TOKENS,
        )

    async def week(
        self, request: ProgramRequest, plan: Plan, previous: list[Week], number: int
    ) -> tuple[Week, Usage]:
        """Write week `number`, checked against the request and the hard coaching rules.

        Each session's duration_minutes is recomputed from its content
        (`programs.timing`): the model's own arithmetic is not trusted.
        """
        messages = prompts.week_messages(request, plan, previous, number)
        week, usage = await self._ask(
            messages,
            Week,
            lambda week: week_problems(week, request, number),
            prompts.WEEK_MAX_COMPLETION_TOKENS,
        )
        return timing.honest(week), usage

    async def _ask(
        self,
        messages: list[ChatCompletionMessageParam],
        schema: type[Answer],
        check: Callable[[Answer], list[str]],
        max_tokens: int,
    ) -> tuple[Answer, Usage]:
        """Ask; if the answer is unusable, ask once more with the problems listed."""
        first = await self._attempt(messages, schema, check, max_tokens)
        if first.parsed is not None and not first.problems:
            return first.parsed, first.usage
        logger.warning(
            "OpenAI answer for %s was invalid, asking again: %s",
            schema.__name__,
            "; ".join(first.problems[:MAX_PROBLEMS_SHOWN]),
        )
        second = await self._attempt([*messages, *_feedback(first)], schema, check, max_tokens)
        usage = _add(first.usage, second.usage)
        if second.parsed is not None and not second.problems:
            return second.parsed, usage
        shown = "; ".join(second.problems[:MAX_PROBLEMS_SHOWN])
        raise RetryableGenerationError(
            f"OpenAI returned an invalid program twice: {shown}", usage=usage
        )

    async def _attempt(
        self,
        messages: list[ChatCompletionMessageParam],
        schema: type[Answer],
        check: Callable[[Answer], list[str]],
        max_tokens: int,
    ) -> _Attempt[Answer]:
        try:
            # The raw response keeps the usage of an answer that does not parse: it was
            # paid for, so it counts in the step's usage like the answer that follows.
            raw = await self._client.chat.completions.with_raw_response.parse(
                model=self.model,
                messages=messages,
                response_format=schema,
                max_completion_tokens=max_tokens,
            )
        except openai.OpenAIError as error:
            raise sdk_error(error) from None  # the SDK error carries the request
        try:
            completion = raw.parse()  # parsing here raises for content, length, filter
        except ValidationError as error:  # the content was not JSON of this schema
            return _Attempt(None, _validation_problems(error), _raw_usage(raw.http_response))
        except openai.OpenAIError as error:
            raise sdk_error(error) from None
        usage = _usage(completion.usage)
        if not completion.choices:
            return _Attempt(None, ["the answer had no choices"], usage)
        message = completion.choices[0].message
        if message.refusal:
            raise PermanentGenerationError(
                "OpenAI refused to write this program: rephrase the notes and submit again"
            )
        if message.parsed is None:
            return _Attempt(None, ["the answer was empty"], usage)
        return _Attempt(message.parsed, check(message.parsed), usage, message.content)


def _feedback(attempt: _Attempt[Answer]) -> list[ChatCompletionMessageParam]:
    """The turns that show the model its last answer and what to fix."""
    listed = "\n".join(f"- {problem}" for problem in attempt.problems[:MAX_PROBLEMS_SHOWN])
    fix: ChatCompletionMessageParam = {
        "role": "user",
        "content": (
            f"That answer cannot be used:\n{listed}\n"
            "Answer again with the complete corrected JSON, following the schema and every "
            "requirement above."
        ),
    }
    if attempt.content is None:
        return [fix]
    return [{"role": "assistant", "content": attempt.content}, fix]


def _validation_problems(error: ValidationError) -> list[str]:
    """Pydantic's complaints without the offending input (it can be long)."""
    problems = []
    for detail in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in detail["loc"])
        problems.append(f"{where}: {detail['msg']}" if where else detail["msg"])
    return problems or ["the answer was not valid JSON for the schema"]


def _usage(usage: CompletionUsage | None) -> Usage:
    """The SDK's usage in the job engine's names (zeros when the server sent none)."""
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    return {
        "input_tokens": usage.prompt_tokens,
        "output_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def _raw_usage(response: httpx2.Response) -> Usage:
    """The usage of an answer the SDK could not parse, read from the JSON body."""
    try:
        usage = CompletionUsage.model_validate(response.json().get("usage"))
    except (ValueError, AttributeError, ValidationError):  # no body, not JSON, no usage
        return _usage(None)
    return _usage(usage)


def _add(first: Usage, second: Usage) -> Usage:
    return {key: first[key] + second[key] for key in first}
