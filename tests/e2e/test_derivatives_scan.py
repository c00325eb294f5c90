"""A whole scan under ``--derivatives auto`` on a fake clock (docs/design.md §11): venue OI and funding
in the feed with provenance; Coinalyze down or the key refused → ``degraded``, exit 0 (never 2);
every venue down for more than two cycles → more than a quarter of the markets lack OI → ``failed``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from quantpro.clock import FakeClock
from quantpro.demo.universe import generate_demo_universe
from quantpro.models import MarketKey
from quantpro.runs.derivatives_mode import derivatives_source
from quantpro.runs.scan import ScanOutcome, run_scan
from quantpro.runs.snapshot import run_snapshot
from quantpro.settings import Settings, load_settings
from quantpro.simulator import SimulatorConfig, start_simulator
from quantpro.simulator.venues import DEFAULT_START_S, RunningFakes, start_venue_fakes, world_for

from .conftest import validate

KEY = "scan-derivatives-key"
T0 = DEFAULT_START_S + 20


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def keys(tmp_path: Path, clock: FakeClock) -> list[MarketKey]:
    return generate_demo_universe(tmp_path / "data", 12, now_ms=int(T0 * 1000) + 6 * 3600 * 1000)


@pytest.fixture
def fakes(clock: FakeClock, keys: list[MarketKey]) -> Iterator[RunningFakes]:
    with start_venue_fakes(clock, world=world_for((k.exchange, k.symbol) for k in keys)) as running:
        yield running


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Any]:
    config = SimulatorConfig(calls=400, period=10.0, api_keys=frozenset({KEY}))
    with start_simulator(config, clock=clock) as running:
        yield running


def settings_for(fakes: RunningFakes, sim: Any, tmp_path: Path, key: str = KEY) -> Settings:
    return load_settings(
        exchange_urls=fakes.urls,
        store_path=tmp_path / "store.sqlite",
        api_key=key,
        base_url=sim.base_url,
        cache_dir=tmp_path / "cache",
        rate_limit_calls=400,
        rate_limit_period=10.0,
        allow_stale=True,
    )


def scan(settings: Settings, tmp_path: Path, clock: FakeClock) -> ScanOutcome:
    data_dir = tmp_path / "data"
    source = derivatives_source(settings, data_dir, clock=clock, mode="auto")
    return run_scan(settings, data_dir, clock=clock, source=source)


def test_auto_scan_gives_venue_data_with_provenance(
    fakes: RunningFakes,
    sim: Any,
    tmp_path: Path,
    clock: FakeClock,
    feed_validator: Draft202012Validator,
) -> None:
    outcome = scan(settings_for(fakes, sim, tmp_path), tmp_path, clock)
    validate(feed_validator, outcome.feed)
    assert outcome.exit_code == 0 and outcome.run.status == "ok"
    block = outcome.feed["run"]["derivatives"]
    assert block["mode"] == "auto" and block["coinalyze"]["status"] == "ok"
    for signal in outcome.feed["signals"]:
        assert signal["oi_metadata"]["source"] in ("venue", "proxy")
        assert signal["oi_metadata"]["unit"] == "base"
        prov = signal["external"]["provenance"]
        assert prov["funding_rate"]["source"] == "venue"
        assert prov["funding_rate"]["venue"] == signal["exchange"]
        assert prov["open_interest"]["age_s"] is not None


@pytest.mark.parametrize("fault", ["down", "refused"])
def test_coinalyze_down_or_refused_under_auto_is_degraded_not_exit_2(
    fakes: RunningFakes,
    sim: Any,
    tmp_path: Path,
    clock: FakeClock,
    fault: str,
    feed_validator: Draft202012Validator,
) -> None:
    if fault == "down":
        sim.set_down(True)
    settings = settings_for(fakes, sim, tmp_path, key=KEY if fault == "down" else "wrong-key")
    outcome = scan(settings, tmp_path, clock)
    validate(feed_validator, outcome.feed)
    assert outcome.exit_code == 0 and outcome.run.status == "degraded"
    coinalyze = outcome.feed["run"]["derivatives"]["coinalyze"]
    assert coinalyze["status"] == "failed" and coinalyze["error"]
    assert ("refused the key" in coinalyze["error"]) == (fault == "refused")
    assert all(s["oi_metadata"]["source"] in ("venue", "proxy") for s in outcome.feed["signals"])


def test_every_venue_down_for_three_cycles_fails_the_run(
    fakes: RunningFakes,
    sim: Any,
    tmp_path: Path,
    clock: FakeClock,
    feed_validator: Draft202012Validator,
) -> None:
    settings = settings_for(fakes, sim, tmp_path)
    run_snapshot(settings, tmp_path / "data", clock=clock)
    for fake in fakes.fakes.values():
        fake.set_down()
    clock.set(T0 + 3 * 900)
    outcome = scan(settings, tmp_path, clock)
    validate(feed_validator, outcome.feed)
    assert outcome.exit_code == 3 and outcome.run.status == "failed"
    lacking = [s for s in outcome.feed["signals"] if s["oi_metadata"]["source"] == "none"]
    assert 4 * len(lacking) > len(outcome.feed["signals"])
    for signal in lacking:
        reason = signal["oi_metadata"]["reason"]
        assert reason.startswith("stale: ") and signal["exchange"] in reason and "since" in reason
    # a Hyperliquid market may still be current: Coinalyze's history repairs it while its venue is down


def test_a_store_locked_by_another_writer_degrades_not_fails(
    fakes: RunningFakes, sim: Any, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the write lock past the busy timeout: auto scans what the store holds."""
    import sqlite3

    import quantpro.store.db as db

    settings = settings_for(fakes, sim, tmp_path)
    run_snapshot(settings, tmp_path / "data", clock=clock)
    clock.set(T0 + 900)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.2)  # the test does not wait 30 s
    other = sqlite3.connect(settings.store_file(), timeout=0.2)
    other.execute("BEGIN IMMEDIATE")
    try:
        outcome = scan(settings, tmp_path, clock)
    finally:
        other.rollback()
        other.close()
    assert outcome.exit_code == 0
    assert all(s["oi_metadata"]["source"] in ("venue", "proxy") for s in outcome.feed["signals"])
    reasons = {s["oi_metadata"]["reason"] or "" for s in outcome.feed["signals"]}
    assert any("current bucket not observed yet" in r for r in reasons)
