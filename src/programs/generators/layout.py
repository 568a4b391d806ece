"""Choosing each day's exercises for a block, and fitting them to the time asked.

A day's slots are filled in priority order from the exercises the person
can do (their kit, their notes, their experience). Main lifts use the same
exercise in every block, so their progress can be measured; accessories
move one option along each block (ACSM 2009: vary exercises while the core
lifts stay). Time is fitted at the block's peak week by dropping what
matters least, never rest: every exercise starts at its fewest sets in
priority order, so the last slots are what a short session leaves out; time
left over goes to more sets, to the dose and then to a cap. The week is then
balanced (pulling at least as much as pushing) and long days of a
conditioning goal get a short finisher.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from programs import coaching, notes
from programs.catalogue import (
    BEGINNER_AVOID,
    LOWER_PATTERNS,
    PULL_PATTERNS,
    PUSH_PATTERNS,
    CatalogueExercise,
    available,
    by_pattern,
)
from programs.coaching import Role
from programs.generators import doses
from programs.generators.structure import DayType, split
from programs.schemas import ProgramRequest

EXERCISES_MAX = {"beginner": 6, "intermediate": 8, "advanced": 9}  # per session of an hour
EXERCISES_CAP = 14  # however long the session (the schema allows 16)
MIN_SETS: dict[Role, int] = {"main": 3, "accessory": 2, "isolation": 2, "core": 2}
FIRST_SETS = 2  # fewest sets of a pick that is not the first of its half of the body
STRENGTH_FEWER = 2  # exercises fewer in a strength session
FINISHER_GOALS = frozenset({"fat_loss", "general_fitness", "endurance"})
FINISHER_SHARE = 0.2  # of the session, at most
FINISHER_DOSE = (30, 30)  # seconds of work, seconds of easy recovery
FINISHER_MIN_ROUNDS = 4
SHIFTS_MAX = 3  # other options tried when a day came out the same as an earlier one
# A push/pull/legs split needs two or more options of each of these.
SPLIT_PATTERNS = ("squat", "hinge", "horizontal_push", "vertical_push", "horizontal_pull",
                  "vertical_pull")  # fmt: skip
LONG_EXTRA_SETS = 3  # at most, on top of the caps, for sessions of up to 180 min
UPPER = PUSH_PATTERNS | PULL_PATTERNS
MORNING_EXTRA_MINUTES = 2  # a slower warm-up for stiff morning joints


@dataclass(frozen=True)
class Context:
    """What every day of a request shares, worked out once."""

    request: ProgramRequest
    reading: notes.Reading
    pool: tuple[CatalogueExercise, ...]
    warmup_minutes: int
    key: str  # the request as JSON: the key of the per-request caches

    @property
    def budget(self) -> int:
        """Seconds a session has after its warm-up."""
        return (self.request.session_minutes - self.warmup_minutes) * 60

    @property
    def budget_end(self) -> int:
        """Seconds of the whole session, warm-up included."""
        return self.request.session_minutes * 60


@dataclass(frozen=True)
class Pick:
    """An exercise chosen for a day, its role, prescription and peak-week sets."""

    exercise: CatalogueExercise
    role: Role
    dose: doses.Prescription
    sets: int

    @property
    def seconds(self) -> int:
        """Time at the peak week."""
        return self.sets * self.dose.per_set


@dataclass(frozen=True)
class Day:
    """One day of the week: its number, type, name and (lifting days) picks."""

    number: int
    type: DayType
    name: str
    picks: tuple[Pick, ...] = ()
    finisher: int = 0  # rounds of a conditioning finisher at the peak week (0: none)


def warmup_minutes(request: ProgramRequest, reading: notes.Reading) -> int:
    """5-10 minutes, shorter only when the whole session is short (ACSM GETP)."""
    low, high = coaching.WARMUP_MINUTES
    minutes = min(high, max(low, round(request.session_minutes * 0.12)))
    if request.session_minutes < 30:
        minutes = 3
    if reading.mornings:
        minutes += MORNING_EXTRA_MINUTES
    return minutes


@lru_cache(maxsize=256)
def context(request_json: str) -> Context:
    """The pool of exercises and the warm-up for a request (cached per request)."""
    request = ProgramRequest.model_validate_json(request_json)
    reading = notes.read(request.notes)
    avoid = set(reading.avoid)
    if request.experience == "beginner":
        avoid |= BEGINNER_AVOID
    pool = available(request.equipment, avoid, reading.names)
    return Context(request, reading, pool, warmup_minutes(request, reading), request_json)


def _candidates(
    ctx: Context, day: DayType, block: int, shift: int = 0
) -> list[tuple[CatalogueExercise, Role]]:
    """One exercise per slot: main lifts fixed, accessories one option further each block.

    The slots come twice, the second time as accessories, for sessions long
    enough to use more exercises than a day has slots.
    """
    again = tuple((pattern, "accessory" if role == "main" else role) for pattern, role in day.slots)
    chosen: list[tuple[CatalogueExercise, Role]] = []
    seen: dict[str, int] = {}
    pulls = any(pattern in PULL_PATTERNS for pattern, _ in day.slots)
    for pattern, role in day.slots + again:
        options = by_pattern(ctx.pool, pattern)
        if role == "main" and not shift:  # a shifted day may lead with a lighter option
            options = tuple(e for e in options if "light" not in e.tags) or options
        repeat = seen.get(pattern, 0)
        seen[pattern] = repeat + 1
        if not options:
            continue
        start = day.offset + shift + repeat + (0 if role == "main" else block)
        used = {exercise.name for exercise, _ in chosen}
        rotated = options[start % len(options) :] + options[: start % len(options)]
        fresh = [exercise for exercise in rotated if exercise.name not in used]
        if fresh and not _unpartnered(chosen, fresh[0], pulls):
            chosen.append((fresh[0], role))
    return chosen


def _unpartnered(
    chosen: list[tuple[CatalogueExercise, Role]], exercise: CatalogueExercise, pulls: bool
) -> bool:
    """A push on a day that pulls, with no pull of its own before it (its slot's pull had
    no option the person can do): left out, so the day pulls as much as it pushes."""
    if not pulls or exercise.pattern not in PUSH_PATTERNS:
        return False
    patterns = [picked.pattern for picked, _ in chosen]
    pushes = sum(pattern in PUSH_PATTERNS for pattern in patterns)
    return sum(pattern in PULL_PATTERNS for pattern in patterns) <= pushes


def _fit(ctx: Context, candidates: list[tuple[CatalogueExercise, Role]], block: int) -> list[Pick]:
    """Keep, in priority order, what fits at its fewest sets; then add sets while time is left.

    More movements at fewer sets beat fewer movements at more sets when time is
    short (a 30-minute full-body day keeps its squat and its row), so every
    pick starts at `MIN_SETS` (fewer when that does not fit), then grows to its
    dose, then to its cap.
    """
    picks: list[Pick] = []
    left = ctx.budget
    limit = exercises_max(ctx.request)
    for exercise, role in candidates:
        if len(picks) == limit:
            break
        dose = doses.prescription(ctx.request, exercise, role, block)
        sets = min(MIN_SETS[role], doses.base_sets(ctx.request, role))
        # Down to one set for the day's first lift, or the first of the other half of
        # the body: a short full-body day still trains the whole body.
        lowest = 1 if _new_half(picks, exercise) else FIRST_SETS
        while sets > lowest and sets * dose.per_set > left:
            sets -= 1
        if sets * dose.per_set <= left:
            picks.append(Pick(exercise, role, dose, sets))
            left -= sets * dose.per_set
    left = _add_sets(picks, left, lambda pick: MIN_SETS[pick.role])
    left = _add_sets(picks, left, lambda pick: doses.base_sets(ctx.request, pick.role))
    _add_sets(picks, left, lambda pick: sets_cap(ctx.request, pick.role))
    return picks


def sets_cap(request: ProgramRequest, role: Role) -> int:
    """Most sets of one exercise: the role's cap, a little higher in sessions over 90 min."""
    return doses.MAX_SETS[role] + min(LONG_EXTRA_SETS, max(0, request.session_minutes - 90) // 30)


def _new_half(picks: list[Pick], exercise: CatalogueExercise) -> bool:
    """The first exercise of the day, or the first for its half of the body."""
    halves = {_half(pick.exercise) for pick in picks}
    return not picks or (_half(exercise) is not None and _half(exercise) not in halves)


def _half(exercise: CatalogueExercise) -> str | None:
    if exercise.pattern in LOWER_PATTERNS:
        return "lower"
    return "upper" if exercise.pattern in UPPER else None


def exercises_max(request: ProgramRequest) -> int:
    """Exercises in a session: few for beginners, more for long sessions (one per 12 min),
    and fewer for strength, whose main lifts take the sets (ACSM 2009)."""
    cap = max(EXERCISES_MAX[request.experience], request.session_minutes // 12)
    return min(EXERCISES_CAP, cap - (STRENGTH_FEWER if request.goal == "strength" else 0))


def _add_sets(
    picks: list[Pick], left: int, target: Callable[[Pick], int], push: bool = True
) -> int:
    """Add sets in priority order up to `target`, while time is left; return what is left.

    A pushing exercise gains a set only while a day that pulls pulls more than it
    pushes (and never when `push` is false: after the week was balanced).
    """
    grew = True
    while grew:
        grew = False
        for index, pick in enumerate(picks):
            pulls = _sets(picks, PULL_PATTERNS)  # a push-only day is balanced by the week
            if pick.exercise.pattern in PUSH_PATTERNS and (
                not push or 0 < pulls <= _sets(picks, PUSH_PATTERNS)
            ):
                continue
            if pick.sets < target(pick) and pick.dose.per_set <= left:
                picks[index] = replace(pick, sets=pick.sets + 1)
                left -= pick.dose.per_set
                grew = True
    return left


def _sets(picks: Iterable[Pick], patterns: frozenset[str]) -> int:
    return sum(pick.sets for pick in picks if pick.exercise.pattern in patterns)


def _balance(days: list[Day]) -> list[Day]:
    """Take sets off pushing exercises until the week pulls as much: accessories first,
    the one with the most sets first."""
    every = [pick for day in days for pick in day.picks]
    excess = _sets(every, PUSH_PATTERNS) - _sets(every, PULL_PATTERNS)
    sets = {(d, i): p.sets for d, day in enumerate(days) for i, p in enumerate(day.picks)
            if p.exercise.pattern in PUSH_PATTERNS}  # fmt: skip
    main = {key for key in sets if days[key[0]].picks[key[1]].role == "main"}
    while excess > 0 and any(sets.values()):  # accessories first, main lifts last
        most = max(sets, key=lambda key: (key not in main, sets[key], key))
        sets[most] -= 1
        excess -= 1
    for (d, i), count in sets.items():
        picks = list(days[d].picks)
        picks[i] = replace(picks[i], sets=count)
        days[d] = replace(days[d], picks=tuple(picks))
    return [replace(day, picks=tuple(p for p in day.picks if p.sets > 0)) for day in days]


def _finisher_rounds(ctx: Context, day: Day) -> int:
    """Rounds of a short conditioning finisher for the time a long lifting day leaves.

    Only where the goal calls for conditioning (never strength or hypertrophy:
    ACSM 2009 on interference), and at most `FINISHER_SHARE` of the session
    and a quarter of its lifting, so it finishes a lifting day and never pads it.
    """
    if ctx.request.goal not in FINISHER_GOALS or not day.picks:
        return 0
    lifting = sum(pick.seconds for pick in day.picks)
    share = int(ctx.request.session_minutes * 60 * FINISHER_SHARE)
    rounds = min(_left(ctx, day), share, lifting // 4) // sum(FINISHER_DOSE)
    return rounds if rounds >= FINISHER_MIN_ROUNDS else 0


def _thin(ctx: Context) -> bool:
    """Too few options for push, pull and legs days (bodyweight only, say)."""
    return any(len(by_pattern(ctx.pool, pattern)) < 2 for pattern in SPLIT_PATTERNS)


def _left(ctx: Context, day: Day) -> int:
    """Seconds of the budget a day's picks leave unused at the peak week."""
    return ctx.budget - sum(pick.seconds for pick in day.picks)


def _name(day: Day, suffix: str) -> str:
    """The day's name, or a name that says what it trains when time cut it down."""
    patterns = {pick.exercise.pattern for pick in day.picks}
    lower, upper = bool(patterns & LOWER_PATTERNS), bool(patterns & UPPER)
    if day.type.name.startswith("Full body") and not (lower and upper):
        return f"{'Lower' if lower else 'Upper'}-body session {suffix}".strip()
    return day.type.name


@lru_cache(maxsize=256)
def layout(request_json: str, block: int) -> tuple[Day, ...]:
    """Each day of the week for one block: lifting days with their fitted picks."""
    ctx = context(request_json)
    request = ctx.request
    days: list[Day] = []
    week = split(request.goal, request.days_per_week, request.experience, _thin(ctx))
    for number, kind in enumerate(week):
        picks: tuple[Pick, ...] = ()
        taken = [{p.exercise.name for p in day.picks} for day in days]
        for shift in range(SHIFTS_MAX if kind.slots else 0):  # two identical days help nobody
            picks = tuple(_fit(ctx, _candidates(ctx, kind, block, shift), block))
            if {pick.exercise.name for pick in picks} not in taken:
                break
        days.append(Day(number + 1, kind, kind.name, picks))
    fitted = []
    for day in _balance(days):  # then spend time the balance freed, on anything but pushing
        picks = list(day.picks)
        _add_sets(picks, _left(ctx, day), lambda pick: sets_cap(request, pick.role), push=False)
        day = replace(day, picks=tuple(picks))
        day = replace(day, finisher=_finisher_rounds(ctx, day))
        fitted.append(replace(day, name=_name(day, "ABCDEFG"[day.number - 1])))
    return tuple(fitted)


@lru_cache(maxsize=1024)
def finisher_rounds(request_json: str, day: int) -> int:
    """A day's finisher rounds at the peak: the fewest any block has room for, so the
    finisher builds across the whole program instead of shrinking when a block's
    accessories take longer."""
    request = context(request_json).request
    blocks = coaching.block_of(request.weeks, request.experience)[0] + 1
    return min(layout(request_json, block)[day - 1].finisher for block in range(blocks))
