"""The numbers a coach programs with: one table each, shared by the generator and the rules.

Sources, cited where each number is used:
  ACSM 2009   American College of Sports Medicine position stand, "Progression
              models in resistance training for healthy adults" (MSSE 41:687-708).
  NSCA        NSCA's Essentials of Strength Training and Conditioning, 4th ed.,
              ch. 17 (program design) and ch. 18 (aerobic training).
  WHO 2020    WHO guidelines on physical activity and sedentary behaviour.
  ACSM GETP   ACSM's Guidelines for Exercise Testing and Prescription, 11th ed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from programs.schemas import Experience, Goal

Role = Literal["main", "accessory", "isolation", "core"]


@dataclass(frozen=True)
class Dose:
    """A prescription before weekly progression: sets, rep range, rest, and the limits."""

    sets: int
    reps: str
    rest: int  # seconds


# Sets for an intermediate, rep range and rest by goal and role. Strength: main
# lifts 3-6 reps with 2-5 min rest (NSCA ch. 17, table 17.8; ACSM 2009: 2-3 min
# for core lifts); hypertrophy 6-12 reps, 1-2 min (ACSM 2009); muscular
# endurance 15-20+ reps, under 90 s, often 30-60 s (ACSM 2009; NSCA <= 30 s for
# circuits); general fitness 8-12 reps, 1-2 min (ACSM GETP).
DOSES: dict[Goal, dict[Role, Dose]] = {
    "strength": {"main": Dose(4, "5", 180), "accessory": Dose(3, "6-8", 120),
                 "isolation": Dose(3, "8-10", 90), "core": Dose(3, "8-10", 60)},
    "hypertrophy": {"main": Dose(4, "6-8", 120), "accessory": Dose(3, "8-12", 90),
                    "isolation": Dose(3, "10-15", 75), "core": Dose(3, "10-12", 60)},
    "endurance": {"main": Dose(3, "15", 45), "accessory": Dose(3, "15-20", 45),
                  "isolation": Dose(2, "15-20", 30), "core": Dose(3, "12-15", 30)},
    "fat_loss": {"main": Dose(3, "10-12", 60), "accessory": Dose(3, "12-15", 45),
                 "isolation": Dose(2, "12-15", 45), "core": Dose(3, "12-15", 30)},
    "general_fitness": {"main": Dose(3, "8-10", 90), "accessory": Dose(3, "10-12", 75),
                        "isolation": Dose(2, "12-15", 60), "core": Dose(3, "10-12", 45)},
}  # fmt: skip
# Novices start with fewer sets and more reps in reserve (ACSM 2009: 1-3 sets for
# novices, multiple sets and periodized volume for intermediate and advanced).
EXTRA_SETS: dict[Experience, int] = {"beginner": -1, "intermediate": 0, "advanced": 1}
# Beginner strength: 6-8 reps, lighter than 1-6 RM work (ACSM 2009: novices 8-12 RM,
# moving to heavier loads as technique settles). Later blocks go heavier for the rest.
STRENGTH_MAIN_REPS: dict[Experience, tuple[str, ...]] = {
    "beginner": ("6-8", "6", "5"),
    "intermediate": ("5", "4", "3"),
    "advanced": ("5", "3", "2-3"),
}
# Least rest a goal needs after a set, by role, checked by the rules (NSCA ch. 17:
# strength 2-5 min, hypertrophy 30-90 s+, so 60 s for accessories, 90 s for main lifts).
MIN_REST: dict[Goal, dict[str, int]] = {
    "strength": {"main": 120, "other": 60},
    "hypertrophy": {"main": 90, "other": 60},
    "endurance": {"main": 20, "other": 20},
    "fat_loss": {"main": 30, "other": 20},
    "general_fitness": {"main": 60, "other": 30},
}
MAX_REST_ENDURANCE = 90  # seconds: muscular endurance rests under 90 s (ACSM 2009)
# Top of the rep range allowed for a goal's lifts (main lifts, then the rest).
REP_LIMITS: dict[Goal, tuple[tuple[int, int], tuple[int, int]]] = {
    "strength": ((1, 8), (3, 15)),
    "hypertrophy": ((5, 12), (6, 20)),
    "endurance": ((12, 25), (10, 30)),
    "fat_loss": ((8, 20), (8, 25)),
    "general_fitness": ((5, 15), (6, 20)),
}
# Reps in reserve by experience over a block's building weeks (RIR-based RPE,
# Helms et al. 2016, as NSCA presents it): beginners never train near failure.
RIR: dict[Experience, tuple[int, ...]] = {
    "beginner": (3, 3, 2, 2, 2),
    "intermediate": (3, 2, 2, 1),
    "advanced": (2, 2, 1),
}
DELOAD_RIR = 4
# Weeks per block, the last a deload: novices progress longer before they need one,
# advanced lifters (heavier, closer to failure) need one sooner (NSCA ch. 17
# periodization; ACSM 2009 on varying volume and intensity).
BLOCK_WEEKS: dict[Experience, int] = {k: len(v) + 1 for k, v in RIR.items()}
# Cardio session time over the building weeks rises from this share to all of it
# (NSCA ch. 18: increase aerobic duration by no more than about 10 % a week).
CARDIO_START_SHARE = 0.8
DELOAD_SHARE = 0.75  # a deload week keeps the session's length but eases the work
# A session uses at least this share of the time asked (WHO 2020: more activity is
# better; a program far under the asked time wastes the person's slot).
MIN_TIME_SHARE = 0.7
# A deload is a shorter week on purpose (NSCA ch. 17: cut volume by 40-60 % for a week):
# its sessions may end early, down to this share of the time asked.
DELOAD_MIN_TIME_SHARE = 0.5
WARMUP_MINUTES = (5, 10)  # shortest and longest warm-up (ACSM GETP: 5-10 min)


def deload_week(number: int, weeks: int, experience: Experience) -> bool:
    """A deload closes each block, unless it would be the program's last week."""
    return number % BLOCK_WEEKS[experience] == 0 and number < weeks


def block_of(number: int, experience: Experience) -> tuple[int, int]:
    """(block, step within the block), both 0-based."""
    length = BLOCK_WEEKS[experience]
    return (number - 1) // length, (number - 1) % length


def building_weeks(weeks: int, experience: Experience) -> list[int]:
    """The week numbers that are not deloads."""
    return [n for n in range(1, weeks + 1) if not deload_week(n, weeks, experience)]
