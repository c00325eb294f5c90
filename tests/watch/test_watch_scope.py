"""What a watch scans (§14, docs/decisions.md): --exchange, --symbols and --top narrow the scan, the
feed and the alerts, not only the download; tier A is noted for the §11 planner after each scan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from quantpro.clock import Clock, FakeClock, now_ms
from quantpro.demo.universe import generate_demo_universe
from quantpro.feed import Signal
from quantpro.runs.watch_phases import PhaseReport, Phases, WatchRequest, coinalyze_source, default_phases
from quantpro.settings import Settings, load_settings
from quantpro.store.markets import load_markets
from quantpro.venues import Venue

from .conftest import make_watcher, read_status, sim_settings


@pytest.fixture
def wide_dir(tmp_path: Path, clock: FakeClock) -> Path:
    """Fourteen demo markets: two on each of the seven venues."""
    directory = tmp_path / "wide"
    generate_demo_universe(directory, 14, now_ms=now_ms(clock))
    return directory


def _feed_markets(data_dir: Path) -> set[tuple[str, str]]:
    feed = orjson.loads((data_dir / "master_feed.json").read_bytes())
    return {(s["exchange"], s["symbol"]) for s in feed["signals"]}


def _run_markets(data_dir: Path) -> int:
    markets: int = orjson.loads((data_dir / "master_feed.json").read_bytes())["run"]["markets"]
    return markets


def test_exchange_narrows_the_scan_and_the_feed(wide_dir: Path, sim: Any, clock: FakeClock) -> None:
    watcher = make_watcher(sim_settings(sim), wide_dir, clock, cycles=1, exchanges=(Venue.BYBIT, Venue.OKX))
    assert watcher.run() == 0
    assert _feed_markets(wide_dir) == {
        ("BYBIT", "XRPUSDT"), ("BYBIT", "DOGEUSDT"), ("OKX", "LINKUSDT"), ("OKX", "ETHUSDT"),
    }  # fmt: skip
    assert _run_markets(wide_dir) == 4
    assert "4 markets" in read_status(wide_dir)["phases"]["scan"]["note"]


def test_symbols_match_as_the_download_does_on_the_venues_asked(
    wide_dir: Path, sim: Any, clock: FakeClock
) -> None:
    exchanges = (Venue.BINANCE, Venue.KUCOIN, Venue.OKX)
    watcher = make_watcher(
        sim_settings(sim), wide_dir, clock, cycles=1, exchanges=exchanges, symbols=("BTCUSDT",)
    )
    assert watcher.run() == 0
    # BTCUSDT is KuCoin's XBTUSDTM too; BITGET's BTCUSDT is outside --exchange
    assert _feed_markets(wide_dir) == {("BINANCE", "BTCUSDT"), ("KUCOIN", "XBTUSDTM")}


def _volume_24h(closes: Any, volumes: Any) -> float:
    return float(np.dot(closes[-96:], volumes[-96:]))  # 96 fifteen-minute candles = 24 h


def test_top_without_a_download_keeps_each_venues_largest_by_candle_volume(
    wide_dir: Path, sim: Any, clock: FakeClock
) -> None:
    loaded = load_markets(wide_dir, now_ms=now_ms(clock))
    best: dict[str, tuple[float, str]] = {}
    for m in loaded.markets:
        volume = _volume_24h(m.ltf_all.close, m.ltf_all.volume)
        if m.key.exchange not in best or volume > best[m.key.exchange][0]:
            best[m.key.exchange] = (volume, m.key.symbol)
    watcher = make_watcher(sim_settings(sim), wide_dir, clock, cycles=1, top=1)
    assert watcher.run() == 0
    assert _feed_markets(wide_dir) == {(venue, symbol) for venue, (_v, symbol) in best.items()}
    assert _run_markets(wide_dir) == 7


def test_top_keeps_what_the_download_chose_and_remembers_it_when_the_venue_fails(
    wide_dir: Path, sim: Any, clock: FakeClock
) -> None:
    calls = {"n": 0}

    def download(request: WatchRequest, settings: Settings, c: Clock) -> PhaseReport:
        calls["n"] += 1
        if calls["n"] == 1:  # the venue's download picked DOGEUSDT (its ticker volume), not XRPUSDT
            return PhaseReport("ok", "1 file", chosen={"BYBIT": ("DOGEUSDT",)})
        return PhaseReport("degraded", "0 files", "BYBIT: down", chosen={})

    phases = Phases(download=download, source=coinalyze_source)
    watcher = make_watcher(sim_settings(sim), wide_dir, clock, phases=phases, cycles=2, top=1,
                           exchanges=(Venue.BYBIT,))  # fmt: skip
    seen: list[set[tuple[str, str]]] = []
    watcher.after_cycle = lambda n: seen.append(_feed_markets(wide_dir))
    assert watcher.run() == 0
    assert seen == [{("BYBIT", "DOGEUSDT")}, {("BYBIT", "DOGEUSDT")}]


def test_no_market_in_scope_fails_the_scan_and_the_loop_goes_on(
    demo_dir: Path, sim: Any, clock: FakeClock
) -> None:
    watcher = make_watcher(sim_settings(sim), demo_dir, clock, cycles=2, symbols=("NOSUCHCOINUSDT",))
    assert watcher.run() == 0
    scan = read_status(demo_dir)["phases"]["scan"]
    assert scan["status"] == "failed" and "no market of --exchange" in scan["error"]
    assert "NOSUCHCOINUSDT" in scan["error"] and read_status(demo_dir)["cycle"] == 2


def test_tier_a_is_noted_after_each_scan_and_a_failure_only_warns(
    demo_dir: Path, sim: Any, clock: FakeClock
) -> None:
    noted: list[list[Signal]] = []

    def note(settings: Settings, data_dir: Path, signals: list[Signal], *, clock: Clock) -> int:
        noted.append(signals)
        if len(noted) == 2:
            raise OSError("database is locked")
        return 1

    phases = Phases(source=coinalyze_source, note_scan=note)
    watcher = make_watcher(sim_settings(sim), demo_dir, clock, phases=phases, cycles=2)
    assert watcher.run() == 0
    feed = orjson.loads((demo_dir / "master_feed.json").read_bytes())
    assert len(noted) == 2 and len(noted[1]) == len(feed["signals"]) > 0
    status = read_status(demo_dir)
    assert status["phases"]["scan"]["status"] in ("ok", "degraded")
    assert status["phases"]["feed"]["status"] in ("ok", "degraded")
    assert "tier A not noted" in status["last_warning"] and "database is locked" in status["last_warning"]


@pytest.mark.parametrize(("mode", "noted"), [("auto", True), ("store", True), ("coinalyze", False)])
def test_default_phases_note_tier_a_unless_coinalyze(tmp_path: Path, mode: str, noted: bool) -> None:
    from quantpro.runs.derivatives_mode import note_scan

    phases = default_phases(WatchRequest(tmp_path), load_settings(derivatives=mode))
    assert (phases.note_scan is note_scan) is noted
