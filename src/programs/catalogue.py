"""The exercises the template generator may choose from, and what each one is.

Within a pattern, exercises are listed from most to least loadable, so the
first available one is what a coach would reach for first (and what stays as
the main lift); the others are the variations accessories rotate through.

Tags say what an exercise stresses or needs, so notes (`programs.notes`) and
experience can rule it out: `technical` (a skill a beginner should learn
later), `jumping`, `high_impact`, `noisy` (lands or stamps: not in a flat
with neighbours below), `running`, `overhead`, `spinal_loading`,
`spinal_flexion`, `deep_knee_flexion`, `wrist_loading`, `elbow_stress`, and
`light` (too light to be a day's main lift when something heavier is there).
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from typing import Literal

Pattern = Literal[
    "squat",
    "hinge",
    "lunge",
    "horizontal_push",
    "vertical_push",
    "horizontal_pull",
    "vertical_pull",
    "core",
    "carry",
    "triceps",
    "biceps",
    "rear_delts",
    "shoulders",
    "legs_accessory",
    "intervals",
    "steady",
    "mobility",
]
# What an exercise is, for its dose and its effort instruction.
Kind = Literal["lift", "hold", "intervals", "steady", "mobility"]

# Lateral raises count with pushing: the safe side of the pull-at-least-as-much-as-push rule.
PUSH_PATTERNS: frozenset[str] = frozenset(
    {"horizontal_push", "vertical_push", "triceps", "shoulders"}
)
PULL_PATTERNS: frozenset[str] = frozenset(
    {"horizontal_pull", "vertical_pull", "biceps", "rear_delts"}
)
LOWER_PATTERNS: frozenset[str] = frozenset({"squat", "hinge", "lunge", "legs_accessory"})
CARDIO_PATTERNS: frozenset[str] = frozenset({"intervals", "steady"})
BEGINNER_AVOID: frozenset[str] = frozenset({"technical", "jumping", "high_impact"})

BW = frozenset({"bodyweight"})
BB = frozenset({"barbell"})
DB = frozenset({"dumbbells"})
KB = frozenset({"kettlebells"})
MC = frozenset({"machines"})
BD = frozenset({"bands"})
PU = frozenset({"pull_up_bar"})


@dataclass(frozen=True)
class CatalogueExercise:
    """One exercise: what it trains, what it needs, what it stresses, how to do it."""

    name: str
    pattern: Pattern
    equipment: frozenset[str]
    tags: frozenset[str]
    cue: str
    timed: bool = False

    @property
    def kind(self) -> Kind:
        """Lift, hold, intervals, steady cardio or mobility: sets its dose and effort words."""
        if self.pattern in ("intervals", "steady", "mobility"):
            return self.pattern
        return "hold" if self.timed else "lift"


def _ex(
    name: str, pattern: Pattern, equipment: frozenset[str], tags: str, cue: str, timed: bool = False
) -> CatalogueExercise:
    """Keep the table below one readable line per exercise."""
    return CatalogueExercise(name, pattern, equipment, frozenset(tags.split()), cue, timed)


# fmt: off
CATALOGUE: tuple[CatalogueExercise, ...] = (
    # squat
    _ex("Barbell back squat", "squat", BB, "spinal_loading deep_knee_flexion",
        "Brace hard, sit between your hips, knees track over toes."),
    _ex("Barbell front squat", "squat", BB,
        "spinal_loading deep_knee_flexion wrist_loading technical",
        "Elbows high, stay tall, drive straight up."),
    _ex("Leg press", "squat", MC, "",
        "Feet shoulder-width; lower only as far as your back stays flat."),
    _ex("Dumbbell goblet squat", "squat", DB, "deep_knee_flexion",
        "Hold the bell at your chest, elbows inside the knees at the bottom."),
    _ex("Kettlebell goblet squat", "squat", KB, "deep_knee_flexion",
        "Bell by the horns, chest up, pause at the bottom."),
    _ex("Bodyweight squat", "squat", BW, "deep_knee_flexion",
        "Arms forward, heels down, control the descent."),
    _ex("Box squat to a chair", "squat", BW, "light ",
        "Touch the seat lightly and stand; a knee-friendly range."),
    _ex("Wall sit", "squat", BW, "", "Back flat on the wall, thighs as level as is comfortable.",
        timed=True),
    # hinge
    _ex("Barbell deadlift", "hinge", BB, "spinal_loading",
        "Bar over mid-foot, lats tight, push the floor away."),
    _ex("Barbell Romanian deadlift", "hinge", BB, "spinal_loading",
        "Soft knees, hips back until the hamstrings stretch, flat back."),
    _ex("Barbell hip thrust", "hinge", BB, "",
        "Chin tucked, ribs down, squeeze the glutes at the top."),
    _ex("Dumbbell Romanian deadlift", "hinge", DB, "",
        "Bells slide down the thighs; stop when the back wants to round."),
    _ex("Kettlebell deadlift", "hinge", KB, "", "Bell between the feet, hips back, stand tall."),
    _ex("Single-leg dumbbell Romanian deadlift", "hinge", DB, "light technical",
        "Hips square, reach the free leg back as a counterweight."),
    _ex("Machine back extension", "hinge", MC, "light ",
        "Hinge at the hips over the pad, stop at a straight line."),
    _ex("Glute bridge", "hinge", BW, "", "Heels close, push through them, hold the top a beat."),
    _ex("Single-leg glute bridge", "hinge", BW, "",
        "One foot planted, hips level, squeeze at the top."),
    # lunge
    _ex("Dumbbell step-up", "lunge", DB, "", "Whole foot on the box, no push from the back leg."),
    _ex("Bulgarian split squat", "lunge", DB, "deep_knee_flexion technical",
        "Rear foot on a bench, most weight on the front leg."),
    _ex("Dumbbell walking lunge", "lunge", DB, "deep_knee_flexion",
        "Long steps, back knee kisses the floor, torso tall."),
    _ex("Kettlebell reverse lunge", "lunge", KB, "deep_knee_flexion",
        "Step back softly, front shin near vertical."),
    _ex("Step-up", "lunge", BW, "", "Use a stair or sturdy box; stand fully at the top."),
    _ex("Reverse lunge", "lunge", BW, "deep_knee_flexion",
        "Step back, drop straight down, drive through the front heel."),
    _ex("Split squat", "lunge", BW, "deep_knee_flexion",
        "Feet staggered and fixed, lower the back knee straight down."),
    # horizontal push
    _ex("Barbell bench press", "horizontal_push", BB, "",
        "Shoulder blades pinned, bar to lower chest, feet planted."),
    _ex("Dumbbell bench press", "horizontal_push", DB, "",
        "Elbows about 45 degrees from the body, press up and slightly in."),
    _ex("Machine chest press", "horizontal_push", MC, "",
        "Handles at mid-chest, control the return."),
    _ex("Incline dumbbell press", "horizontal_push", DB, "",
        "Bench at 30 degrees, lower to the upper chest."),
    _ex("Kettlebell floor press", "horizontal_push", KB, "",
        "Upper arm touches the floor, pause, press."),
    _ex("Band chest press", "horizontal_push", BD, "",
        "Band anchored behind you, press forward without shrugging."),
    _ex("Push-up", "horizontal_push", BW, "wrist_loading technical",
        "Body in one line, chest to the floor, elbows back."),
    _ex("Incline push-up", "horizontal_push", BW, "wrist_loading",
        "Hands on a bench or counter; lower the surface as you get stronger."),
    _ex("Fist push-up against a counter", "horizontal_push", BW, "",
        "On your fists with straight wrists, body in one line, chest to the edge."),
    # vertical push
    _ex("Barbell overhead press", "vertical_push", BB, "overhead spinal_loading",
        "Squeeze glutes, bar path close to the face, head through at the top."),
    _ex("Seated dumbbell shoulder press", "vertical_push", DB, "overhead",
        "Back against the pad, press to straight arms without arching."),
    _ex("Machine shoulder press", "vertical_push", MC, "overhead",
        "Handles at shoulder height, press smoothly."),
    _ex("Kettlebell overhead press", "vertical_push", KB, "overhead",
        "Bell in the rack, forearm vertical, lock out by the ear."),
    _ex("Landmine press", "vertical_push", BB, "",
        "Press up and forward on an angle; kinder to the shoulder than overhead."),
    _ex("Band overhead press", "vertical_push", BD, "overhead",
        "Stand on the band, ribs down, press to lockout."),
    _ex("Pike push-up", "vertical_push", BW, "overhead wrist_loading technical",
        "Hips high, head travels forward of the hands."),
    # horizontal pull
    _ex("Barbell bent-over row", "horizontal_pull", BB, "spinal_loading technical",
        "Hinge to 45 degrees, pull the bar to the belly button."),
    _ex("One-arm dumbbell row", "horizontal_pull", DB, "",
        "Hand and knee on a bench, pull the elbow to the hip."),
    _ex("Seated cable row", "horizontal_pull", MC, "",
        "Chest up, pull to the stomach, let the shoulders reach forward."),
    _ex("Chest-supported dumbbell row", "horizontal_pull", DB, "",
        "Lie face down on an incline bench, squeeze the shoulder blades."),
    _ex("Kettlebell row", "horizontal_pull", KB, "", "Flat back, row the bell to the hip."),
    _ex("Band row", "horizontal_pull", BD, "", "Anchor at chest height, elbows close, pause."),
    _ex("Inverted row", "horizontal_pull", BW, "",
        "Under a sturdy table or low bar, body straight, chest to the edge."),
    _ex("Towel door row", "horizontal_pull", BW, "",
        "Towel round both handles of a closed door, lean back, row your chest in."),
    # vertical pull
    _ex("Pull-up", "vertical_pull", PU, "technical", "Start from a dead hang, chest to the bar."),
    _ex("Lat pulldown", "vertical_pull", MC, "",
        "Pull the bar to the upper chest, lean back only slightly."),
    _ex("Chin-up", "vertical_pull", PU, "elbow_stress technical",
        "Palms toward you, elbows drive down to the ribs."),
    _ex("Band-assisted pull-up", "vertical_pull", PU | BD, "",
        "Band looped on the bar under a knee or foot; use a lighter band over time."),
    _ex("Pull-up negative", "vertical_pull", PU, "",
        "Step up to the top, lower yourself over 3-5 seconds."),
    _ex("Band lat pulldown", "vertical_pull", BD, "",
        "Band anchored high, pull elbows down to the ribs."),
    # core
    _ex("Pallof anti-rotation hold", "core", BD, "",
        "Band at chest height, arms straight out, resist the pull to the side.", timed=True),
    _ex("Hanging knee raise", "core", PU, "spinal_flexion technical",
        "No swinging; curl the pelvis up, not just the knees."),
    _ex("Dead bug", "core", BW, "", "Low back pressed into the floor, move slowly."),
    _ex("Plank", "core", BW, "", "Forearms down, squeeze glutes, ribs down.", timed=True),
    _ex("Side plank", "core", BW, "", "Elbow under shoulder, hips high, both sides.", timed=True),
    _ex("Bird dog", "core", BW, "wrist_loading", "Reach long, keep the hips level."),
    # carry
    _ex("Farmer's carry", "carry", DB, "", "Heavy bells, tall posture, short quick steps.",
        timed=True),
    _ex("Kettlebell farmer's carry", "carry", KB, "", "Grip hard, shoulders down and back.",
        timed=True),
    _ex("Dumbbell suitcase carry", "carry", DB, "", "One bell, stay level, do not lean.",
        timed=True),
    # arms and shoulders
    _ex("Cable triceps pushdown", "triceps", MC, "", "Elbows by the ribs, lock out fully."),
    _ex("Overhead dumbbell triceps extension", "triceps", DB, "overhead elbow_stress",
        "Elbows point up, lower behind the head."),
    _ex("Band triceps pushdown", "triceps", BD, "", "Band anchored high, elbows pinned."),
    _ex("Diamond push-up", "triceps", BW, "wrist_loading elbow_stress technical",
        "Hands together under the chest, elbows back."),
    _ex("Dumbbell curl", "biceps", DB, "", "Turn the palms up as you curl, lower slowly."),
    _ex("Cable curl", "biceps", MC, "", "Elbows still, squeeze at the top."),
    _ex("Band curl", "biceps", BD, "", "Stand on the band, squeeze at the top."),
    _ex("Cable face pull", "rear_delts", MC, "", "Rope to the forehead, thumbs back."),
    _ex("Band face pull", "rear_delts", BD, "",
        "Band at face height, pull apart as you pull back."),
    _ex("Dumbbell rear-delt fly", "rear_delts", DB, "", "Hinge forward, sweep the arms wide."),
    _ex("Prone T and W raise", "rear_delts", BW, "",
        "Face down, thumbs up, lift the arms with the upper back."),
    _ex("Dumbbell lateral raise", "shoulders", DB, "",
        "Lead with the elbows, stop at shoulder height."),
    # legs accessory
    _ex("Leg curl machine", "legs_accessory", MC, "", "Hips down, curl all the way."),
    _ex("Leg extension machine", "legs_accessory", MC, "", "Pause at the top, slow down."),
    _ex("Dumbbell calf raise", "legs_accessory", DB, "", "Full stretch, pause at the top."),
    _ex("Single-leg calf raise", "legs_accessory", BW, "", "On a step, full range, slow."),
    # intervals
    _ex("Rowing machine intervals", "intervals", MC, "",
        "Legs, then body, then arms; hard but smooth.", timed=True),
    _ex("Stationary bike intervals", "intervals", MC, "",
        "High cadence against firm resistance; sit tall.", timed=True),
    _ex("Air bike intervals", "intervals", MC, "", "Push and pull; go hard.", timed=True),
    _ex("Run intervals", "intervals", BW, "running high_impact",
        "Quick light steps, relaxed shoulders; walk or jog the recoveries.", timed=True),
    _ex("Hill walk intervals", "intervals", BW, "",
        "Walk hard up a hill or stairs with long steps, easy walk back down.", timed=True),
    _ex("Kettlebell swing", "intervals", KB, "technical",
        "Hike the bell back, snap the hips, arms just guide it.", timed=True),
    _ex("Shadow boxing", "intervals", BW, "", "Stay light, rotate through the hips.",
        timed=True),
    _ex("Step jack", "intervals", BW, "",
        "Step one foot out as the arms rise overhead, alternate sides, no hop.", timed=True),
    _ex("Mountain climber", "intervals", BW, "wrist_loading",
        "Shoulders over hands, drive the knees fast.", timed=True),
    _ex("High knees", "intervals", BW, "high_impact noisy", "Knees to hip height, quick arms.",
        timed=True),
    _ex("Jump rope", "intervals", BW, "jumping high_impact noisy technical",
        "Small hops on the balls of the feet (a rope-less skip works).", timed=True),
    _ex("Burpee", "intervals", BW, "jumping high_impact noisy wrist_loading technical",
        "Chest to the floor, jump and clap overhead.", timed=True),
    _ex("Squat jump", "intervals", BW,
        "jumping high_impact noisy deep_knee_flexion technical",
        "Land softly and go straight into the next rep.", timed=True),
    # steady aerobic work
    _ex("Easy run", "steady", BW, "running high_impact",
        "Relaxed stride, land under your hips.", timed=True),
    _ex("Stationary bike, steady", "steady", MC, "",
        "Smooth pedalling, saddle at hip height.", timed=True),
    _ex("Rowing machine, steady", "steady", MC, "",
        "Long smooth strokes, about 20 a minute.", timed=True),
    _ex("Brisk walk", "steady", BW, "",
        "Quick steps, arms swinging; use a hill or incline if you can.", timed=True),
    # mobility
    _ex("World's greatest stretch", "mobility", BW, "",
        "Lunge, elbow to instep, rotate and reach; both sides.", timed=True),
    _ex("Half-kneeling hip flexor stretch", "mobility", BW, "",
        "Tuck the pelvis and squeeze the back glute.", timed=True),
    _ex("Thoracic open book", "mobility", BW, "",
        "Lie on your side, knees stacked, rotate the top arm open.", timed=True),
    _ex("Cat-cow", "mobility", BW, "wrist_loading", "Move one vertebra at a time.", timed=True),
    _ex("Supine hamstring stretch", "mobility", BW, "",
        "Strap or towel around the foot, leg straight.", timed=True),
    _ex("Band pull-apart", "mobility", BD, "", "Straight arms, pull the band to your chest.",
        timed=True),
    _ex("Deep squat hold", "mobility", BW, "deep_knee_flexion",
        "Hold something for balance, heels down, chest up.", timed=True),
    _ex("Child's pose breathing", "mobility", BW, "",
        "Knees wide, reach forward, breathe into your back.", timed=True),
)
# fmt: on
BY_NAME: dict[str, CatalogueExercise] = {exercise.name: exercise for exercise in CATALOGUE}


def available(
    equipment: Iterable[str], avoid: Set[str] = frozenset(), names: Set[str] = frozenset()
) -> tuple[CatalogueExercise, ...]:
    """Exercises the user can do: all their kit is owned (bodyweight always is), no tag
    in `avoid` and no name in `names`."""
    owned = {*equipment, "bodyweight"}
    return tuple(
        exercise
        for exercise in CATALOGUE
        if exercise.equipment <= owned and not exercise.tags & avoid and exercise.name not in names
    )


def by_pattern(
    exercises: Iterable[CatalogueExercise], pattern: Pattern
) -> tuple[CatalogueExercise, ...]:
    """The exercises of one movement pattern, in catalogue (preference) order."""
    return tuple(exercise for exercise in exercises if exercise.pattern == pattern)
