"""The fake OpenAI server's --load: a seeded, clipped, long-tailed latency and a few faults."""

from __future__ import annotations

import random
import statistics

from scripts.fake_openai_server import Load

DRAWS = 20_000


def _draws(load: Load) -> list[tuple[str, float]]:
    rng = random.Random(load.seed)
    return [load.draw(rng) for _ in range(DRAWS)]


def test_latencies_are_clipped_long_tailed_and_centred_on_the_median() -> None:
    load = Load(median_seconds=2.5, sigma=0.6, min_seconds=1, max_seconds=8)
    latencies = [seconds for mode, seconds in _draws(load) if mode == "ok"]
    assert len(latencies) == DRAWS  # no faults asked for, none given
    assert min(latencies) == 1 and max(latencies) == 8  # both clips reached, never passed
    assert 2.3 < statistics.median(latencies) < 2.7
    assert statistics.mean(latencies) > statistics.median(latencies)  # the long tail


def test_faults_come_at_their_rates() -> None:
    load = Load(http429=0.03, timeout=0.02, hang_seconds=30)
    draws = _draws(load)
    rate_429 = sum(mode == "http429" for mode, _ in draws) / DRAWS
    timeouts = [seconds for mode, seconds in draws if mode == "timeout"]
    assert 0.025 < rate_429 < 0.035
    assert 0.015 < len(timeouts) / DRAWS < 0.025
    assert set(timeouts) == {30}
    assert all(seconds == 0 for mode, seconds in draws if mode == "http429")


def test_the_same_seed_gives_the_same_answers() -> None:
    assert _draws(Load(seed=7, http429=0.1))[:50] == _draws(Load(seed=7, http429=0.1))[:50]
    assert _draws(Load(seed=7))[:50] != _draws(Load(seed=8))[:50]
