"""The template generator: complete, valid, safe and progressive programs for any request."""

import asyncio
import itertools
import json
import re
import time
from typing import Any, get_args

import pytest

from programs.catalogue import CATALOGUE, CatalogueExercise
from programs.errors import PermanentGenerationError
from programs.generators import template
from programs.generators.template import TemplateGenerator, week_shape
from programs.schemas import Equipment, Experience, Goal, Program, ProgramRequest, Week

GOALS = get_args(Goal)
EXPERIENCES = get_args(Experience)
ALL_KIT = list(get_args(Equipment))
BY_NAME = {exercise.name: exercise for exercise in CATALOGUE}
AEROBIC = {exercise.name for exercise in CATALOGUE if exercise.pattern == "aerobic"}
REPS = re.compile(r"^(\d+(-\d+)?|\d+s|\d+ min)$")
# (days_per_week, weeks, session_minutes, equipment): the edges and some of the middle.
SHAPES = [
    (1, 1, 15, []),
    (2, 3, 30, ["dumbbells"]),
    (3, 5, 60, ["barbell", "dumbbells"]),
    (4, 8, 45, ["bands", "pull_up_bar"]),
    (5, 4, 90, ALL_KIT),
    (6, 12, 120, ["kettlebells"]),
    (7, 16, 180, ["machines", "bodyweight"]),
]


def request(**fields: Any) -> dict[str, Any]:
    """A valid request payload, with defaults for what a test does not care about."""
    defaults = {"goal": "strength", "experience": "intermediate", "days_per_week": 3, "weeks": 4}
    return ProgramRequest.model_validate({**defaults, **fields}).model_dump()


def steps(payload: dict[str, Any], generator: TemplateGenerator | None = None) -> list[Any]:
    """Run every step as the job engine does, through a JSON round trip like its checkpoints."""
    generator = generator or TemplateGenerator()
    done: list[dict[str, Any]] = []
    results = []
    for index in range(generator.total_steps(payload)):
        result = asyncio.run(generator.run_step(payload, index, done))
        done.append(json.loads(json.dumps(result.output)))
        results.append(result)
    return results


def generate(**fields: Any) -> Program:
    """The finished program for a request."""
    payload = request(**fields)
    done = [result.output for result in steps(payload)]
    return Program.model_validate(TemplateGenerator().result(payload, done))


def catalogued(program: Program) -> list[CatalogueExercise]:
    """Every exercise of the program except the warm-ups, as catalogue entries."""
    return [
        BY_NAME[exercise.name]
        for week in program.weeks
        for session in week.sessions
        for exercise in session.exercises
        if exercise.name != "Warm-up"
    ]


def volume(week: Week) -> int:
    """Working sets in a week: everything but warm-ups and steady aerobic finishers."""
    return sum(
        exercise.sets
        for session in week.sessions
        for exercise in session.exercises
        if exercise.name != "Warm-up" and exercise.name not in AEROBIC
    )


@pytest.mark.parametrize(("goal", "experience"), itertools.product(GOALS, EXPERIENCES))
def test_every_request_shape_gives_a_complete_valid_program(goal: str, experience: str) -> None:
    for days, weeks, minutes, equipment in SHAPES:
        program = generate(
            goal=goal, experience=experience, days_per_week=days, weeks=weeks,
            session_minutes=minutes, equipment=equipment,
        )  # fmt: skip
        assert program.generator == "template"
        assert [week.week for week in program.weeks] == list(range(1, weeks + 1))
        for week in program.weeks:
            assert week.focus
            assert [session.day for session in week.sessions] == list(range(1, days + 1))
            for session in week.sessions:
                assert abs(session.duration_minutes - minutes) <= 0.15 * minutes, session
                work = [e for e in session.exercises if e.name not in ("Warm-up", *AEROBIC)]
                assert work, session
                for exercise in session.exercises:
                    assert exercise.sets >= 1 and exercise.rest_seconds >= 0
                    assert REPS.match(exercise.reps), exercise.reps
                    assert exercise.notes
        assert all(exercise.name in BY_NAME for exercise in catalogued(program))


@pytest.mark.parametrize("goal", GOALS)
@pytest.mark.parametrize("minutes", [15, 20, 30, 45, 60, 75, 90, 120, 150, 180])
def test_sessions_fit_the_requested_minutes(goal: str, minutes: int) -> None:
    for days, experience in [(1, "beginner"), (3, "intermediate"), (7, "advanced")]:
        program = generate(
            goal=goal, experience=experience, days_per_week=days, weeks=5,
            session_minutes=minutes, equipment=ALL_KIT,
        )  # fmt: skip
        for week in program.weeks:
            for session in week.sessions:
                assert abs(session.duration_minutes - minutes) <= 0.15 * minutes, session


