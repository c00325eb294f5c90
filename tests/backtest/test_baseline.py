"""The random-timing baseline on a market whose every entry has a known outcome, and its edge maths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantpro.models import Candles, MarketKey
from quantpro.runs.asof import NoDerivativesAt
from quantpro.runs.backtest.engine import MarketJob, random_timing_r
from quantpro.runs.backtest.execution import Trade
from quantpro.runs.backtest.summary import edge_over_baseline
from quantpro.runs.backtest.views import MarketSeries
from quantpro.store.markets import MarketFiles
from quantpro.strategies import PlanRules, get_strategies

M = 900_000
T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC


def rising(n: int = 400) -> Candles:
    """Each candle opens at the last close and closes 0.1 % higher: a LONG's target is always reached,
    its stop never."""
    close = 100.0 * 1.001 ** np.arange(1, n + 1)
    opened = np.r_[100.0, close[:-1]]
    times = T0 + M * np.arange(n, dtype=np.int64)
    return Candles("15m", times, opened, close.copy(), opened.copy(), close, np.ones(n))


def job(fee: float, seed: int = 0) -> MarketJob:
    key = MarketKey("EX", "UPUSDT")
    return MarketJob(
        MarketFiles(key, Path("unused"), None),
        None,
        None,
        M,
        tuple(get_strategies()),
        PlanRules(),
        NoDerivativesAt(),
        "15m",
        "4h",
        70.0,
        72 * 3_600_000,
        fee,
        seed,
    )


def trade(r: float, entry_ms: int = T0 + 60 * M) -> Trade:
    return Trade(
        "EX",
        "UPUSDT",
        "Legacy",
        "LONG",
        75.0,
        entry_ms,
        entry_ms,
        100.0,
        99.0,
        102.0,
        entry_ms + 4 * M,
        102.0,
        "target",
        r,
        100.0,
        r,
        False,
    )


def test_every_random_entry_of_a_known_market_has_the_known_r() -> None:
    candles = rising()
    series = MarketSeries(MarketKey("EX", "UPUSDT"), candles, None, "4h")
    cuts = [T0 + k * M for k in range(60, 200)]  # far enough from the end for the target to be reached
    end = int(candles.time[-1])
    assert random_timing_r(job(0.0), series, end, [trade(2.0)], cuts) == [pytest.approx(2.0)]
    fee = 0.05
    expected = (0.02 - fee / 100 * 2.02) / 0.01  # the same 1 % stop and 2 % target, fees on both sides
    assert random_timing_r(job(fee), series, end, [trade(2.0)], cuts) == [pytest.approx(expected, abs=1e-9)]


def test_the_baseline_is_seeded() -> None:
    candles = rising()
    series = MarketSeries(MarketKey("EX", "UPUSDT"), candles, None, "4h")
    cuts = [T0 + k * M for k in range(60, 399)]  # late cuts end "open" at the data's end: draws differ
    end = int(candles.time[-1])
    first = random_timing_r(job(0.0, seed=1), series, end, [trade(1.0)], cuts)
    assert first == random_timing_r(job(0.0, seed=1), series, end, [trade(1.0)], cuts)
    assert first != random_timing_r(job(0.0, seed=2), series, end, [trade(1.0)], cuts)


def test_edge_is_the_mean_difference_with_a_day_clustered_interval() -> None:
    day = 86_400_000
    pairs = [(trade(r, T0 + d * day), b) for d, (r, b) in enumerate([(1.0, 0.5), (0.0, 0.5), (2.0, 0.5)])]
    out = edge_over_baseline(pairs, seed=0)
    assert out["baseline_expectancy_r"] == 0.5
    assert out["edge_r"] == pytest.approx(0.5)
    low, high = out["ci95"]
    assert -0.5 <= low < 0.5 < high <= 1.5
    assert edge_over_baseline([(trade(1.0), float("nan"))], seed=0)["edge_r"] is None
