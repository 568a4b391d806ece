"""The exercises the template generator may choose from, and how notes rule some out.

Within a pattern, exercises are listed from most to least loadable, so the
first available one is what a coach would reach for first.
"""

from __future__ import annotations

import re
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
    "arms",
    "legs_accessory",
    "conditioning",
    "aerobic",
    "mobility",
]

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
    _ex("Barbell front squat", "squat", BB, "spinal_loading deep_knee_flexion wrist_loading",
        "Elbows high, stay tall, drive straight up."),
    _ex("Leg press", "squat", MC, "",
        "Feet shoulder-width; lower only as far as your back stays flat."),
    _ex("Dumbbell goblet squat", "squat", DB, "deep_knee_flexion",
        "Hold the bell at your chest, elbows inside the knees at the bottom."),
    _ex("Kettlebell goblet squat", "squat", KB, "deep_knee_flexion",
        "Bell by the horns, chest up, pause at the bottom."),
    _ex("Bodyweight squat", "squat", BW, "deep_knee_flexion",
        "Arms forward, heels down, control the descent."),
    _ex("Box squat to a chair", "squat", BW, "",
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
    _ex("Single-leg dumbbell Romanian deadlift", "hinge", DB, "",
        "Hips square, reach the free leg back as a counterweight."),
    _ex("Glute bridge", "hinge", BW, "", "Heels close, push through them, hold the top a beat."),
    # lunge
    _ex("Bulgarian split squat", "lunge", DB, "deep_knee_flexion",
        "Rear foot on a bench, most weight on the front leg."),
    _ex("Dumbbell walking lunge", "lunge", DB, "deep_knee_flexion",
        "Long steps, back knee kisses the floor, torso tall."),
    _ex("Dumbbell step-up", "lunge", DB, "", "Whole foot on the box, no push from the back leg."),
    _ex("Kettlebell reverse lunge", "lunge", KB, "deep_knee_flexion",
        "Step back softly, front shin near vertical."),
    _ex("Reverse lunge", "lunge", BW, "deep_knee_flexion",
        "Step back, drop straight down, drive through the front heel."),
    _ex("Step-up", "lunge", BW, "", "Use a stair or sturdy box; stand fully at the top."),
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
    _ex("Push-up", "horizontal_push", BW, "wrist_loading",
        "Body in one line, chest to the floor, elbows back."),
    _ex("Incline push-up", "horizontal_push", BW, "wrist_loading",
        "Hands on a bench or counter; lower the surface as you get stronger."),
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
    _ex("Pike push-up", "vertical_push", BW, "overhead wrist_loading",
        "Hips high, head travels forward of the hands."),
    # horizontal pull
    _ex("Barbell bent-over row", "horizontal_pull", BB, "spinal_loading",
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
    _ex("Prone T and W raise", "horizontal_pull", BW, "",
        "Face down, thumbs up, lift the arms with the upper back."),
    # vertical pull
    _ex("Pull-up", "vertical_pull", PU, "", "Start from a dead hang, chest to the bar."),
    _ex("Lat pulldown", "vertical_pull", MC, "",
        "Pull the bar to the upper chest, lean back only slightly."),
    _ex("Chin-up", "vertical_pull", PU, "elbow_stress",
        "Palms toward you, elbows drive down to the ribs."),
    _ex("Band-assisted pull-up", "vertical_pull", PU | BD, "",
        "Band looped on the bar under a knee or foot; use a lighter band over time."),
    _ex("Band lat pulldown", "vertical_pull", BD, "",
        "Band anchored high, pull elbows down to the ribs."),
    # core
    _ex("Plank", "core", BW, "", "Forearms down, squeeze glutes, ribs down.", timed=True),
    _ex("Side plank", "core", BW, "", "Elbow under shoulder, hips high, both sides.", timed=True),
    _ex("Dead bug", "core", BW, "", "Low back pressed into the floor, move slowly."),
    _ex("Bird dog", "core", BW, "wrist_loading", "Reach long, keep the hips level."),
    _ex("Pallof press", "core", BD, "", "Resist the rotation, press straight out and hold."),
    _ex("Hanging knee raise", "core", PU, "spinal_flexion",
        "No swinging; curl the pelvis up, not just the knees."),
    # carry
    _ex("Farmer's carry", "carry", DB, "", "Heavy bells, tall posture, short quick steps.",
        timed=True),
    _ex("Kettlebell farmer's carry", "carry", KB, "", "Grip hard, shoulders down and back.",
        timed=True),
    _ex("Dumbbell overhead carry", "carry", DB, "overhead",
        "Arm locked by the ear, ribs down, walk slowly.", timed=True),
    # arms and shoulders
    _ex("Dumbbell curl", "arms", DB, "", "Turn the palms up as you curl, lower slowly."),
    _ex("Cable triceps pushdown", "arms", MC, "", "Elbows by the ribs, lock out fully."),
    _ex("Overhead dumbbell triceps extension", "arms", DB, "overhead elbow_stress",
        "Elbows point up, lower behind the head."),
    _ex("Dumbbell lateral raise", "arms", DB, "", "Lead with the elbows, stop at shoulder height."),
    _ex("Cable face pull", "arms", MC, "", "Rope to the forehead, thumbs back."),
    _ex("Band face pull", "arms", BD, "", "Band at face height, pull apart as you pull back."),
    _ex("Band curl", "arms", BD, "", "Stand on the band, squeeze at the top."),
    _ex("Diamond push-up", "arms", BW, "wrist_loading elbow_stress",
        "Hands together under the chest, elbows back."),
    # legs accessory
    _ex("Leg curl machine", "legs_accessory", MC, "", "Hips down, curl all the way."),
    _ex("Leg extension machine", "legs_accessory", MC, "", "Pause at the top, slow down."),
    _ex("Dumbbell calf raise", "legs_accessory", DB, "", "Full stretch, pause at the top."),
    _ex("Single-leg calf raise", "legs_accessory", BW, "", "On a step, full range, slow."),
    # conditioning intervals
    _ex("Rowing machine intervals", "conditioning", MC, "",
        "Legs, then body, then arms; hard but smooth.", timed=True),
    _ex("Air bike intervals", "conditioning", MC, "", "Push and pull; go hard.", timed=True),
    _ex("Kettlebell swing", "conditioning", KB, "",
        "Hike the bell back, snap the hips, arms just guide it.", timed=True),
    _ex("Dumbbell thruster", "conditioning", DB, "overhead deep_knee_flexion",
        "Squat, then use the drive to press overhead.", timed=True),
    _ex("Burpee", "conditioning", BW, "jumping high_impact wrist_loading",
        "Chest to the floor, jump and clap overhead.", timed=True),
    _ex("Jump rope", "conditioning", BW, "jumping high_impact",
        "Small hops on the balls of the feet (a rope-less skip works).", timed=True),
    _ex("Squat jump", "conditioning", BW, "jumping high_impact deep_knee_flexion",
        "Land softly and go straight into the next rep.", timed=True),
    _ex("Mountain climber", "conditioning", BW, "wrist_loading",
        "Shoulders over hands, drive the knees fast.", timed=True),
    _ex("High knees", "conditioning", BW, "high_impact", "Knees to hip height, quick arms.",
        timed=True),
    _ex("Shadow boxing", "conditioning", BW, "", "Stay light, rotate through the hips.",
        timed=True),
    _ex("Step jack", "conditioning", BW, "",
        "A low-impact jumping jack: step out as the arms rise.", timed=True),
    # aerobic (steady state)
    _ex("Easy run", "aerobic", BW, "high_impact",
        "Conversational pace: you can speak in full sentences.", timed=True),
    _ex("Stationary bike, steady", "aerobic", MC, "",
        "Steady zone 2: breathing up, still able to talk.", timed=True),
    _ex("Brisk walk", "aerobic", BW, "",
        "Brisk enough to breathe harder; use a hill or incline if you can.", timed=True),
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
)
# fmt: on


def available(
    equipment: Iterable[str], avoid: Set[str] = frozenset()
) -> tuple[CatalogueExercise, ...]:
    """Exercises the user can do: all their kit is owned (bodyweight always is), no tag avoided."""
    owned = {*equipment, "bodyweight"}
    return tuple(
        exercise
        for exercise in CATALOGUE
        if exercise.equipment <= owned and not exercise.tags & avoid
    )


def by_pattern(
    exercises: Iterable[CatalogueExercise], pattern: Pattern
) -> tuple[CatalogueExercise, ...]:
    """The exercises of one movement pattern, in catalogue (preference) order."""
    return tuple(exercise for exercise in exercises if exercise.pattern == pattern)


@dataclass(frozen=True)
class Adaptation:
    """A reason, found in the notes, to leave some exercises out."""

    label: str
    mention: re.Pattern[str]
    avoid: frozenset[str]
    summary: str


def _rule(label: str, mention: str, avoid: str, summary: str) -> Adaptation:
    """Compile one adaptation rule."""
    return Adaptation(label, re.compile(mention, re.IGNORECASE), frozenset(avoid.split()), summary)


# fmt: off
# Body parts: they count only when the clause also says something is wrong.
INJURIES: tuple[Adaptation, ...] = (
    _rule("shoulder", r"\bshoulders?\b|rotator cuff|\blabrum\b|impingement", "overhead",
          "no overhead pressing or carrying"),
    _rule("knee", r"\bknees?\b|\bacl\b|\bmcl\b|menisc\w*|patell\w*",
          "jumping high_impact deep_knee_flexion", "no jumping, high impact or deep knee bends"),
    _rule("lower back",
          r"\blow(?:er)? back\b|\blumbar\b|\bspine\b|\bspinal\b|\bdiscs?\b|sciatica"
          r"|\b(?:my|bad|sore|stiff|injured|weak|tweaked) back\b"
          r"|\bback (?:pain|injury|issues?|problems?|spasms?)\b",
          "spinal_loading spinal_flexion", "no heavy spinal loading or crunching"),
    _rule("wrist", r"\bwrists?\b|carpal tunnel", "wrist_loading",
          "no weight on the hands (push-ups, planks on hands)"),
    _rule("ankle", r"\bankles?\b|achilles|shin splints|plantar", "jumping high_impact",
          "no jumping or high impact"),
    _rule("elbow", r"\belbows?\b", "elbow_stress", "no elbow-heavy arm work"),
)

# Direct requests: these count whenever they appear.
REQUESTS: tuple[Adaptation, ...] = (
    _rule("no jumping", r"\bno (?:jumps?|jumping|plyo\w*)\b", "jumping", "no jumping"),
    _rule("low impact", r"\b(?:low|no)[ -]impact\b", "jumping high_impact",
          "low impact only"),
    _rule("no overhead", r"\bno overhead\b", "overhead", "no overhead work"),
    _rule("no running", r"\bno (?:running|runs)\b", "high_impact", "no running"),
)
# fmt: on

_CLAUSES = re.compile(r"[.;!?\n,(){}\[\]]|\bbut\b|\bhowever\b|\balthough\b", re.IGNORECASE)
_TROUBLE = re.compile(
    r"\b(?:pain\w*|sore\w*|hurt\w*|injur\w*|ach\w*|bad|weak|tight|stiff|strain\w*|sprain\w*"
    r"|tear|torn|surgery|operat\w*|rehab\w*|recover\w*|tendin\w*|tendon\w*|bursitis|arthritis"
    r"|impinge\w*|dislocat\w*|issues?|problems?|trouble|avoid\w*|careful|no|not|can'?t|cannot"
    r"|unable|limited|replace\w*|reconstruct\w*|fractur\w*|broke\w*|herniat\w*|sciatica"
    r"|niggl\w*|flar\w*|tennis|golfer'?s|cranky|sensitive|protect\w*|tweak\w*|clicks?|unstable|dodgy)\b",
    re.IGNORECASE,
)
_NEGATED_BEFORE = re.compile(
    r"\b(?:no|not|never|without|zero|nothing wrong with|healthy|strong|good)\s+"
    r"(?:(?:problems?|issues?|injur\w*|pain|trouble|complaints?)\s+(?:with|in|on)\s+)?"
    r"(?:(?:my|the|left|right|both|either)\s+)*$",
    re.IGNORECASE,
)
_FINE_AFTER = re.compile(
    r"^\W*(?:(?!not\b)\w+\s+){0,3}(?:fine|ok|okay|good|great|healthy|healed|recovered)\b",
    re.IGNORECASE,
)


def _hurt(clause: str, mention: re.Pattern[str]) -> bool:
    """True when a clause names the body part as a problem, not as healthy."""
    for match in mention.finditer(clause):
        before, after = clause[: match.start()], clause[match.end() :]
        negated = _NEGATED_BEFORE.search(before) or _FINE_AFTER.match(after)
        if not negated and _TROUBLE.search(before + " " + after):
            return True
    return False


def adaptations(notes: str) -> tuple[Adaptation, ...]:
    """The injuries and requests the notes name, so the plan can say what it changed."""
    clauses = _CLAUSES.split(notes)
    hurt = [rule for rule in INJURIES if any(_hurt(c, rule.mention) for c in clauses)]
    covered = {tag for rule in hurt for tag in rule.avoid}
    asked = [r for r in REQUESTS if r.mention.search(notes) and not r.avoid <= covered]
    return (*hurt, *asked)


def excluded_tags(notes: str) -> set[str]:
    """Tags of exercises the notes rule out (a sore shoulder rules out "overhead")."""
    return {tag for rule in adaptations(notes) for tag in rule.avoid}
