"""Reading notes: injuries, dislikes and constraints in the words people write."""

import time

import pytest

from programs import notes

KNEE = {"jumping", "high_impact", "deep_knee_flexion", "noisy"}


@pytest.mark.parametrize(
    ("text", "avoid", "names", "label"),
    [
        ("I hate running", {"running"}, set(), "running"),
        ("no jumping", {"jumping", "noisy"}, set(), "jumping"),
        ("quiet — upstairs flat", {"jumping", "noisy"}, set(), "quiet"),
        ("no burpees", set(), {"Burpee"}, "burpees"),
        ("bad knees", KNEE, set(), "knee"),
        ("Bad knee after an ACL repair", KNEE, set(), "knee"),
        ("Sore left shoulder: no overhead pressing.", {"overhead"}, set(), "shoulder"),
        ("lower back pain", {"spinal_loading", "spinal_flexion"}, set(), "lower back"),
        ("my wrist hurts", {"wrist_loading"}, set(), "wrist"),
        ("tennis elbow", {"elbow_stress"}, set(), "elbow"),
        ("low impact please", {"jumping", "high_impact", "noisy"}, set(), "high impact"),
        ("I don't like lunges", set(), {"Reverse lunge", "Bulgarian split squat"}, "lunges"),
        ("can't stand the rowing machine", set(), {"Rowing machine intervals"}, "rowing machine"),
        ("no squats", set(), {"Barbell back squat", "Bodyweight squat"}, "squats"),
        ("sick of deadlifts", set(), {"Barbell deadlift", "Kettlebell deadlift"}, "deadlifts"),
    ],
)  # fmt: skip
def test_phrases_people_write(text: str, avoid: set[str], names: set[str], label: str) -> None:
    reading = notes.read(text)
    assert avoid <= reading.avoid
    assert names <= reading.names
    assert any(change.startswith(label) for change in reading.applied), reading.applied
    assert reading.not_understood == ()


def test_schedule_constraints_are_understood() -> None:
    reading = notes.read("only 2 days some weeks, prefer mornings")
    assert reading.fewer_days == 2
    assert reading.mornings
    assert "morning training: a longer, gradual warm-up" in reading.applied
    assert reading.not_understood == ()


@pytest.mark.parametrize(
    "text", ["No knee problems, shoulders are fine", "I love running", "healthy back"]
)
def test_healthy_or_liked_things_rule_nothing_out(text: str) -> None:
    reading = notes.read(text)
    assert not reading.avoid and not reading.names


def test_what_no_table_reads_is_kept_word_for_word() -> None:
    reading = notes.read("Training for a wedding. I love running; bad knees")
    assert reading.not_understood == ("Training for a wedding", "I love running")
    assert "knee" in reading.labels


def test_many_remarks_are_all_kept() -> None:
    text = ". ".join(f"remark number {n}" for n in range(40))
    kept = notes.read(text).not_understood
    assert len(kept) == notes.NOT_UNDERSTOOD_MAX
    assert "remark number 39" in kept[-1]


@pytest.mark.parametrize(
    "text",
    [
        "knee " * 200, "my " * 333, "no " * 333, "a" * 1000, "only " * 200,
        "not " * 250, "bad back " * 110, ("x" * 40 + " ") * 24, "-" * 1000, "!" * 1000,
        "no knee " * 125, "only 2 " * 166,
    ],
)  # fmt: skip
def test_the_worst_notes_read_fast(text: str) -> None:
    """No pattern backtracks: the longest adversarial notes read in about 5 ms at worst
    (1,000 one-character clauses); the bound is loose for a busy CI machine, and still
    far under what catastrophic backtracking takes (seconds to hours)."""
    text = text[:1000]
    notes.read.cache_clear()
    started = time.perf_counter()
    notes.read(text)
    assert time.perf_counter() - started < 0.25
