"""Freshness first (docs/design.md §12): a market whose candles are stale is not sent to the derivatives
source and all its signals are WAIT; more than half stale is ``run.status: stale`` and exit 4, with a
message naming the newest candle; ``--allow-stale`` / ``QUANTPRO_ALLOW_STALE`` restore part one."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from quantpro import cli
from quantpro.clock import FakeClock, SystemClock, now_ms
from quantpro.demo.universe import generate_demo_universe
from quantpro.runs.scan import ScanOutcome, run_scan
from quantpro.settings import load_settings
from quantpro.simulator import RunningSimulator, SimulatorConfig, start_simulator

from .conftest import read_feed

KEY = "fresh-key"
NOW_S = 1_768_842_349.064
MARKETS = 10
HOUR_MS = 3_600_000
DATA_PATHS = {"/open-interest-history", "/funding-rate", "/long-short-ratio-history", "/liquidation-history"}


def universe(directory: Path, *, stale: int, now: float = NOW_S) -> Path:
    """``MARKETS`` demo markets ending at ``now``, of which the first ``stale`` end three hours earlier."""
    generate_demo_universe(directory, MARKETS, now_ms=int(now * 1000))
    old = directory.parent / f"{directory.name}-old"
    markets = generate_demo_universe(old, MARKETS, now_ms=int(now * 1000) - 3 * HOUR_MS)
    for key in markets[:stale]:
        for path in old.glob(f"{key.exchange}_{key.symbol}_*.json"):
            shutil.copyfile(path, directory / path.name)
    return directory


def scan(tmp_path: Path, stale: int, **settings: Any) -> tuple[ScanOutcome, RunningSimulator]:
    clock = FakeClock(start=NOW_S)
    data_dir = universe(tmp_path / "data", stale=stale)
    with start_simulator(
        SimulatorConfig(calls=400, period=10.0, api_keys=frozenset({KEY})), clock=clock
    ) as sim:
        config = load_settings(
            api_key=KEY, base_url=sim.base_url, rate_limit_calls=400, rate_limit_period=10.0, **settings
        )
        return run_scan(config, data_dir, clock=clock), sim


def symbols_sent(sim: RunningSimulator) -> set[str]:
    return {symbol for r in sim.log if r.path in DATA_PATHS for symbol in r.symbols}


def test_stale_markets_are_not_fetched_and_wait(tmp_path: Path) -> None:
    outcome, sim = scan(tmp_path, stale=4)
    stale = [s for s in outcome.feed["signals"] if s["meta"]["stale"]]
    assert len({(s["exchange"], s["symbol"]) for s in stale}) == 4 and len(stale) == 12
    for signal in stale:
        assert (signal["action"], signal["details"]["reason"], signal["score"]) == (
            "WAIT",
            "stale candles",
            0.0,
        )
        assert signal["oi_metadata"]["reason"] == "stale candles: not fetched"
        assert signal["oi_metadata"]["status"] == "neutral"
    sent = symbols_sent(sim)
    fresh = [
        s for s in outcome.feed["signals"] if not s["meta"]["stale"] and s["oi_metadata"]["coinalyze_symbol"]
    ]
    assert {s["oi_metadata"]["coinalyze_symbol"] for s in fresh} <= sent
    assert not any(s["action"] == "WAIT" and s["details"]["reason"] == "stale candles" for s in fresh)
    assert outcome.run.status == "ok" and outcome.exit_code == 0  # 4 of 10: not more than half
    assert outcome.run.stale_markets == 4
    assert sum(outcome.run.oi_status.values()) == MARKETS  # the stale ones are counted neutral


def test_stale_candles_cost_no_units(tmp_path: Path) -> None:
    fresh, _ = scan(tmp_path / "a", stale=0)
    partly, _ = scan(tmp_path / "b", stale=4)
    assert 0 < partly.run.units_spent < fresh.run.units_spent


def test_more_than_half_stale_is_status_stale_and_exit_4(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="quantpro"):
        outcome, _ = scan(tmp_path, stale=6)
    assert outcome.run.status == "stale" and outcome.exit_code == 4
    assert read_feed(outcome.feed_path)["run"]["status"] == "stale"  # the feed is still written
    message = next(r.getMessage() for r in caplog.records if "stale candles" in r.getMessage())
    assert message.startswith("6 of 10 markets have stale candles; the newest candle in ")
    assert "15m, closed 2026-01-19 17:00 UTC (0.1 h before this scan)" in message
    assert "run `quantpro download " in message


def test_every_market_stale_sends_nothing_at_all(tmp_path: Path) -> None:
    outcome, sim = scan(tmp_path, stale=MARKETS)
    assert outcome.exit_code == 4
    assert [r for r in sim.log if r.path in DATA_PATHS] == []
    assert outcome.run.units_spent == 0
    assert {s["details"]["reason"] for s in outcome.feed["signals"]} == {"stale candles"}
    setups = [s for s in outcome.feed["signals"] if s["setup"] is not None]
    assert setups == []


def test_allow_stale_restores_part_one(tmp_path: Path) -> None:
    outcome, sim = scan(tmp_path, stale=6, allow_stale=True)
    assert outcome.run.status == "ok" and outcome.exit_code == 0
    assert outcome.run.stale_markets == 6
    assert not any(s["details"]["reason"] == "stale candles" for s in outcome.feed["signals"])
    stale = [
        s for s in outcome.feed["signals"] if s["meta"]["stale"] and s["oi_metadata"]["coinalyze_symbol"]
    ]
    assert stale and {s["oi_metadata"]["coinalyze_symbol"] for s in stale} <= symbols_sent(sim)


@pytest.fixture
def old_dir(tmp_path: Path) -> Path:
    """Markets whose candles ended three hours before the real now (the CLI runs on the real clock)."""
    directory = tmp_path / "old"
    generate_demo_universe(directory, 6, now_ms=now_ms(SystemClock()) - 3 * HOUR_MS)
    return directory


def test_the_cli_exits_4_on_stale_data_and_0_with_allow_stale(
    cli_sim: Any, old_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["scan", str(old_dir)]) == 4
    assert "run `quantpro download" in capsys.readouterr().err
    assert cli.main(["scan", str(old_dir), "--allow-stale"]) == 0
    monkeypatch.setenv("QUANTPRO_ALLOW_STALE", "true")
    assert cli.main(["scan", str(old_dir)]) == 0
