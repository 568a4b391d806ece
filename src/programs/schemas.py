"""What a training program request and a training program are (the contract)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Goal = Literal["strength", "hypertrophy", "endurance", "fat_loss", "general_fitness"]
Experience = Literal["beginner", "intermediate", "advanced"]
Equipment = Literal[
    "bodyweight", "dumbbells", "barbell", "kettlebells", "machines", "bands", "pull_up_bar"
]


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
    notes: str = Field("", max_length=1000)

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
    """One exercise in a session."""

    model_config = ConfigDict(extra="forbid")

    name: str
    sets: int = Field(ge=1)
    reps: str
    rest_seconds: int = Field(ge=0)
    notes: str


class Session(BaseModel):
    """One training day."""

    model_config = ConfigDict(extra="forbid")

    day: int = Field(ge=1)
    name: str
    duration_minutes: int
    exercises: list[Exercise] = Field(min_length=1)


class Week(BaseModel):
    """One week of the program."""

    model_config = ConfigDict(extra="forbid")

    week: int = Field(ge=1)
    focus: str
    sessions: list[Session]


class Program(BaseModel):
    """The finished program: the job's result."""

    model_config = ConfigDict(extra="forbid")

    title: str
    summary: str
    generator: str
    weeks: list[Week]


class PlanWeek(BaseModel):
    """The plan's line for one week."""

    model_config = ConfigDict(extra="forbid")

    week: int = Field(ge=1)
    focus: str


class Plan(BaseModel):
    """The first generation step: the outline every week step builds on."""

    model_config = ConfigDict(extra="forbid")

    title: str
    summary: str
    weeks: list[PlanWeek]
