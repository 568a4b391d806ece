"""One exercise's prescription in one week, and the words that go with it.

Sets, reps and rest come from `programs.coaching` by goal, role and
experience; the week's place in its block changes sets and effort, never
rest. Effort is said in the terms of the exercise's kind: reps in reserve
for lifts, hold quality for isometrics, the talk test or RPE for cardio.
"""

from __future__ import annotations

from dataclasses import dataclass

from programs import coaching, timing
from programs.catalogue import BW, CatalogueExercise
from programs.coaching import Role
from programs.schemas import Exercise, ProgramRequest

MAX_SETS: dict[Role, int] = {"main": 6, "accessory": 5, "isolation": 4, "core": 4}
# Bodyweight compound lifts in a strength program are slowed down to stay hard enough.
SLOWED = frozenset({"squat", "hinge", "lunge", "horizontal_push", "vertical_push",
                    "horizontal_pull", "vertical_pull"})  # fmt: skip
HOLD_SECONDS = {"beginner": 20, "intermediate": 30, "advanced": 40}
HOLD_STEP_SECONDS = 5  # a longer hold each block
DELOAD_CUT_FROM = 3  # sets: a deload takes one off exercises with at least this many
MOBILITY = (2, "45s", 15)  # sets, reps, rest seconds
MOBILITY_SET_SECONDS = 60  # 45 s of work, 15 s of rest
_DELOAD_LIFT = (
    f"Deload: about 60 % of recent loads, {coaching.DELOAD_RIR} or more reps in reserve "
    f"(RIR {coaching.DELOAD_RIR})."
)
_EFFORT = {
    "hold": "Hold with good form; stop the set about 5 s before it breaks down.",
    "mobility": "Ease into the range and breathe slowly; never into pain.",
    "easy": "Easy: talk test, you can speak in full sentences (zone 2, RPE 3-4).",
    "tempo": "Comfortably hard: short phrases only (RPE 6-7).",
    "hard": "Hard: RPE 8, only a few words at a time; recover easy between efforts.",
}


@dataclass(frozen=True)
class Prescription:
    """Reps and rest for one exercise in one block; sets are fitted separately."""

    reps: str
    rest: int  # seconds

    @property
    def per_set(self) -> int:
        """Seconds one set takes with its rest (`programs.timing`)."""
        return timing.work_seconds(self.reps) + self.rest


def base_sets(request: ProgramRequest, role: Role) -> int:
    """Sets at the block's peak before time fitting: goal and role, then experience."""
    return max(1, coaching.DOSES[request.goal][role].sets + coaching.EXTRA_SETS[request.experience])


def prescription(
    request: ProgramRequest, exercise: CatalogueExercise, role: Role, block: int
) -> Prescription:
    """Reps and rest by goal, role, experience and block (ACSM 2009, NSCA ch. 17)."""
    if exercise.kind == "mobility":
        return Prescription(MOBILITY[1], MOBILITY[2])
    dose = coaching.DOSES[request.goal][role]
    if exercise.kind == "hold":
        seconds = HOLD_SECONDS[request.experience] + HOLD_STEP_SECONDS * min(block, 2)
        return Prescription(f"{seconds}s", max(dose.rest, 30) if role == "core" else dose.rest)
    reps = dose.reps
    if request.goal == "strength" and role == "main":
        levels = coaching.STRENGTH_MAIN_REPS[request.experience]
        # A bodyweight lift cannot be loaded to 3-5 reps: slow it down at 6-8 instead.
        reps = "6-8" if exercise.equipment == BW else levels[min(block, len(levels) - 1)]
    return Prescription(reps, dose.rest)


def week_sets(peak: int, role: Role, step: int, deload: bool) -> int:
    """Sets in a week: one fewer on main lifts in a block's first week, and on every
    exercise of three or more sets in a deload."""
    if deload:  # lighter loads (RIR 4) and a little less volume
        return peak - 1 if peak >= DELOAD_CUT_FROM else peak
    if step == 0 and role == "main" and peak >= 3:
        return peak - 1
    return peak


def lift_effort(request: ProgramRequest, step: int, deload: bool) -> str:
    """Reps in reserve for this week of the block (beginners never near failure)."""
    if deload:
        return _DELOAD_LIFT
    plan = coaching.RIR[request.experience]
    rir = plan[min(step, len(plan) - 1)]
    extra = " Add a little load when every set hits the top of the range." if step else ""
    return f"Leave {rir} reps in reserve (RIR {rir}).{extra}"


def lift(
    request: ProgramRequest, exercise: CatalogueExercise, dose: Prescription, sets: int,
    step: int, deload: bool,
) -> Exercise:  # fmt: skip
    """A lift, hold or mobility drill as the program shows it."""
    if exercise.kind == "lift":
        effort = lift_effort(request, step, deload)
        if exercise.equipment == BW and request.goal == "strength" and exercise.pattern in SLOWED:
            effort = f"Lower for 3 seconds. {effort}"
    else:
        effort = _EFFORT[exercise.kind]
    return Exercise(
        name=exercise.name, sets=sets, reps=dose.reps, rest_seconds=dose.rest,
        notes=f"{exercise.cue} {effort}",
    )  # fmt: skip


def cardio(exercise: CatalogueExercise, sets: int, reps: str, rest: int, effort: str) -> Exercise:
    """Cardio work: `effort` is "easy", "tempo" or "hard"."""
    return Exercise(
        name=exercise.name, sets=sets, reps=reps, rest_seconds=rest,
        notes=f"{exercise.cue} {_EFFORT[effort]}",
    )  # fmt: skip


def mobility(exercise: CatalogueExercise, sets: int = MOBILITY[0]) -> Exercise:
    """A mobility drill: 45 s holds or flows with a short pause between."""
    _, reps, rest = MOBILITY
    return Exercise(
        name=exercise.name, sets=sets, reps=reps, rest_seconds=rest,
        notes=f"{exercise.cue} {_EFFORT['mobility']}",
    )  # fmt: skip