def test_plan_step_then_one_step_per_week_without_usage() -> None:
    results = steps(request(weeks=6))
    assert len(results) == 7
    assert results[0].message == "plan written"
    assert results[3].message == "week 3 of 6 written"
    assert all(result.usage == {} for result in results)
    focuses = [week["focus"] for week in results[0].output["weeks"]]
    assert [result.output["focus"] for result in results[1:]] == focuses


def test_week_outside_the_plan_is_a_permanent_error() -> None:
    generator = TemplateGenerator()
    req = ProgramRequest.model_validate(request(weeks=2))
    plan, _ = asyncio.run(generator.plan(req))
    with pytest.raises(PermanentGenerationError):
        asyncio.run(generator.week(req, plan, [], 3))


@pytest.mark.parametrize(
    ("goal", "days", "expected"),
    [
        ("strength", 3, ["Full body A", "Full body B", "Full body C"]),
        ("hypertrophy", 4, ["Upper body A", "Lower body A", "Upper body B", "Lower body B"]),
        ("strength", 6, ["Push A", "Pull A", "Legs A", "Push B", "Pull B", "Legs B"]),
        ("endurance", 3, ["Full body A", "Conditioning", "Full body B"]),
        ("fat_loss", 4, ["Upper body", "Conditioning A", "Lower body", "Conditioning B"]),
    ],
)
def test_split_follows_days_and_goal(goal: str, days: int, expected: list[str]) -> None:
    program = generate(goal=goal, days_per_week=days, equipment=ALL_KIT)
    assert [session.name for session in program.weeks[0].sessions] == expected


def test_day_variants_differ() -> None:
    week = generate(days_per_week=3, equipment=ALL_KIT).weeks[0]
    names = [{e.name for e in session.exercises} - {"Warm-up"} for session in week.sessions]
    assert names[0] != names[1] != names[2]


@pytest.mark.parametrize(
    "equipment",
    [[], ["bodyweight"], ["dumbbells"], ["bands"], ["pull_up_bar"], ["machines", "kettlebells"]],
)
def test_only_owned_equipment_is_used(equipment: list[str]) -> None:
    owned = {*equipment, "bodyweight"}
    for goal in GOALS:
        program = generate(goal=goal, days_per_week=5, weeks=2, equipment=equipment)
        for exercise in catalogued(program):
            assert exercise.equipment <= owned, exercise.name
            assert "barbell" not in exercise.equipment


def test_owned_equipment_is_put_to_use() -> None:
    used = {kit for e in catalogued(generate(equipment=["barbell"])) for kit in e.equipment}
    assert "barbell" in used


def test_empty_equipment_means_bodyweight() -> None:
    assert generate(equipment=[]) == generate(equipment=["bodyweight"])


KNEE = {"jumping", "high_impact", "deep_knee_flexion"}


@pytest.mark.parametrize(
    ("notes", "tags", "goal", "kits", "mention"),
    [
        ("Sore left shoulder: no overhead pressing.", {"overhead"}, "strength", ([], ALL_KIT),
         "shoulder"),
        ("Bad knee after an ACL repair", KNEE, "fat_loss", ([], ALL_KIT), "knee"),
        ("lower back pain", {"spinal_loading", "spinal_flexion"}, "strength",
         (["barbell"], ALL_KIT), "lower back"),
        ("my wrist hurts", {"wrist_loading"}, "fat_loss", ([], ["dumbbells"]), "wrist"),
    ],
)  # fmt: skip
def test_injuries_in_notes_remove_tagged_exercises(
    notes: str, tags: set[str], goal: str, kits: tuple[list[str], ...], mention: str
) -> None:
    for equipment in kits:
        fields = {"goal": goal, "days_per_week": 4, "equipment": equipment}
        baseline = generate(**fields)
        adapted = generate(**fields, notes=notes)
        assert any(e.tags & tags for e in catalogued(baseline)), "the test needs a baseline"
        assert not any(e.tags & tags for e in catalogued(adapted))
        assert mention in adapted.summary
        assert mention not in baseline.summary


def test_healthy_notes_change_nothing() -> None:
    assert generate(notes="No knee problems, shoulders are fine") == generate()


def test_progression_builds_volume_within_a_block() -> None:
    for goal, experience in itertools.product(GOALS, EXPERIENCES):
        for minutes in (30, 60, 90):
            program = generate(
                goal=goal, experience=experience, weeks=3, session_minutes=minutes,
                equipment=ALL_KIT,
            )  # fmt: skip
            first, second, third = (volume(week) for week in program.weeks)
            assert first < second <= third, (goal, experience, minutes)
            assert first < third


