"""docs/PROGRAMS.md shows what the generator writes today, and the stated bounds hold."""

import sys
from pathlib import Path

from programs import rules
from programs.schemas import (
    EXERCISES_MAX,
    LIST_TEXT_MAX,
    NAME_MAX,
    NOTES_MAX,
    REPS_MAX,
    REQUEST_NOTES_MAX,
    TEXT_MAX,
    Exercise,
    Program,
    Session,
    Warmup,
    Week,
)

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))

import render_examples  # noqa: E402

PROGRAM_BYTES_MAX = 1_000_000  # docs/PROGRAMS.md, "How big a program can be"


def test_the_examples_in_the_doc_are_the_generators_output() -> None:
    doc = (ROOT / "docs" / "PROGRAMS.md").read_text(encoding="utf-8")
    assert render_examples.section() in doc, "run: python scripts/render_examples.py"


def test_the_doc_lists_every_rule() -> None:
    doc = (ROOT / "docs" / "PROGRAMS.md").read_text(encoding="utf-8")
    for rule in rules.RULES:
        assert f"| `{rule.name}` | {'hard' if rule.hard else 'soft'} |" in doc, rule.name


def test_the_largest_possible_program_stays_under_the_stated_bound() -> None:
    exercise = Exercise(name="n" * NAME_MAX, sets=10, reps="r" * REPS_MAX, rest_seconds=600,
                        notes="x" * NOTES_MAX)  # fmt: skip
    session = Session(day=7, name="n" * NAME_MAX, duration_minutes=180,
                      warmup=Warmup(minutes=30, description="d" * NOTES_MAX),
                      exercises=[exercise] * EXERCISES_MAX)  # fmt: skip
    week = Week(week=16, focus="f" * NOTES_MAX, sessions=[session] * 7)
    lines = [line * NOTES_MAX for line in "aw"]
    program = Program(
        title="t" * TEXT_MAX, summary="s" * TEXT_MAX, generator="g" * NAME_MAX, weeks=[week] * 16,
        notes_applied=[lines[0]] * LIST_TEXT_MAX, warnings=[lines[1]] * LIST_TEXT_MAX,
        notes_not_understood=["b" * REQUEST_NOTES_MAX] * LIST_TEXT_MAX,
    )  # fmt: skip
    assert len(program.model_dump_json().encode()) < PROGRAM_BYTES_MAX
