"""The seam the store plugs into: the same ``DerivativesAt`` gives ``scan --as-of`` and the backtest the
same data at T, and the report counts the cuts by the kind of data they had."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from quantpro.clock import FakeClock
from quantpro.models import MarketData, MarketKey, neutral_market_data
from quantpro.runs.backtest.engine import results_at
from quantpro.runs.backtest.run import BacktestRequest, parse_duration, run_backtest
from quantpro.runs.backtest.views import MarketSeries
from quantpro.runs.scan import run_scan
from quantpro.settings import Settings
from quantpro.store.markets import discover_markets, load_market
from quantpro.strategies import PlanRules, get_strategies

from .conftest import DEMO_NOW_MS

BUCKET_S = 900  # the OI component's 15-minute buckets


class RisingOpenInterest:
    """A store that knows a 15-minute OI series for BINANCE markets, known only up to T (the rest neutral)."""

    name = "test-store"

    def at(self, markets: Sequence[MarketKey], at_ms: int) -> dict[MarketKey, MarketData]:
        out: dict[MarketKey, MarketData] = {}
        last = at_ms // 1000 // BUCKET_S * BUCKET_S - BUCKET_S
        for key in markets:
            if key.exchange != "BINANCE":
                out[key] = neutral_market_data("not in the store")
                continue
            data = neutral_market_data(None)
            history = [{"timestamp": last - BUCKET_S * i, "value": 1000.0 + (50 - i) ** 2} for i in range(50)]
            data.update(oi_status="resolved", oi_history=sorted(history, key=lambda p: p["timestamp"]))  # type: ignore[typeddict-item]
            out[key] = data
        return out


def test_scan_as_of_and_the_backtest_read_the_same_store(demo_dir: Path, tmp_path: Path) -> None:
    store = RisingOpenInterest()
    at = DEMO_NOW_MS - 20 * 900_000
    outcome = run_scan(
        Settings(), demo_dir, output=tmp_path / "f.json", as_of_ms=at, clock=FakeClock(), derivatives_at=store
    )
    scanned = {(s["exchange"], s["symbol"], s["strategy_name"]): s["score"] for s in outcome.signals}
    assert outcome.run.oi_status["resolved"] > 0
    oi_points = {s["observability"]["score_composition"].get("derivatives_oi") for s in outcome.signals}
    assert len(oi_points - {None}) > 1  # the store's data moved scores, not only the neutral 10
    files, _ = discover_markets(demo_dir)
    rules = PlanRules.from_settings(Settings())
    for f in files:
        m = load_market(f, now_ms=2**62)
        series = MarketSeries(m.key, m.ltf_all, m.htf_all, "4h")
        for strategy, result in results_at(series, at, get_strategies(), rules, store) or []:
            assert scanned[(m.key.exchange, m.key.symbol, strategy.name)] == result.score


def test_the_report_counts_cuts_by_kind(demo_dir: Path) -> None:
    result = run_backtest(
        Settings(),
        BacktestRequest(demo_dir, workers=1, every_ms=parse_duration("4h")),
        derivatives=RisingOpenInterest(),
    )
    kinds = result.summary["derivatives"]
    assert kinds["resolved"] > 0 and kinds["neutral"] > 0
    assert sum(kinds.values()) == result.summary["cuts"]["market_cuts"]
