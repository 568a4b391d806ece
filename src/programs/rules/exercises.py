"""What an exercise in any program is: from the catalogue, or read from its name.

The template only writes catalogue exercises; a model writes any name. The
rules need the same facts about both (pattern, kind, equipment, tags), so a
name not in the catalogue is read with the keyword tables below. They are
deliberately narrow for equipment and tags: the hard rules send an answer back
on them, so they name only what clearly needs the kit or loads the injury
("Box squat" passes a knee note, "Back squat" does not); and broad for
patterns, which the soft rules only warn about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from programs import timing
from programs.catalogue import BY_NAME, CARDIO_PATTERNS, Kind
from programs.schemas import Exercise


@dataclass(frozen=True)
class Described:
    """The facts the rules use about one exercise."""

    pattern: str | None
    kind: Kind
    equipment: frozenset[str]
    tags: frozenset[str]


def _table(rows: dict[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((key, re.compile(words, re.IGNORECASE)) for key, words in rows.items())


# First match wins: cardio and mobility words before the lifts they resemble ("rowing").
_PATTERNS = _table({
    "mobility": r"stretch|mobility|cat-cow|foam roll|yoga|open book|child's pose|pull-apart",
    "intervals": r"interval|sprint|tabata|hiit|jump rope|burpee|mountain climber|high knees"
                 r"|jumping jack|swing|shadow box|skater|step jack|fartlek|circuit|emom",
    "steady": r"\bwalk|\bhike|\bjog|\brun\b|running|cycl|\bride\b|\bbike|swim|elliptical"
              r"|rowing machine|\brower\b|\berg\b|stair|zone 2|aerobic|cardio",
    "rear_delts": r"face pull|rear[- ]delt|reverse fly|\bt and w\b|y raise",
    "vertical_pull": r"pull-?up|chin-?up|pull-?down",
    "horizontal_pull": r"\brow\b|\brows\b|inverted row",
    "triceps": r"tricep|skull|pushdown|diamond|kickback|close-grip|\bdips?\b",
    "vertical_push": r"overhead press|shoulder press|military|push press|pike|landmine|arnold",
    "horizontal_push": r"bench|push-?up|press-?up|chest press|floor press|\bfly\b|flye",
    "biceps": r"(?<!leg )curl",
    "legs_accessory": r"leg curl|leg extension|calf|hamstring curl|nordic|adductor|abductor",
    "hinge": r"deadlift|\brdl\b|hip thrust|glute bridge|good morning|hinge|back extension"
             r"|hyperextension|kettlebell swing",
    "lunge": r"lunge|split squat|step-?up",
    "squat": r"squat|leg press|wall sit",
    "carry": r"carry|farmer|suitcase",
    "core": r"plank|dead bug|bird dog|pallof|crunch|sit-?up|hollow|knee raise|leg raise"
            r"|\babs?\b|rollout|russian twist|side bridge|core",
    "shoulders": r"lateral raise|front raise|shrug",
})  # fmt: skip
_EQUIPMENT = _table({
    "barbell": r"barbell|landmine|trap bar|\bez[- ]bar",
    "dumbbells": r"dumbbell|\bdb\b",
    "kettlebells": r"kettlebell|\bkb\b",
    "machines": r"machine|cable|leg press|pull-?down|smith|treadmill|stationary|air bike"
                r"|assault bike|elliptical|\berg\b|\brower\b|leg curl|leg extension",
    "bands": r"\bbands?\b|banded",
    "pull_up_bar": r"pull-?up|chin-?up|hanging|dead hang|toes to bar",
})  # fmt: skip
_TAGS = _table({
    "overhead": r"overhead|shoulder press|military|push press|\bjerk|snatch|pike|handstand",
    "jumping": r"jump|\bhops?\b|hopping|bound|plyo|burpee|skipping",
    "high_impact": r"jump|\bhops?\b|plyo|burpee|skipping|\brun|sprint|\bjog|high knees",
    "noisy": r"jump|\bhops?\b|plyo|burpee|skipping|high knees|slam",
    "running": r"\brun|sprint|\bjog",
    "spinal_loading": r"(?<!dumbbell )(?<!kettlebell )(?<!romanian )(?<!single-leg )deadlift"
                      r"|back squat|front squat|good morning|bent-over row|barbell row"
                      r"|barbell overhead",
    "spinal_flexion": r"crunch|sit-?up|knee raise|toes to bar|v-up|russian twist",
    "deep_knee_flexion": r"deep squat|full squat|back squat|front squat|goblet squat|pistol"
                         r"|sissy|walking lunge|bulgarian|thruster|jump squat|squat jump",
    "wrist_loading": r"(?<!fist )(?<!knuckle )push-?up|press-?up|burpee|mountain climber"
                     r"|bear crawl|handstand|front squat|high plank",
    "elbow_stress": r"skull ?crusher|triceps extension|diamond|chin-?up",
    "technical": r"snatch|\bclean\b|\bjerk|pistol|muscle-?up|handstand|turkish|front squat"
                 r"|box jump|depth jump|burpee|jump rope|double under|toes to bar|bulgarian"
                 r"|kipping|\bpull-?ups?\b|\bchin-?ups?\b",
})  # fmt: skip


def _first(table: tuple[tuple[str, re.Pattern[str]], ...], name: str) -> str | None:
    return next((key for key, words in table if words.search(name)), None)


def _all(table: tuple[tuple[str, re.Pattern[str]], ...], name: str) -> frozenset[str]:
    return frozenset(key for key, words in table if words.search(name))


@lru_cache(maxsize=4096)
def _by_name(name: str, timed: bool, minutes: bool) -> Described:
    known = BY_NAME.get(name)
    if known is not None:
        return Described(known.pattern, known.kind, known.equipment, known.tags)
    pattern = _first(_PATTERNS, name)
    kind: Kind = "lift"
    if pattern in CARDIO_PATTERNS:
        kind = "steady" if minutes or (pattern == "steady" and not timed) else "intervals"
        pattern = kind
    elif pattern == "mobility":
        kind = "mobility"
    elif timed:
        kind = "hold"
    equipment = _all(_EQUIPMENT, name) or frozenset({"bodyweight"})
    return Described(pattern, kind, equipment, _all(_TAGS, name))


def describe(exercise: Exercise) -> Described:
    """The exercise's pattern, kind, equipment and tags."""
    seconds = timing.timed_seconds(exercise.reps)
    minutes = seconds is not None and "m" in exercise.reps.lower()
    return _by_name(exercise.name, seconds is not None, minutes)
