"""Every coaching rule holds for every template program: 1,000 random requests.

Derandomized, so CI sees the same 1,000 requests every run; a failure prints
the request and the broken rule's words.
"""

from __future__ import annotations

from typing import get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from program_helpers import generate

from programs import rules
from programs.schemas import Equipment, Experience, Goal, ProgramRequest

# Notes as people write them; the rules read them the same way the generator does.
NOTES = [
    "", "Bad knees.", "I hate running", "no jumping, quiet — upstairs flat", "no burpees",
    "Sore left shoulder: no overhead pressing.", "lower back pain", "my wrist hurts",
    "only 2 days some weeks", "prefer mornings", "training for a wedding", "no lunges",
    "tennis elbow and bad knees, I hate running", "low impact please", "no push-ups",
    "ankle sprain, no jumping", "I don't like rowing machines or bikes", "no planks",
    "no squats, sick of deadlifts", "I hate kettlebells and stairs", "no bench, no crunches",
]  # fmt: skip

requests = st.builds(
    ProgramRequest,
    goal=st.sampled_from(get_args(Goal)),
    experience=st.sampled_from(get_args(Experience)),
    days_per_week=st.integers(1, 7),
    weeks=st.integers(1, 16),
    session_minutes=st.integers(15, 180),
    equipment=st.lists(st.sampled_from(get_args(Equipment)), unique=True),
    notes=st.sampled_from(NOTES),
)


@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(requests)
def test_every_rule_holds_for_every_template_program(request: ProgramRequest) -> None:
    program = generate(request.model_dump())
    assert rules.check(request, program) == {}
