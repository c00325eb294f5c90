"""The Coinalyze part of a §11 cycle against the simulator: liquidations under the planner's budget,
the Hyperliquid OI bootstrap, and Coinalyze down or the key refused → degraded, OI unaffected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantpro.clock import FakeClock
from quantpro.models import MarketKey
from quantpro.runs.derivatives_mode import derivatives_source
from quantpro.runs.snapshot import bootstrap_store, run_snapshot
from quantpro.settings import Settings, load_settings
from quantpro.simulator import SimulatorConfig, start_simulator
from quantpro.simulator.venues import RunningFakes
from quantpro.store.db import Store
from quantpro.store.derivatives_read import load_markets, load_series

KEY = "exchange-part-key"


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Any]:
    config = SimulatorConfig(calls=40, period=60.0, api_keys=frozenset({KEY}))
    with start_simulator(config, clock=clock) as running:
        yield running


def with_key(fakes: RunningFakes, sim: Any, tmp_path: Path, key: str = KEY) -> Settings:
    return load_settings(
        exchange_urls=fakes.urls,
        store_path=tmp_path / "store.sqlite",
        api_key=key,
        base_url=sim.base_url,
        cache_dir=tmp_path / "cache",
    )


def test_liquidations_within_the_budget_and_provenance(
    fakes: RunningFakes, sim: Any, tmp_path: Path, data_dir: Path, clock: FakeClock
) -> None:
    settings = with_key(fakes, sim, tmp_path)
    outcome = run_snapshot(settings, data_dir, clock=clock)
    block = outcome.coinalyze
    assert block is not None and block["status"] == "ok", block
    assert 0 < block["planned"] <= block["budget"] == 540
    assert block["spent"] >= block["planned"] and block["short_by"] == 0
    with Store(settings.store_file()) as store:
        markets = {(m.venue, m.local_symbol): m for m in load_markets(store)}
    assert markets[("BINANCE", "BTCUSDT")].coinalyze_status == "resolved"
    key = MarketKey("BINANCE", "BTCUSDT")
    source = derivatives_source(settings, data_dir, clock=clock, mode="store")
    assert source is not None
    item = source.fetch([key]).data[key]
    assert item["liquidations"] is not None
    assert item["provenance"]["liquidations"]["source"] == "coinalyze"
    # a second cycle at once: nothing due, smoothing only — far below the budget
    again = run_snapshot(settings, data_dir, clock=clock)
    assert again.coinalyze is not None and again.coinalyze["planned"] <= block["planned"]


def test_coinalyze_down_degrades_only_liquidations(
    fakes: RunningFakes, sim: Any, tmp_path: Path, data_dir: Path, clock: FakeClock
) -> None:
    settings = with_key(fakes, sim, tmp_path)
    sim.set_down(True)
    outcome = run_snapshot(settings, data_dir, clock=clock)
    assert outcome.coinalyze is not None and outcome.coinalyze["status"] == "failed"
    assert outcome.coinalyze["error"]
    assert all(v.status == "ok" for v in outcome.venues.values())
    block = outcome.derivatives_block("auto")
    assert block["coinalyze"]["status"] == "failed"


def test_a_refused_key_under_auto_is_reported_not_fatal(
    fakes: RunningFakes, sim: Any, tmp_path: Path, data_dir: Path, clock: FakeClock
) -> None:
    settings = with_key(fakes, sim, tmp_path, key="not-the-key")
    outcome = run_snapshot(settings, data_dir, clock=clock)
    assert outcome.coinalyze is not None and outcome.coinalyze["status"] == "failed"
    assert "refused the key" in str(outcome.coinalyze["error"])
    assert "not-the-key" not in str(outcome.coinalyze["error"])
    assert all(v.status == "ok" for v in outcome.venues.values())


def test_bootstrap_fills_hyperliquid_from_coinalyze(
    fakes: RunningFakes, sim: Any, tmp_path: Path, data_dir: Path, clock: FakeClock
) -> None:
    settings = with_key(fakes, sim, tmp_path)
    run_snapshot(settings, data_dir, clock=clock, coinalyze=False)  # the venues only: no .H history yet
    outcome = bootstrap_store(settings, data_dir, clock=clock)
    block = outcome.coinalyze
    assert block is not None and block["status"] == "ok", block
    with Store(settings.store_file()) as store:
        hyper = [m for m in load_markets(store, "HYPERLIQUID") if m.coinalyze_status == "resolved"]
        sources = {
            m.id: [r.source for r in load_series(store, [m.id], since_s=0, until_s=2**62)[m.id]]
            for m in hyper
        }
        liquidations = store.conn.execute("SELECT COUNT(*) FROM liquidations").fetchone()[0]
    assert hyper, "the default world has Hyperliquid markets Coinalyze covers"
    assert block["spent"] == block["planned"] == len(hyper)  # one unit a market, nothing else
    assert liquidations == 0
    for market in hyper:
        assert sources[market.id].count("coinalyze") >= 30, (market.venue_id, sources[market.id])
    # run again: every .H market has its buckets, so nothing is spent
    again = bootstrap_store(settings, data_dir, clock=clock)
    assert again.coinalyze is not None and again.coinalyze["spent"] == 0
