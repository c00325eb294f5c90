"""``download`` writes ``DATA_DIR/markets.json`` from ccxt (docs/design.md §12); it is read tolerantly."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from quantpro.clock import FakeClock
from quantpro.models import MarketKey
from quantpro.simulator.venues import FakeBinance, FakeBybit, FakeHyperliquid, FakeOKX
from quantpro.store.markets_file import MarketInfo, read_markets_file, tick_sizes, write_markets_file

from .conftest import expected_markets, run


def test_download_records_every_market_with_its_tick_and_sizes(
    clock: FakeClock, data_dir: Path, bybit: FakeBybit, okx: FakeOKX, binance: FakeBinance
) -> None:
    run(clock, data_dir, bybit, okx, binance, candles=60, timeframes=("15m",))
    infos = read_markets_file(data_dir)
    wanted = {MarketKey(f.name, m.expected_local) for f in (bybit, okx, binance) for m in expected_markets(f)}
    assert set(infos) == wanted
    btc = infos[MarketKey("BYBIT", "BTCUSDT")]
    assert (btc.ccxt_symbol, btc.base, btc.quote) == ("BTC/USDT:USDT", "BTC", "USDT")
    assert (btc.tick_size, btc.amount_step) == (0.01, 0.001)  # priceFilter.tickSize, lotSizeFilter.qtyStep
    pepe = infos[MarketKey("OKX", "PEPEUSDT")]
    assert (pepe.tick_size, pepe.contract_size, pepe.amount_step) == (0.1, 10_000_000.0, 1.0)  # tickSz, ctVal
    assert infos[MarketKey("BINANCE", "BTCUSDT")].min_notional == 100.0  # MIN_NOTIONAL filter
    raw = json.loads((data_dir / "markets.json").read_text())
    assert raw["schema_version"] == 1 and raw["updated_at"] == int(clock.now() * 1000)
    assert tick_sizes(data_dir)[MarketKey("OKX", "BTCUSDT")] == 0.1


def test_a_second_download_of_one_venue_keeps_the_others(
    clock: FakeClock, data_dir: Path, bybit: FakeBybit, hyperliquid: FakeHyperliquid
) -> None:
    run(clock, data_dir, bybit, hyperliquid, candles=60, timeframes=("15m",))
    before = read_markets_file(data_dir)
    run(clock, data_dir, bybit, candles=60, timeframes=("15m",), symbols=["BTCUSDT"])
    after = read_markets_file(data_dir)
    assert after == before
    assert any(key.exchange == "HYPERLIQUID" for key in after)


def _info(symbol: str, tick: float | None) -> MarketInfo:
    return MarketInfo("MEXC", symbol, f"{symbol[:-4]}/USDT:USDT", symbol[:-4], "USDT", 1.0, tick, 1.0, 5.0)


def test_missing_file_is_no_facts(tmp_path: Path) -> None:
    assert read_markets_file(tmp_path) == {}
    assert tick_sizes(tmp_path) == {}


def test_corrupt_file_is_a_warning_and_no_facts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "markets.json").write_bytes(b'{"markets": [{"exchange": "ME')
    assert read_markets_file(tmp_path) == {}
    assert "markets file" in caplog.text and "corrupt" in caplog.text


def test_malformed_entries_are_skipped_and_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_markets_file(tmp_path, [_info("BTCUSDT", 0.1), _info("ETHUSDT", None)], now_ms=1)
    data = json.loads((tmp_path / "markets.json").read_text())
    data["markets"].insert(0, {"exchange": "MEXC"})
    data["markets"].append("nonsense")
    data["markets"][1]["tick_size"] = "-3"  # a tick that cannot be: unknown, not an error
    (tmp_path / "markets.json").write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING):
        infos = read_markets_file(tmp_path)
    assert set(infos) == {MarketKey("MEXC", "BTCUSDT"), MarketKey("MEXC", "ETHUSDT")}
    assert infos[MarketKey("MEXC", "BTCUSDT")].tick_size is None
    assert "entry 0 skipped (missing symbol, ccxt_symbol, base, quote)" in caplog.text
    assert "entry 3 skipped (not an object)" in caplog.text


def test_the_write_is_atomic_and_merges(data_dir: Path) -> None:
    write_markets_file(data_dir, [_info("BTCUSDT", 0.1)], now_ms=1)
    write_markets_file(data_dir, [_info("ETHUSDT", 0.01), _info("BTCUSDT", 0.5)], now_ms=2)
    assert tick_sizes(data_dir) == {MarketKey("MEXC", "BTCUSDT"): 0.5, MarketKey("MEXC", "ETHUSDT"): 0.01}
    assert [p.name for p in data_dir.iterdir()] == ["markets.json"]  # no temporary file left
