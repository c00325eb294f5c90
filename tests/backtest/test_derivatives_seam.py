"""The seam the store plugs into: the same ``DerivativesAt`` gives ``scan --as-of`` and the backtest the
same data at T, and the report counts the cuts by the kind of data they had."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from quantpro.clock import FakeClock
from quantpro.demo.universe import generate_demo_universe
from quantpro.models import MarketData, MarketKey, neutral_market_data
from quantpro.runs.asof import StoreDerivativesAt, derivatives_at_for
from quantpro.runs.backtest.engine import results_at
from quantpro.runs.backtest.run import BacktestRequest, parse_duration, run_backtest
from quantpro.runs.backtest.views import MarketSeries
from quantpro.runs.scan import run_scan
from quantpro.runs.snapshot import run_snapshot
from quantpro.settings import Settings, load_settings
from quantpro.simulator.venues import DEFAULT_START_S, start_venue_fakes
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


STORED_CYCLES = 30
STORE_START_MS = int(DEFAULT_START_S * 1000)
STORE_END_MS = STORE_START_MS + STORED_CYCLES * BUCKET_S * 1000


@pytest.fixture(scope="module")
def stored_period(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path]]:
    """A §11 store of 30 snapshot cycles of the venue fakes (20 s after each boundary), and demo
    candle files of the same markets ending with the period."""
    root = tmp_path_factory.mktemp("stored-period")
    data_dir = root / "candles"
    data_dir.mkdir()
    generate_demo_universe(data_dir, 12, now_ms=STORE_END_MS, seed=3)
    clock = FakeClock(DEFAULT_START_S + 20)
    with start_venue_fakes(clock) as fakes:
        settings = load_settings(exchange_urls=fakes.urls, store_path=root / "store.sqlite")
        for k in range(STORED_CYCLES):
            clock.set(DEFAULT_START_S + k * BUCKET_S + 20)
            run_snapshot(settings, data_dir, clock=clock)
        yield settings, data_dir


def test_a_backtest_over_a_stored_period_uses_the_store(stored_period: tuple[Settings, Path]) -> None:
    settings, data_dir = stored_period
    store = derivatives_at_for(settings, data_dir)
    assert isinstance(store, StoreDerivativesAt)
    request = BacktestRequest(data_dir, workers=2, from_ms=STORE_START_MS, to_ms=STORE_END_MS)
    result = run_backtest(settings, request, derivatives=store)
    kinds = result.summary["derivatives"]
    assert kinds.get("resolved", 0) > kinds.get("neutral", 0) > 0  # a market no venue lists stays neutral
    assert sum(kinds.values()) == result.summary["cuts"]["market_cuts"]


def test_scan_as_of_equals_the_backtest_with_the_store(
    stored_period: tuple[Settings, Path], tmp_path: Path
) -> None:
    settings, data_dir = stored_period
    at = STORE_START_MS + 20 * BUCKET_S * 1000 + 300_000  # mid-bucket: the boundary's snapshot is known
    outcome = run_scan(
        settings,
        data_dir,
        output=tmp_path / "f.json",
        as_of_ms=at,
        clock=FakeClock(),
        derivatives_at=derivatives_at_for(settings, data_dir),
    )
    assert outcome.run.oi_status.get("resolved", 0) > 0
    scanned = {(s["exchange"], s["symbol"], s["strategy_name"]): s for s in outcome.signals}
    backtest_store = StoreDerivativesAt(settings.store_file(data_dir))
    files, _ = discover_markets(data_dir)
    rules = PlanRules.from_settings(settings)
    compared = real_oi = 0
    for f in files:
        m = load_market(f, now_ms=2**62)
        series = MarketSeries(m.key, m.ltf_all, m.htf_all, "4h")
        known = backtest_store.at([m.key], at)[m.key]
        real_oi += 1 if len(known["oi_history"]) > 14 and known.get("funding_rate") is not None else 0
        for strategy, result in results_at(series, at, get_strategies(), rules, backtest_store) or []:
            signal = scanned[(m.key.exchange, m.key.symbol, strategy.name)]
            assert signal["score"] == result.score
            assert signal["observability"]["score_composition"] == result.score_composition
            compared += 1
    assert backtest_store._preload is not None  # the backtest's side read its preload
    assert compared == len(scanned) > 0
    assert real_oi >= len(files) // 2  # the store's OI series and funding, not the neutral rule
