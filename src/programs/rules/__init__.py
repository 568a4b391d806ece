"""The coaching rules every program is checked against, hard and soft.

A rule is a named function over (request, program) that returns its problems
in words (empty when the program keeps it). Hard rules (time, equipment,
injuries and dislikes, counts, honest durations) make a program unusable: an
OpenAI answer that breaks one is sent back once with the rule's words. Soft
rules are what a coach would change: an OpenAI program keeps them as
`warnings`. The template generator keeps every rule by construction, which
`tests/unit/programs/test_rules_property.py` checks on 1,000 random requests.
docs/PROGRAMS.md lists the rules with their sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from programs.rules import hard, soft
from programs.schemas import LIST_TEXT_MAX, NOTES_MAX, Program, ProgramRequest

WARNINGS_MAX = LIST_TEXT_MAX  # lines kept on a program (Program.warnings is bounded)
Check = Callable[[ProgramRequest, Program], list[str]]


@dataclass(frozen=True)
class Rule:
    """One coaching rule: its name, whether breaking it makes a program unusable, its check."""

    name: str
    hard: bool
    check: Check

    @property
    def description(self) -> str:
        """The rule in one sentence (its check's docstring)."""
        return (self.check.__doc__ or self.name).strip()


RULES: tuple[Rule, ...] = (
    Rule("counts_match_request", True, hard.counts_match_request),
    Rule("fits_the_time", True, hard.fits_the_time),
    Rule("duration_is_honest", True, hard.duration_is_honest),
    Rule("equipment_owned", True, hard.equipment_owned),
    Rule("respects_notes", True, hard.respects_notes),
    Rule("uses_the_time", False, soft.uses_the_time),
    Rule("rest_fits_the_goal", False, soft.rest_fits_the_goal),
    Rule("reps_fit_the_goal", False, soft.reps_fit_the_goal),
    Rule("effort_fits_the_kind", False, soft.effort_fits_the_kind),
    Rule("balanced_week", False, soft.balanced_week),
    Rule("day_names_fit", False, soft.day_names_fit),
    Rule("cardio_where_it_belongs", False, soft.cardio_where_it_belongs),
    Rule("progresses_and_deloads", False, soft.progresses_and_deloads),
    Rule("beginner_friendly", False, soft.beginner_friendly),
    Rule("warms_up", False, soft.warms_up),
    Rule("says_what_it_is", False, soft.says_what_it_is),
)
HARD = tuple(rule for rule in RULES if rule.hard)
SOFT = tuple(rule for rule in RULES if not rule.hard)


def check(
    request: ProgramRequest, program: Program, rules: tuple[Rule, ...] = RULES
) -> dict[str, list[str]]:
    """Each rule's problems with the program, by rule name (only rules it breaks)."""
    found = {rule.name: rule.check(request, program) for rule in rules}
    return {name: problems for name, problems in found.items() if problems}


def warnings(request: ProgramRequest, program: Program) -> list[str]:
    """The soft rules' problems, one line each, for `Program.warnings`."""
    lines = [
        f"{name}: {problem}"
        for name, problems in check(request, program, SOFT).items()
        for problem in problems
    ]
    # A problem can quote the model's own text (a title of 1,200 characters): cut to fit.
    return [line if len(line) <= NOTES_MAX else line[: NOTES_MAX - 1] + "…" for line in lines]
