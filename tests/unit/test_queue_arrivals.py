"""The queue figures' offered load: Poisson arrivals, seeded and bounded."""

from __future__ import annotations

import statistics
from itertools import pairwise

from bench.queue_figures import poisson_arrivals


def test_arrivals_are_poisson_at_the_rate_within_the_window() -> None:
    arrivals = poisson_arrivals(rate=200, seconds=50, seed=1)
    assert 9_500 < len(arrivals) < 10_500  # 200/s for 50 s
    assert arrivals == sorted(arrivals)
    assert 0 < arrivals[0] and arrivals[-1] < 50
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    assert abs(statistics.fmean(gaps) - 1 / 200) < 0.0003
    # exponential gaps: their spread equals their mean (a fixed rate would have none)
    assert 0.9 < statistics.stdev(gaps) / statistics.fmean(gaps) < 1.1


def test_the_same_seed_gives_the_same_arrivals() -> None:
    assert poisson_arrivals(50, 2, seed=3) == poisson_arrivals(50, 2, seed=3)
    assert poisson_arrivals(50, 2, seed=3) != poisson_arrivals(50, 2, seed=4)
