"""The exercise catalogue: its data is sound and the pool honours kit and exclusions."""

from typing import get_args

from programs import notes
from programs.catalogue import BEGINNER_AVOID, CATALOGUE, available, by_pattern
from programs.schemas import Equipment

NAMES = {exercise.name for exercise in CATALOGUE}


def test_catalogue_is_a_real_size_with_unique_names() -> None:
    assert 80 <= len(CATALOGUE) <= 130
    assert len(NAMES) == len(CATALOGUE)


def test_equipment_is_the_contracts_and_every_tag_is_used() -> None:
    rules = (*notes.INJURIES, *notes.ACTIVITIES, notes.QUIET)
    used = {tag for rule in rules for tag in rule.avoid} | BEGINNER_AVOID | {"light"}
    for exercise in CATALOGUE:
        assert exercise.equipment, exercise.name
        assert exercise.equipment <= set(get_args(Equipment)), exercise.name
        assert exercise.tags <= used, exercise.name
        assert exercise.cue.endswith("."), exercise.name


def test_every_pattern_a_session_needs_survives_every_exclusion_with_bodyweight() -> None:
    """Whatever the notes and the experience, there is always a squat, a push, a pull..."""
    everything = {tag for rule in notes.INJURIES for tag in rule.avoid} | BEGINNER_AVOID
    pool = available([], everything | {"running", "noisy"})
    for pattern in ("squat", "hinge", "horizontal_push", "horizontal_pull", "core",
                    "mobility", "steady", "intervals"):  # fmt: skip
        assert by_pattern(pool, pattern), pattern


def test_available_needs_all_required_equipment() -> None:
    bodyweight = {e.name for e in available([])}
    assert bodyweight == {e.name for e in CATALOGUE if e.equipment == {"bodyweight"}}
    barbell = {e.name for e in available(["barbell"])}
    assert "Barbell back squat" in barbell and "Push-up" in barbell
    assert "Pull-up" not in barbell
    assert "Band-assisted pull-up" not in {e.name for e in available(["pull_up_bar"])}
    assert "Band-assisted pull-up" in {e.name for e in available(["pull_up_bar", "bands"])}


def test_available_drops_avoided_tags_and_names() -> None:
    pool = available(get_args(Equipment), {"overhead"}, {"Burpee"})
    assert not any("overhead" in exercise.tags for exercise in pool)
    assert "Burpee" not in {e.name for e in pool}


def test_by_pattern_keeps_catalogue_order() -> None:
    squats = [e.name for e in by_pattern(CATALOGUE, "squat")]
    assert squats[0] == "Barbell back squat"
