"""No look-ahead: alter every candle not closed by X and no signal at or before X changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from quantpro.models import Candles
from quantpro.runs.asof import NoDerivativesAt
from quantpro.runs.backtest.engine import results_at
from quantpro.runs.backtest.views import MarketSeries
from quantpro.settings import Settings
from quantpro.store.markets import discover_markets, load_market
from quantpro.strategies import PlanRules, get_strategies

from .conftest import DEMO_NOW_MS, LTF_MS


def _scrambled(c: Candles, x_ms: int, rng: np.random.Generator) -> Candles:
    """Every candle not closed by ``x_ms`` moved by a random factor (still a valid candle)."""
    after = c.time + c.interval_ms > x_ms
    factor = np.where(after, rng.uniform(0.5, 1.5, len(c)), 1.0)
    o, h, lo, cl = (arr * factor for arr in (c.open, c.high, c.low, c.close))
    return Candles(
        c.timeframe,
        c.time.copy(),
        o,
        np.maximum.reduce([h, o, cl]),
        np.minimum.reduce([lo, o, cl]),
        cl,
        c.volume * factor,
    )


def test_altering_the_future_changes_no_past_signal(demo_dir: Path) -> None:
    rng = np.random.default_rng(5)
    x_ms = DEMO_NOW_MS - 40 * LTF_MS
    strategies, rules = get_strategies(), PlanRules.from_settings(Settings())
    files, _ = discover_markets(demo_dir)
    checked = changed_after = 0
    for f in files:
        m = load_market(f, now_ms=2**62)
        original = MarketSeries(m.key, m.ltf_all, m.htf_all, "4h")
        htf = None if m.htf_all is None else _scrambled(m.htf_all, x_ms, rng)
        altered = MarketSeries(m.key, _scrambled(m.ltf_all, x_ms, rng), htf, "4h")
        for at_ms in range(x_ms - 60 * LTF_MS, x_ms + 1, 3 * LTF_MS):
            a = results_at(original, at_ms, strategies, rules, NoDerivativesAt())
            b = results_at(altered, at_ms, strategies, rules, NoDerivativesAt())
            assert a == b, f"{m.key} at {at_ms}: a signal changed when only later candles did"
            checked += len(a or [])
        later = results_at(original, DEMO_NOW_MS, strategies, rules, NoDerivativesAt())
        later_b = results_at(altered, DEMO_NOW_MS, strategies, rules, NoDerivativesAt())
        changed_after += int(later != later_b)
    assert checked > 500
    assert changed_after > 0  # the alteration is real: signals after X do move
