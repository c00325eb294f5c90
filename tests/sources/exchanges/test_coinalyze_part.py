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
from quantpro.runs.snapshot import run_snapshot
from quantpro.settings import Settings, load_settings
from quantpro.simulator import SimulatorConfig, start_simulator
from quantpro.simulator.venues import RunningFakes
from quantpro.store.db import Store
from quantpro.store.derivatives_read import load_markets

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