def test_first_exercise_gains_sets_week_over_week() -> None:
    program = generate(goal="hypertrophy", weeks=3, equipment=ALL_KIT)
    sets = [week.sessions[0].exercises[1].sets for week in program.weeks]
    assert sets[0] < sets[1] < sets[2]


def test_long_blocks_deload_every_fourth_week() -> None:
    program = generate(goal="strength", weeks=9, equipment=ALL_KIT)
    volumes = [volume(week) for week in program.weeks]
    for deload in (4, 8):
        assert volumes[deload - 1] < volumes[deload - 2]
        assert volumes[deload - 1] < volumes[deload]
        assert program.weeks[deload - 1].focus.startswith("Deload")
        assert "Deload" in program.weeks[deload - 1].sessions[0].exercises[1].notes
    assert not any(w.focus.startswith("Deload") for w in program.weeks if w.week % 4)


def test_week_shape_deloads_only_long_programs_and_never_week_one() -> None:
    assert [n for n in range(1, 17) if week_shape(n, 16).deload] == [4, 8, 12, 16]
    assert [n for n in range(1, 5) if week_shape(n, 4).deload] == []
    assert all(not week_shape(1, weeks).deload for weeks in range(1, 17))
    assert week_shape(5, 8).block == 1 and week_shape(5, 8).step == 0


def test_later_blocks_lift_heavier_in_strength() -> None:
    program = generate(goal="strength", weeks=9, equipment=ALL_KIT)
    first_lift = [week.sessions[0].exercises[1] for week in program.weeks]
    assert first_lift[0].name == first_lift[8].name == "Barbell back squat"
    assert int(first_lift[8].reps) < int(first_lift[0].reps)


def main_lifts(goal: str, experience: str = "intermediate") -> list[Any]:
    """The first exercise after the warm-up of each week-1 lifting session."""
    program = generate(goal=goal, experience=experience, equipment=ALL_KIT)
    sessions = program.weeks[0].sessions
    return [s.exercises[1] for s in sessions if not s.name.startswith("Conditioning")]


def test_doses_follow_the_goal() -> None:
    for lift in main_lifts("strength"):
        assert int(lift.reps) <= 6 and lift.rest_seconds >= 150
    for lift in main_lifts("hypertrophy"):
        low, high = map(int, lift.reps.split("-"))
        assert 6 <= low and high <= 12 and 60 <= lift.rest_seconds <= 120
    for lift in main_lifts("endurance"):
        assert int(lift.reps.split("-")[0]) >= 12 and lift.rest_seconds <= 60
    for lift in main_lifts("fat_loss"):
        assert "Circuit" in lift.notes and lift.rest_seconds <= 45


@pytest.mark.parametrize("goal", GOALS)
def test_beginners_do_fewer_sets(goal: str) -> None:
    def sets(experience: str) -> list[int]:
        return [lift.sets for lift in main_lifts(goal, experience)]

    for fewer, more in zip(sets("beginner"), sets("advanced"), strict=True):
        assert fewer < more
    assert sum(sets("beginner")) < sum(sets("intermediate")) < sum(sets("advanced"))


def test_conditioning_days_use_timed_intervals() -> None:
    week = generate(goal="endurance", days_per_week=2, equipment=ALL_KIT).weeks[0]
    conditioning = week.sessions[1]
    assert conditioning.name == "Conditioning"
    assert all(e.reps.endswith(("s", "min")) for e in conditioning.exercises)


def test_same_request_same_program() -> None:
    fields = {"goal": "hypertrophy", "days_per_week": 5, "weeks": 6, "equipment": ALL_KIT}
    template.layout.cache_clear()
    first = generate(**fields)
    template.layout.cache_clear()
    assert generate(**fields) == first


def test_step_delay_is_awaited() -> None:
    generator = TemplateGenerator(step_delay_seconds=0.2)
    req = ProgramRequest.model_validate(request())

    async def plan_and_week() -> None:
        plan, _ = await generator.plan(req)
        await generator.week(req, plan, [], 1)

    started = time.monotonic()
    asyncio.run(plan_and_week())
    assert time.monotonic() - started >= 0.4


def test_zero_delay_never_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_sleep(seconds: float) -> None:
        raise AssertionError(f"slept {seconds}")

    monkeypatch.setattr(template.asyncio, "sleep", no_sleep)
    generator = TemplateGenerator()
    req = ProgramRequest.model_validate(request(days_per_week=7, equipment=ALL_KIT))

    async def thousand_steps() -> None:
        for number in range(1, 1001):
            plan, _ = await generator.plan(req)
            await generator.week(req, plan, [], number % 4 + 1)

    started = time.monotonic()
    asyncio.run(thousand_steps())
    assert time.monotonic() - started < 5  # loose: it only shows nothing sleeps
