"""The exercise catalogue: its data is sound and notes rule out the right exercises."""

from typing import get_args

import pytest

from programs.catalogue import (
    CATALOGUE,
    INJURIES,
    REQUESTS,
    adaptations,
    available,
    by_pattern,
    excluded_tags,
)
from programs.schemas import Equipment

NAMES = {exercise.name for exercise in CATALOGUE}


def test_catalogue_is_a_real_size_with_unique_names() -> None:
    assert 60 <= len(CATALOGUE) <= 100
    assert len(NAMES) == len(CATALOGUE)


def test_equipment_is_the_contracts_and_every_tag_is_used_by_a_rule() -> None:
    rule_tags = {tag for rule in (*INJURIES, *REQUESTS) for tag in rule.avoid}
    for exercise in CATALOGUE:
        assert exercise.equipment, exercise.name
        assert exercise.equipment <= set(get_args(Equipment)), exercise.name
        assert exercise.tags <= rule_tags, exercise.name
        assert exercise.cue.endswith("."), exercise.name


def test_every_filler_pattern_survives_every_exclusion_with_bodyweight() -> None:
    """Core, mobility and aerobic work can always fill a session."""
    everything = {tag for rule in INJURIES for tag in rule.avoid}
    pool = available([], everything)
    for pattern in ("core", "mobility", "aerobic"):
        assert by_pattern(pool, pattern), pattern


def test_available_needs_all_required_equipment() -> None:
    bodyweight = {e.name for e in available([])}
    assert bodyweight == {e.name for e in CATALOGUE if e.equipment == {"bodyweight"}}
    assert bodyweight == {e.name for e in available(["bodyweight"])}
    barbell = {e.name for e in available(["barbell"])}
    assert "Barbell back squat" in barbell and "Push-up" in barbell
    assert "Pull-up" not in barbell
    assert "Band-assisted pull-up" not in {e.name for e in available(["pull_up_bar"])}
    assert "Band-assisted pull-up" in {e.name for e in available(["pull_up_bar", "bands"])}


def test_available_drops_avoided_tags() -> None:
    pool = available(get_args(Equipment), {"overhead"})
    assert pool
    assert not any("overhead" in exercise.tags for exercise in pool)
    assert "Barbell overhead press" not in {e.name for e in pool}


def test_by_pattern_keeps_catalogue_order() -> None:
    squats = by_pattern(CATALOGUE, "squat")
    assert squats[0].name == "Barbell back squat"
    assert all(exercise.pattern == "squat" for exercise in squats)
    assert list(squats) == [e for e in CATALOGUE if e.pattern == "squat"]


@pytest.mark.parametrize(
    ("notes", "expected"),
    [
        ("Sore left shoulder: no overhead pressing.", {"overhead"}),
        ("SHOULDER IMPINGEMENT", {"overhead"}),
        ("Rotator cuff tear last year", {"overhead"}),
        ("bad knee", {"jumping", "high_impact", "deep_knee_flexion"}),
        ("Torn ACL in 2020", {"jumping", "high_impact", "deep_knee_flexion"}),
        ("My lower back hurts after long days", {"spinal_loading", "spinal_flexion"}),
        ("herniated disc", {"spinal_loading", "spinal_flexion"}),
        ("wrist pain on push-ups", {"wrist_loading"}),
        ("sprained ankle", {"jumping", "high_impact"}),
        ("tennis elbow is flaring up", {"elbow_stress"}),
        ("Knees fine, bad shoulder", {"overhead"}),
        ("no problems with my knees but my wrist is sore", {"wrist_loading"}),
        ("Knee is not great", {"jumping", "high_impact", "deep_knee_flexion"}),
        ("low-impact please", {"jumping", "high_impact"}),
        ("No jumping, I live in a flat", {"jumping"}),
    ],
)
def test_injuries_and_requests_exclude_tags(notes: str, expected: set[str]) -> None:
    assert excluded_tags(notes) == expected


@pytest.mark.parametrize(
    "notes",
    [
        "",
        "no knee issues",
        "No injuries with my shoulders",
        "healthy knees, strong back",
        "my shoulder is fine now",
        "I want bigger shoulders",
        "Back squats are my favourite",
        "Prefer mornings, love deadlifts",
    ],
)
def test_healthy_or_unrelated_notes_exclude_nothing(notes: str) -> None:
    assert excluded_tags(notes) == set()


def test_adaptations_name_what_changed_without_repeating_a_request() -> None:
    found = adaptations("Sore shoulder so no overhead work, and my knee hurts")
    assert [rule.label for rule in found] == ["shoulder", "knee"]
