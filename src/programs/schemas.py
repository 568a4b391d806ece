"""What a training program request and a training program are (the contract)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Goal = Literal["strength", "hypertrophy", "endurance", "fat_loss", "general_fitness"]
Experience = Literal["beginner", "intermediate", "advanced"]
Equipment = Literal[
    "bodyweight", "dumbbells", "barbell", "kettlebells", "machines", "bands", "pull_up_bar"
]


# Every string a generator (or the model) writes is bounded, so a stored program is
# too: see docs/PROGRAMS.md "How big a program can be" for the bound of 16 x 7.
NAME_MAX = 80  # characters: an exercise, session or week-focus label
REPS_MAX = 20  # "8-10", "30s", "12 min"
NOTES_MAX = 300  # a cue and an effort instruction
TEXT_MAX = 1200  # a title is shorter; a summary names the split and what the notes changed
EXERCISES_MAX = 16  # per session; the template writes at most 10
LIST_TEXT_MAX = 40  # warnings and notes lines on a program
REQUEST_NOTES_MAX = 1000  # characters of a request's notes (a remark kept word for word)


class ProgramRequest(BaseModel):
    """What the user asks for; anything outside these limits is a 422."""

    # strict: "3" is not a number of days, and unknown fields are mistakes.
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "goal": "strength",
                    "experience": "intermediate",
                    "days_per_week": 3,
                    "weeks": 8,
                    "session_minutes": 60,
                    "equipment": ["barbell", "dumbbells"],
                    "notes": "Sore left shoulder: no overhead pressing.",
                }
            ]
        },
    )

    goal: Goal
    experience: Experience
    days_per_week: int = Field(ge=1, le=7)
    weeks: int = Field(ge=1, le=16)
    session_minutes: int = Field(60, ge=15, le=180)
    equipment: Annotated[list[Equipment], Field(max_length=7)] = ["bodyweight"]
    notes: str = Field("", max_length=REQUEST_NOTES_MAX)

    @field_validator("notes")
    @classmethod
    def _encodable(cls, notes: str) -> str:
        # JSON can carry lone surrogates ("\udfff") and NUL, which databases
        # cannot store (PostgreSQL's JSONB refuses \u0000).
        try:
            notes.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("notes must be valid Unicode text") from None
        if "\x00" in notes:
            raise ValueError("notes must not contain NUL characters")
        return notes


class Exercise(BaseModel):
    """One exercise in a session; `notes` holds its cue and an effort instruction."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=NAME_MAX)
    sets: int = Field(ge=1)
    reps: str = Field(max_length=REPS_MAX)
    rest_seconds: int = Field(ge=0)
    notes: str = Field(max_length=NOTES_MAX)


class Warmup(BaseModel):
    """The warm-up before a session's exercises: its own part, not an exercise."""

    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(ge=0, le=30)
    description: str = Field(max_length=NOTES_MAX)


class Session(BaseModel):
    """One training day; `duration_minutes` is computed by `programs.timing`."""

    model_config = ConfigDict(extra="forbid")

    day: int = Field(ge=1)
    name: str = Field(max_length=NAME_MAX)
    duration_minutes: int
    # None only in programs written before the warm-up became its own field.
    warmup: Warmup | None = None
    exercises: list[Exercise] = Field(min_length=1, max_length=EXERCISES_MAX)


class Week(BaseModel):
    """One week of the program."""

    model_config = ConfigDict(extra="forbid")

    week: int = Field(ge=1)
    focus: str = Field(max_length=NOTES_MAX)
    sessions: list[Session] = Field(max_length=7)


class Program(BaseModel):
    """The finished program: the job's result.

    Beyond the contract's fields: `notes_applied` says what the request's notes
    changed, `notes_not_understood` keeps what no rule could read (never dropped
    silently), and `warnings` lists the soft coaching rules the program breaks
    (`programs.rules`; always empty for the template generator).
    """

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=TEXT_MAX)
    summary: str = Field(max_length=TEXT_MAX)
    generator: str = Field(max_length=NAME_MAX)
    weeks: list[Week] = Field(max_length=16)
    notes_applied: list[Annotated[str, Field(max_length=NOTES_MAX)]] = Field(
        default_factory=list, max_length=LIST_TEXT_MAX
    )
    notes_not_understood: list[Annotated[str, Field(max_length=REQUEST_NOTES_MAX)]] = Field(
        default_factory=list, max_length=LIST_TEXT_MAX
    )
    warnings: list[Annotated[str, Field(max_length=NOTES_MAX)]] = Field(
        default_factory=list, max_length=LIST_TEXT_MAX
    )


class PlanWeek(BaseModel):
    """The plan's line for one week."""

    model_config = ConfigDict(extra="forbid")

    week: int = Field(ge=1)
    focus: str = Field(max_length=NOTES_MAX)


class Plan(BaseModel):
    """The first generation step: the outline every week step builds on."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=TEXT_MAX)
    summary: str = Field(max_length=TEXT_MAX)
    weeks: list[PlanWeek] = Field(max_length=16)
