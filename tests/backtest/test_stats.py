"""The interval, rank correlation, drawdown and bucket maths on known inputs."""

from __future__ import annotations

import numpy as np
import pytest

from quantpro.runs.backtest.stats import bucket_of, cluster_bootstrap_ci, max_drawdown, spearman


def test_buckets() -> None:
    assert [bucket_of(s) for s in (0, 49.99, 50, 69.99, 70, 89.9, 90, 100)] == [
        "<50",
        "<50",
        "50-60",
        "60-70",
        "70-80",
        "80-90",
        ">=90",
        ">=90",
    ]


def test_spearman_known_values() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # ties averaged: x ranks 1,2.5,2.5,4; y ranks 1,2,3,4 → r = 0.9487
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9487, abs=1e-4)
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    assert spearman([1, 2], [1, 2]) is None


def test_max_drawdown() -> None:
    assert max_drawdown([1, -1, -1, 2, -3, 1]) == 3.0
    assert max_drawdown([1, 1]) == 0.0
    assert max_drawdown([-1]) == 1.0


def test_cluster_bootstrap_respects_clusters() -> None:
    # one day of +1s and one of −1s: the day, not the trade, is the unit — the interval spans both
    values = [1.0] * 50 + [-1.0] * 50
    days = [1] * 50 + [2] * 50
    low, high = cluster_bootstrap_ci(values, days, seed=1) or (0, 0)
    assert low == pytest.approx(-1.0) and high == pytest.approx(1.0)
    # the same values as 100 independent days: a much narrower interval around 0
    narrow = cluster_bootstrap_ci(values, list(range(100)), seed=1) or (0, 0)
    assert -0.3 < narrow[0] < 0 < narrow[1] < 0.3
    assert cluster_bootstrap_ci([1.0, 2.0], [5, 5]) is None


def test_cluster_bootstrap_is_seeded_and_covers_the_mean() -> None:
    rng = np.random.default_rng(0)
    values = list(rng.normal(0.5, 1.0, 300))
    days = [i // 10 for i in range(300)]
    first = cluster_bootstrap_ci(values, days, seed=7)
    assert first == cluster_bootstrap_ci(values, days, seed=7)
    assert first is not None and first[0] < float(np.mean(values)) < first[1]
