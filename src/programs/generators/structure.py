"""The week's structure: which kinds of day a goal, a number of days and an experience get.

Lifting days list their slots (a movement pattern and a role) in priority
order: main lifts first, then accessories chosen for balance. Each pull
comes before the push of the same role, so whatever time cuts from the end,
a day never pushes more than it pulls (NSCA ch. 17: balance agonists and
antagonists). Cardio days name the kind of aerobic work (NSCA ch. 18).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from programs.catalogue import Pattern
from programs.coaching import Role
from programs.schemas import Experience, Goal

Cardio = Literal["intervals", "short_intervals", "tempo", "long"]


@dataclass(frozen=True)
class DayType:
    """A kind of training day.

    `slots` (lifting days) are tried in order; `offset` starts each pattern
    further down its options so two days of a split differ; `cardio` names a
    cardio day's work; a day with neither is mobility and recovery.
    """

    name: str
    slots: tuple[tuple[Pattern, Role], ...] = ()
    offset: int = 0
    cardio: Cardio | None = None


_M, _A, _I, _C = "main", "accessory", "isolation", "core"
FULL_A = DayType("Full body A", (
    ("squat", _M), ("horizontal_pull", _M), ("horizontal_push", _M), ("hinge", _A),
    ("vertical_pull", _A), ("vertical_push", _A), ("core", _C), ("rear_delts", _I),
    ("lunge", _A), ("biceps", _I), ("triceps", _I), ("carry", _C),
))  # fmt: skip
FULL_B = DayType("Full body B", (
    ("hinge", _M), ("vertical_pull", _M), ("vertical_push", _M), ("lunge", _A),
    ("horizontal_pull", _A), ("horizontal_push", _A), ("core", _C), ("rear_delts", _I),
    ("legs_accessory", _I), ("biceps", _I), ("triceps", _I), ("carry", _C),
), offset=1)  # fmt: skip
FULL_C = DayType("Full body C", (
    ("squat", _M), ("horizontal_pull", _M), ("horizontal_push", _M), ("hinge", _A),
    ("vertical_pull", _A), ("lunge", _A), ("carry", _C), ("rear_delts", _I),
    ("shoulders", _I), ("core", _C), ("biceps", _I), ("triceps", _I),
), offset=2)  # fmt: skip
UPPER_A = DayType("Upper body A", (
    ("horizontal_pull", _M), ("horizontal_push", _M), ("vertical_pull", _A),
    ("vertical_push", _A), ("rear_delts", _I), ("biceps", _I), ("triceps", _I),
    ("shoulders", _I), ("core", _C), ("horizontal_pull", _A), ("horizontal_push", _A),
))  # fmt: skip
UPPER_B = DayType("Upper body B", (
    ("vertical_pull", _M), ("vertical_push", _M), ("horizontal_pull", _A),
    ("horizontal_push", _A), ("rear_delts", _I), ("biceps", _I), ("triceps", _I),
    ("shoulders", _I), ("core", _C), ("vertical_pull", _A), ("vertical_push", _A),
), offset=1)  # fmt: skip
LOWER_A = DayType("Lower body A", (
    ("squat", _M), ("hinge", _A), ("lunge", _A), ("legs_accessory", _I), ("core", _C),
    ("carry", _C), ("legs_accessory", _I), ("core", _C), ("squat", _A),
))  # fmt: skip
LOWER_B = DayType("Lower body B", (
    ("hinge", _M), ("squat", _A), ("lunge", _A), ("legs_accessory", _I), ("core", _C),
    ("carry", _C), ("legs_accessory", _I), ("core", _C), ("hinge", _A),
), offset=1)  # fmt: skip
PUSH = ("horizontal_push", _M), ("vertical_push", _M), ("horizontal_push", _A), \
    ("triceps", _I), ("shoulders", _I), ("vertical_push", _A), ("core", _C)  # fmt: skip
PULL = ("vertical_pull", _M), ("horizontal_pull", _M), ("horizontal_pull", _A), \
    ("biceps", _I), ("rear_delts", _I), ("vertical_pull", _A), ("core", _C)  # fmt: skip
LEGS = ("squat", _M), ("hinge", _M), ("lunge", _A), ("legs_accessory", _I), \
    ("legs_accessory", _I), ("core", _C), ("carry", _C)  # fmt: skip
PUSH_A, PUSH_B = DayType("Push A", PUSH), DayType("Push B", PUSH, offset=1)
PULL_A, PULL_B = DayType("Pull A", PULL), DayType("Pull B", PULL, offset=1)
LEGS_A, LEGS_B = DayType("Legs A", LEGS), DayType("Legs B", LEGS, offset=1)
INTERVALS = DayType("Conditioning intervals", cardio="intervals")
SHORT_INTERVALS = DayType("Conditioning: short intervals", cardio="short_intervals", offset=1)
TEMPO = DayType("Tempo aerobic session", cardio="tempo", offset=1)
LONG = DayType("Long easy aerobic session", cardio="long")
RECOVERY = DayType("Mobility and recovery")

_UL = (UPPER_A, LOWER_A, UPPER_B, LOWER_B)
_PPL = (PUSH_A, PULL_A, LEGS_A, PUSH_B, PULL_B, LEGS_B)
LIFTING: dict[int, tuple[DayType, ...]] = {
    1: (FULL_A,), 2: (FULL_A, FULL_B), 3: (FULL_A, FULL_B, FULL_C), 4: _UL,
    5: (UPPER_A, LOWER_A, FULL_C, UPPER_B, LOWER_B), 6: _PPL, 7: (*_PPL, RECOVERY),
}  # fmt: skip
# Beginners keep to full-body and upper/lower days (simpler to learn), and recover on day 7.
BEGINNER_LIFTING: dict[int, tuple[DayType, ...]] = {
    **LIFTING, 6: (FULL_A, UPPER_A, LOWER_A, FULL_B, UPPER_B, LOWER_B),
    7: (FULL_A, UPPER_A, LOWER_A, FULL_B, UPPER_B, LOWER_B, RECOVERY),
}  # fmt: skip
ENDURANCE: dict[int, tuple[DayType, ...]] = {
    1: (LONG,), 2: (FULL_A, LONG), 3: (INTERVALS, FULL_A, LONG),
    4: (INTERVALS, FULL_A, TEMPO, LONG), 5: (INTERVALS, FULL_A, TEMPO, FULL_B, LONG),
    6: (INTERVALS, FULL_A, TEMPO, FULL_B, SHORT_INTERVALS, LONG),
    7: (INTERVALS, FULL_A, TEMPO, FULL_B, SHORT_INTERVALS, LONG, RECOVERY),
}  # fmt: skip
FAT_LOSS: dict[int, tuple[DayType, ...]] = {
    1: (FULL_A,), 2: (FULL_A, FULL_B), 3: (FULL_A, INTERVALS, FULL_B),
    4: (FULL_A, INTERVALS, FULL_B, LONG), 5: (FULL_A, INTERVALS, FULL_B, LONG, FULL_C),
    6: (FULL_A, INTERVALS, FULL_B, LONG, FULL_C, SHORT_INTERVALS),
    7: (FULL_A, INTERVALS, FULL_B, LONG, FULL_C, SHORT_INTERVALS, RECOVERY),
}  # fmt: skip
# General fitness: whole-body days (ACSM GETP: each major muscle group 2-3 days a week),
# conditioning from the third day, mobility from the sixth.
GENERAL: dict[int, tuple[DayType, ...]] = {
    1: (FULL_A,), 2: (FULL_A, FULL_B), 3: (FULL_A, INTERVALS, FULL_B),
    4: (FULL_A, INTERVALS, FULL_B, FULL_C), 5: (FULL_A, INTERVALS, FULL_B, LONG, FULL_C),
    6: (FULL_A, INTERVALS, FULL_B, LONG, FULL_C, RECOVERY),
    7: (FULL_A, INTERVALS, FULL_B, LONG, FULL_C, SHORT_INTERVALS, RECOVERY),
}  # fmt: skip


def split(goal: Goal, days: int, experience: Experience, thin: bool) -> tuple[DayType, ...]:
    """The week's day types for this goal, number of days and experience.

    `thin`: the person's kit and notes leave too few exercises for push, pull
    and legs days to fill a session, so six or seven days use the beginner's split.
    """
    if goal == "endurance":
        return ENDURANCE[days]
    if goal == "fat_loss":
        return FAT_LOSS[days]
    if goal == "general_fitness":
        return GENERAL[days]
    return (BEGINNER_LIFTING if experience == "beginner" or thin else LIFTING)[days]
