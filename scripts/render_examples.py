"""Render one example program per goal into docs/PROGRAMS.md, as a person reads them.

    python scripts/render_examples.py          # rewrite the examples section
    python scripts/render_examples.py --check  # exit 1 when the doc is out of date

The examples are the template generator's output for the requests below, so
the doc stays true: tests/unit/programs/test_docs.py fails when it is not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench import programs as bench_programs  # noqa: E402

from programs.schemas import Program, Session  # noqa: E402

DOC = ROOT / "docs" / "PROGRAMS.md"
START, END = "<!-- examples:start -->", "<!-- examples:end -->"
EXAMPLES: tuple[dict[str, Any], ...] = (
    {"goal": "strength", "experience": "intermediate", "days_per_week": 3, "weeks": 6,
     "session_minutes": 60, "equipment": ["barbell", "dumbbells"],
     "notes": "Sore left shoulder: no overhead pressing."},
    {"goal": "hypertrophy", "experience": "advanced", "days_per_week": 4, "weeks": 6,
     "session_minutes": 75, "equipment": ["barbell", "dumbbells", "machines", "pull_up_bar"],
     "notes": ""},
    {"goal": "endurance", "experience": "beginner", "days_per_week": 4, "weeks": 6,
     "session_minutes": 45, "equipment": [], "notes": "I hate running. Bad knees."},
    {"goal": "fat_loss", "experience": "intermediate", "days_per_week": 4, "weeks": 6,
     "session_minutes": 45, "equipment": ["dumbbells", "kettlebells", "bands"],
     "notes": "No jumping, quiet — upstairs flat. Prefer mornings."},
    {"goal": "general_fitness", "experience": "beginner", "days_per_week": 3, "weeks": 6,
     "session_minutes": 40, "equipment": ["bands"],
     "notes": "Only 2 days some weeks. Training for a wedding."},
)  # fmt: skip


def generate(payload: dict[str, Any]) -> Program:
    """The template's program for a request, through every step (as the bench runs it)."""
    return Program.model_validate(bench_programs.generate(payload))


def _session(session: Session) -> list[str]:
    warmup = session.warmup
    lines = [f"- **Day {session.day}: {session.name}** ({session.duration_minutes} min)"]
    if warmup is not None:
        lines.append(f"  - Warm-up, {warmup.minutes} min: {warmup.description}")
    for exercise in session.exercises:
        lines.append(
            f"  - {exercise.name}: {exercise.sets} x {exercise.reps}, rest "
            f"{exercise.rest_seconds} s. {exercise.notes}"
        )
    return lines


def render(payload: dict[str, Any]) -> str:
    """One program as Markdown: the request, what it is, then every week."""
    program = generate(payload)
    kit = ", ".join(payload["equipment"]) or "bodyweight"
    lines = [
        f"### {program.title}",
        "",
        f"Request: {payload['goal']}, {payload['experience']}, {payload['days_per_week']} "
        f"days x {payload['weeks']} weeks, {payload['session_minutes']} min, {kit}; "
        f"notes: {payload['notes'] or '(none)'}",
        "",
        program.summary,
        "",
    ]
    lines += [f"- Notes applied: {change}" for change in program.notes_applied]
    lines += [f"- Notes not understood (kept): {text}" for text in program.notes_not_understood]
    for week in program.weeks:
        lines += ["", f"**Week {week.week}** — {week.focus}", ""]
        for session in week.sessions:
            lines += _session(session)
    return "\n".join(lines)


def section() -> str:
    """The whole examples section, between its markers."""
    body = "\n\n".join(render(payload) for payload in EXAMPLES)
    return f"{START}\n{body}\n{END}"


def main() -> None:
    """Rewrite the examples in docs/PROGRAMS.md, or check that they are current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is stale")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    updated = before + section() + after
    if args.check:
        sys.exit(0 if updated == text else 1)
    DOC.write_text(updated, encoding="utf-8")
    print(f"wrote {len(EXAMPLES)} examples to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
