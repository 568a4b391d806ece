"""Reading a request's notes: injuries, dislikes and constraints, in the words people use.

The notes are cut into clauses (at punctuation and "but"), and each clause is
read against three tables: injuries (a body part named as a problem),
activities the person does not want ("I hate running", "no burpees"), and
constraints ("quiet, upstairs flat", "only 2 days some weeks", "prefer
mornings"). A clause no table reads is kept word for word in
`Reading.not_understood`, which the program shows: nothing is dropped
silently.

Every pattern here is a plain alternation of words inside `\\b`, with no
nested or unbounded repetition, so reading the longest notes (1000
characters) takes well under a millisecond per clause; a test pins it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from programs.catalogue import CATALOGUE

NOT_UNDERSTOOD_MAX = 20  # clauses listed one by one; the rest are joined into the last line
WINDOW = 80  # characters either side of a body part where a negation counts
CLAUSE_MAX = 1000  # characters: a request's notes are at most this long anyway


@dataclass(frozen=True)
class Rule:
    """A phrase the notes may contain, and the exercises it rules out."""

    label: str
    mention: re.Pattern[str]
    avoid: frozenset[str]  # catalogue tags
    names: frozenset[str]  # catalogue exercise names
    summary: str


def _rule(label: str, mention: str, avoid: str, summary: str, names: str = "") -> Rule:
    """Compile one row of a table; `names` picks exercises whose name contains a word."""
    words = names.split("|") if names else []
    picked = frozenset(e.name for e in CATALOGUE if any(w in e.name.lower() for w in words))
    return Rule(
        label, re.compile(mention, re.IGNORECASE), frozenset(avoid.split()), picked, summary
    )


# fmt: off
# Body parts: they count only when the clause also says something is wrong.
INJURIES: tuple[Rule, ...] = (
    _rule("shoulder", r"\bshoulders?\b|rotator cuff|\blabrum\b|impingement", "overhead",
          "no overhead pressing or carrying"),
    _rule("knee", r"\bknees?\b|\bacl\b|\bmcl\b|menisc\w*|patell\w*",
          "jumping high_impact deep_knee_flexion noisy",
          "no jumping, high impact or deep knee bends"),
    _rule("lower back",
          r"\blow(?:er)? back\b|\blumbar\b|\bspine\b|\bspinal\b|\bdiscs?\b|sciatica"
          r"|\b(?:my|bad|sore|stiff|injured|weak|tweaked) back\b"
          r"|\bback (?:pain|injury|issues?|problems?|spasms?)\b",
          "spinal_loading spinal_flexion", "no heavy spinal loading or crunching"),
    _rule("wrist", r"\bwrists?\b|carpal tunnel", "wrist_loading",
          "no weight on the hands (push-ups on fists, planks on forearms)"),
    _rule("ankle", r"\bankles?\b|achilles|shin splints|plantar", "jumping high_impact noisy",
          "no jumping or high impact"),
    _rule("elbow", r"\belbows?\b", "elbow_stress", "no elbow-heavy arm work"),
)

# Activities: they count when the clause says the person does not want them.
ACTIVITIES: tuple[Rule, ...] = (
    _rule("running", r"\b(?:run|runs|running|jog|jogs|jogging|treadmill)\b", "running",
          "no running: walking, cycling or rowing instead"),
    _rule("jumping", r"\b(?:jump|jumps|jumping|plyos?|plyometrics?|hops?|hopping)\b",
          "jumping noisy", "no jumping"),
    _rule("burpees", r"\bburpees?\b", "", "no burpees", names="burpee"),
    _rule("lunges", r"\blunges?\b|\bsplit squats?\b", "", "no lunges or split squats",
          names="lunge|split squat"),
    _rule("push-ups", r"\bpush[- ]?ups?\b|\bpress[- ]?ups?\b", "", "no push-ups",
          names="push-up"),
    _rule("pull-ups", r"\bpull[- ]?ups?\b|\bchin[- ]?ups?\b", "", "no pull-ups or chin-ups",
          names="pull-up|chin-up"),
    _rule("planks", r"\bplanks?\b", "", "no planks", names="plank"),
    _rule("rowing machine", r"\brow(?:ing)? machine\b|\browers?\b|\berg\b", "",
          "no rowing machine", names="rowing machine"),
    _rule("bike", r"\bbikes?\b|\bcycling\b|\bspin(?:ning)?\b", "", "no bike work",
          names="bike"),
    _rule("kettlebell swings", r"\bswings?\b", "", "no kettlebell swings", names="swing"),
    _rule("squats", r"\bsquats?\b|\bsquatting\b", "", "no squats: leg press or wall sits",
          names="squat"),
    _rule("deadlifts", r"\bdeadlifts?\b", "", "no deadlifts", names="deadlift"),
    _rule("bench press", r"\bbench(?:ing| press)?\b", "", "no bench press",
          names="bench press"),
    _rule("step-ups", r"\bstep[- ]?ups?\b|\bstairs\b", "", "no step-ups or stairs",
          names="step-up|hill walk"),
    _rule("kettlebells", r"\bkettlebells?\b", "", "no kettlebells", names="kettlebell"),
    _rule("crunches", r"\bcrunch(?:es)?\b|\bsit[- ]?ups?\b", "spinal_flexion",
          "no crunches or sit-ups"),
    _rule("overhead work", r"\boverhead\b", "overhead", "no overhead work"),
    _rule("high impact", r"\bimpact\b", "jumping high_impact noisy", "low impact only"),
)
_DISLIKE = re.compile(
    r"\b(?:no|not|never|without|avoid\w*|hate\w*|dislike\w*|detest\w*|loathe\w*|can'?t stand"
    r"|cannot stand|don'?t (?:like|enjoy|want|do)|do not (?:like|enjoy|want|do)|not a fan"
    r"|skip|rather not|won'?t|can'?t|cannot|bored by|boring|low|sick of|tired of|not into"
    r"|no more|allergic to|please no|nothing with|except)\b",
    re.IGNORECASE,
)

# Constraints: they count whenever they appear.
QUIET = _rule("quiet", r"\bquiet\b|\bupstairs\b|\bapartment\b|\bneighbou?rs?\b|\bthin floors?\b"
              r"|\bsleeping (?:baby|kids?|family)\b", "jumping noisy",
              "nothing that jumps or stamps")
# fmt: on
_DAYS = re.compile(
    r"\b(?:only|just|sometimes|some weeks|busy weeks?|other weeks)\b.{0,40}?"
    r"\b(1|2|3|4|5|6|one|two|three|four|five|six)\s*(?:days?|sessions?|times|workouts?)\b",
    re.IGNORECASE,
)
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_MORNINGS = re.compile(r"\bmornings?\b|\bbefore work\b|\bearly\b|\bdawn\b|\bam\b", re.IGNORECASE)
_TIME_OF_DAY = re.compile(
    r"\b(?:evenings?|nights?|after work|lunch\w*|afternoons?|weekends?)\b", re.IGNORECASE
)

_CLAUSES = re.compile(r"[.;!?\n,(){}\[\]—–]| - |\bbut\b|\bhowever\b|\balthough\b", re.IGNORECASE)
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
    r"(?:(?:my|the|left|right|both|either)\s+){0,3}$",
    re.IGNORECASE,
)
_FINE_AFTER = re.compile(
    r"^\W*(?:(?!not\b)\w+\s+){0,3}(?:fine|ok|okay|good|great|healthy|healed|recovered)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Reading:
    """What the notes ask for, in a form the generator and the rules use."""

    avoid: frozenset[str] = frozenset()  # catalogue tags ruled out
    names: frozenset[str] = frozenset()  # catalogue exercises ruled out by name
    applied: tuple[str, ...] = ()  # what changed, in words: "knee: no jumping, ..."
    not_understood: tuple[str, ...] = ()  # clauses no table read, word for word
    fewer_days: int | None = None  # "only 2 days some weeks"
    mornings: bool = False
    labels: frozenset[str] = frozenset()  # the rules found, by label


def _hurt(clause: str, mention: re.Pattern[str]) -> bool | None:
    """True when a clause names the body part as a problem, False as healthy, None not at all.

    The trouble words are looked for once per clause and the negations in a
    bounded window around each mention, so a clause of 200 mentions stays linear.
    """
    matches = list(mention.finditer(clause))
    if not matches:
        return None
    if not _TROUBLE.search(clause):
        return False
    for match in matches:
        before = clause[max(0, match.start() - WINDOW) : match.start()]
        after = clause[match.end() : match.end() + WINDOW]
        if not (_NEGATED_BEFORE.search(before) or _FINE_AFTER.match(after)):
            return True
    return False


def _days(clause: str) -> int | None:
    match = _DAYS.search(clause)
    if match is None:
        return None
    word = match.group(1).lower()
    return _NUMBERS.get(word) or int(word)


@dataclass
class _Reader:
    """Collects what each clause says, keeping the first mention of each rule."""

    rules: dict[str, Rule]
    not_understood: list[str]
    fewer_days: int | None = None
    mornings: bool = False
    extra: tuple[str, ...] = ()

    def clause(self, clause: str) -> None:
        """Read one clause; keep it as not understood when no table reads it."""
        read = False
        for rule in INJURIES:
            hurt = _hurt(clause, rule.mention)
            read |= hurt is not None
            if hurt:
                self.rules.setdefault(rule.label, rule)
        if _DISLIKE.search(clause):
            for rule in ACTIVITIES:
                if rule.mention.search(clause):
                    self.rules.setdefault(rule.label, rule)
                    read = True
        if QUIET.mention.search(clause):
            self.rules.setdefault(QUIET.label, QUIET)
            read = True
        read |= self._schedule(clause)
        if not read and _WORD.search(clause):
            self.not_understood.append(clause.strip()[:CLAUSE_MAX])

    def _schedule(self, clause: str) -> bool:
        days = _days(clause)
        if days is not None:
            self.fewer_days = min(days, self.fewer_days or days)
        if _MORNINGS.search(clause):
            self.mornings = True
        elif _TIME_OF_DAY.search(clause):
            self.extra += (f"training time ({clause.strip()[:60]}): noted; the program "
                           "works at any time of day",)  # fmt: skip
        else:
            return days is not None
        return True


@lru_cache(maxsize=1024)
def read(notes: str) -> Reading:
    """Read the notes: what to leave out, what changed, and what was not understood."""
    reader = _Reader({}, [])
    for clause in _CLAUSES.split(notes):
        reader.clause(clause)
    rules = list(reader.rules.values())
    covered: set[str] = set()
    applied = []
    for rule in rules:  # a dislike an injury already covers is not said twice
        if rule.names or not rule.avoid <= covered or rule not in ACTIVITIES:
            applied.append(f"{rule.label}: {rule.summary}")
        if rule in INJURIES:
            covered |= rule.avoid
    if reader.mornings:
        applied.append("morning training: a longer, gradual warm-up")
    kept = reader.not_understood
    if len(kept) > NOT_UNDERSTOOD_MAX:
        kept = [*kept[: NOT_UNDERSTOOD_MAX - 1], " / ".join(kept[NOT_UNDERSTOOD_MAX - 1 :])]
    return Reading(
        avoid=frozenset(tag for rule in rules for tag in rule.avoid),
        names=frozenset(name for rule in rules for name in rule.names),
        applied=(*applied, *reader.extra),
        not_understood=tuple(item[:CLAUSE_MAX] for item in kept),
        fewer_days=reader.fewer_days,
        mornings=reader.mornings,
        labels=frozenset(reader.rules),
    )
