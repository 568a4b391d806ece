"""Program quality and speed: each coaching rule's pass rate over seeded random requests.

    python -m bench.programs                 # 1,000 requests through this tree's template
    python -m bench.programs --time          # and the time to generate 16 weeks x 7 days
    # the same requests through another tree's generator (e.g. an older commit):
    git archive 521c191 src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src python -m bench.programs --dump /tmp/old.jsonl
    python -m bench.programs --score /tmp/old.jsonl

`--dump` only imports `ProgramRequest` and `TemplateGenerator`, so it runs
against any version of the generator; `--score` judges with this tree's rules.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Appended, so PYTHONPATH (another tree's src, for --dump) comes first.
sys.path.append(str(Path(__file__).resolve().parent.parent / "src"))

SEED = 20261203
REQUESTS = 1000
GOALS = ("strength", "hypertrophy", "endurance", "fat_loss", "general_fitness")
EXPERIENCES = ("beginner", "intermediate", "advanced")
EQUIPMENT = ("bodyweight", "dumbbells", "barbell", "kettlebells", "machines", "bands",
             "pull_up_bar")  # fmt: skip
# Notes as people write them: injuries, dislikes, constraints, and plain remarks.
NOTES = (
    "", "", "", "", "Bad knees.", "I hate running", "no jumping, quiet — upstairs flat",
    "no burpees", "Sore left shoulder: no overhead pressing.", "lower back pain",
    "my wrist hurts", "only 2 days some weeks", "prefer mornings", "training for a wedding",
    "Bad knee after an ACL repair; I hate running", "low impact please", "no lunges",
    "tennis elbow", "ankle sprain last month, no jumping", "I love cycling",
)  # fmt: skip


def requests(count: int = REQUESTS, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """`count` seeded random requests over every goal, level, shape, kit and note."""
    rng = random.Random(seed)
    for _ in range(count):
        yield {
            "goal": rng.choice(GOALS),
            "experience": rng.choice(EXPERIENCES),
            "days_per_week": rng.randint(1, 7),
            "weeks": rng.randint(1, 16),
            "session_minutes": rng.randint(15, 180),
            "equipment": rng.sample(EQUIPMENT, rng.randint(0, len(EQUIPMENT))),
            "notes": rng.choice(NOTES),
        }


def generate(payload: dict[str, Any]) -> dict[str, Any]:
    """Run the template generator's steps as the job engine does, in one event loop."""
    from programs.generators.template import TemplateGenerator

    generator = TemplateGenerator()

    async def steps() -> list[Any]:
        done: list[Any] = []
        for index in range(generator.total_steps(payload)):
            done.append((await generator.run_step(payload, index, done)).output)
        return done

    return generator.result(payload, asyncio.run(steps()))


def dump(path: Path) -> None:
    """Write one {"request", "program"} line per random request."""
    with path.open("w", encoding="utf-8") as file:
        for payload in requests():
            file.write(json.dumps({"request": payload, "program": generate(payload)}) + "\n")


def score(pairs: Iterator[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, float]:
    """Each rule's pass rate (share of programs with no problem), in percent."""
    from programs import rules
    from programs.schemas import Program, ProgramRequest

    passed = dict.fromkeys((rule.name for rule in rules.RULES), 0)
    total = 0
    for payload, result in pairs:
        request = ProgramRequest.model_validate(payload)
        broken = rules.check(request, Program.model_validate(result))
        for name in passed:
            passed[name] += name not in broken
        total += 1
    return {name: 100 * count / total for name, count in passed.items()}


def _read(path: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    with path.open(encoding="utf-8") as file:
        for line in file:
            entry = json.loads(line)
            yield entry["request"], entry["program"]


def time_largest(repeats: int = 50) -> float:
    """Median milliseconds to generate 16 weeks x 7 days (every step, fresh request)."""
    samples = []
    for index in range(repeats):
        payload = {"goal": GOALS[index % 5], "experience": EXPERIENCES[index % 3],
                   "days_per_week": 7, "weeks": 16, "session_minutes": 60 + index,
                   "equipment": list(EQUIPMENT)}  # fmt: skip
        started = time.perf_counter()
        generate(payload)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    """Print each rule's pass rate (and the generation time with --time)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, help="write the programs to FILE and stop")
    parser.add_argument("--score", type=Path, help="score programs dumped to FILE")
    parser.add_argument("--time", action="store_true", help="also time a 16 x 7 program")
    args = parser.parse_args()
    if args.dump:
        dump(args.dump)
        return
    pairs = _read(args.score) if args.score else ((p, generate(p)) for p in requests())
    rates = score(pairs)
    print(f"{'rule':28} pass rate over {REQUESTS} seeded requests (seed {SEED})")
    for name, rate in rates.items():
        print(f"{name:28} {rate:6.1f} %")
    if args.time:
        print(f"16 weeks x 7 days: median {time_largest():.1f} ms per program")


if __name__ == "__main__":
    main()
