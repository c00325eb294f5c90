"""The backtest at T says what ``scan --as-of T`` says: same action, score and setup (docs/design.md §13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantpro.clock import FakeClock
from quantpro.runs.asof import NoDerivativesAt
from quantpro.runs.backtest.engine import results_at
from quantpro.runs.backtest.views import MarketSeries
from quantpro.runs.scan import run_scan
from quantpro.settings import Settings
from quantpro.store.markets import discover_markets, load_market
from quantpro.store.markets_file import tick_sizes
from quantpro.strategies import PlanRules, get_strategies

from .conftest import DEMO_NOW_MS, LTF_MS

Key = tuple[str, str, str]


def _series(data_dir: Path) -> list[MarketSeries]:
    files, _ = discover_markets(data_dir)
    out = []
    for f in files:
        market = load_market(f, now_ms=2**62)
        out.append(MarketSeries(market.key, market.ltf_all, market.htf_all, "4h"))
    return out


def _setup(setup: Any) -> tuple[float, float, float, float] | None:
    if setup is None:
        return None
    if isinstance(setup, dict):
        return (setup["entry"], setup["sl"], setup["tp"], setup["rr"])
    return (setup.entry, setup.sl, setup.tp, setup.rr)


def _scan_at(data_dir: Path, at_ms: int, out: Path) -> dict[Key, tuple[Any, ...]]:
    outcome = run_scan(
        Settings(), data_dir, output=out / f"feed-{at_ms}.json", as_of_ms=at_ms, clock=FakeClock()
    )
    return {
        (s["exchange"], s["symbol"], s["strategy_name"]): (s["action"], s["score"], _setup(s["setup"]))
        for s in outcome.signals
    }


def _backtest_at(series: list[MarketSeries], data_dir: Path, at_ms: int) -> dict[Key, tuple[Any, ...]]:
    rules = PlanRules.from_settings(Settings(), tick_sizes(data_dir))
    strategies = get_strategies()
    found: dict[Key, tuple[Any, ...]] = {}
    for s in series:
        results = results_at(s, at_ms, strategies, rules, NoDerivativesAt())
        for strategy, result in results or []:
            found[(s.key.exchange, s.key.symbol, strategy.name)] = (
                result.action.value,
                result.score,
                _setup(result.setup),
            )
    return found


def _compare(data_dir: Path, cuts: list[int], tmp_path: Path) -> tuple[int, int]:
    series = _series(data_dir)
    compared = actionable = 0
    for at_ms in cuts:
        expected = _scan_at(data_dir, at_ms, tmp_path)
        got = _backtest_at(series, data_dir, at_ms)
        assert got == expected, f"cut {at_ms}: the backtest disagrees with scan --as-of"
        compared += len(expected)
        actionable += sum(1 for v in expected.values() if v[0] != "WAIT")
    return compared, actionable


def test_sampled_cuts_match_scan_as_of(demo_dir: Path, tmp_path: Path) -> None:
    cuts = [DEMO_NOW_MS - k * LTF_MS for k in range(0, 340, 9)] + [DEMO_NOW_MS - 7 * 3_600_000 - 1]
    compared, actionable = _compare(demo_dir, cuts, tmp_path)
    assert compared > 300
    assert actionable > 0  # the sample holds setups, not only WAITs


@pytest.mark.slow
@pytest.mark.realdata
def test_sampled_cuts_match_scan_as_of_on_the_real_sample(real_candles: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    early, start, end = 1_766_966_400_000, 1_768_435_200_000, 1_768_838_400_000  # Dec 29, Jan 15, Jan 19
    cuts = sorted(
        [int(t) for t in rng.integers(start // LTF_MS, end // LTF_MS, size=3) * LTF_MS]
        + [int(t) for t in rng.integers(early // LTF_MS, start // LTF_MS, size=2) * LTF_MS]
        + [int(t) + 4321 for t in rng.integers(start // LTF_MS, end // LTF_MS, size=1) * LTF_MS]  # off-grid
    )
    compared, _ = _compare(real_candles, cuts, tmp_path)
    assert compared > 1000
