"""The demo's candle generator: deterministic, §4-conformant files that end at the forming candle."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from quantpro.analysis.features import FeatureFactory
from quantpro.demo.universe import DEMO_MARKER, MAX_MARKETS, VENUES, demo_markets, generate_demo_universe
from quantpro.models import TIMEFRAME_MS, MarketKey, neutral_market_data
from quantpro.store.markets import load_markets
from quantpro.strategies import get_strategies
from quantpro.strategies.base import run_strategy
from quantpro.symbols import parse_local_symbol

NOW_MS = 1_768_842_349_064  # 17:05:49 UTC: the forming 4h candle has only its first 15m candles
LTF_MS, HTF_MS = TIMEFRAME_MS["15m"], TIMEFRAME_MS["4h"]
NAME = re.compile(r"^(BINANCE|BYBIT|OKX|MEXC|KUCOIN|BITGET|HYPERLIQUID)_([0-9A-Za-z]+)_(15m|4h)\.json$")


@pytest.fixture(scope="module")
def universe(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[MarketKey]]:
    directory = tmp_path_factory.mktemp("demo")
    return directory, generate_demo_universe(directory, now_ms=NOW_MS)


def _rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = orjson.loads(path.read_bytes())
    return rows


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_same_seed_gives_identical_files(tmp_path: Path, universe: tuple[Path, list[MarketKey]]) -> None:
    directory, keys = universe
    again = generate_demo_universe(tmp_path / "again", now_ms=NOW_MS)
    assert again == keys
    assert _files(tmp_path / "again") == _files(directory)
    other = tmp_path / "other"
    generate_demo_universe(other, markets=3, now_ms=NOW_MS, seed=1)
    assert all(_files(other)[n] != _files(directory)[n] for n in _files(other))


def test_file_names_fit_the_contract(universe: tuple[Path, list[MarketKey]]) -> None:
    directory, keys = universe
    assert len(keys) == len(set(keys)) == 40
    names = sorted(p.name for p in directory.iterdir() if p.name != DEMO_MARKER)
    assert all(NAME.match(n) for n in names), names
    ltf = {n for n in names if n.endswith("_15m.json")}
    assert ltf == {f"{k.exchange}_{k.symbol}_15m.json" for k in keys}
    assert all(n.replace("_4h.", "_15m.") in ltf for n in names if n.endswith("_4h.json"))
    assert all(parse_local_symbol(k.symbol).quote == "USDT" for k in keys)


def test_venue_and_coin_mix(universe: tuple[Path, list[MarketKey]]) -> None:
    directory, keys = universe
    assert {k.exchange for k in keys} == set(VENUES)
    symbols = {(k.exchange, k.symbol) for k in keys}
    for wanted in [
        ("BINANCE", "BTCUSDT"),
        ("BINANCE", "1000PEPEUSDT"),
        ("HYPERLIQUID", "kPEPEUSDT"),
        ("KUCOIN", "XBTUSDTM"),
        ("MEXC", "QPDEMOUSDT"),
        ("BITGET", "ZZNOWHEREUSDT"),
    ]:
        assert wanted in symbols
    without_htf = [k for k in keys if not (directory / f"{k.exchange}_{k.symbol}_4h.json").exists()]
    assert 2 <= len(without_htf) <= 8
    btc = _rows(directory / "BINANCE_BTCUSDT_15m.json")[-1]["close"]
    pepe = _rows(directory / "MEXC_PEPEUSDT_15m.json")[-1]["close"]
    kpepe = _rows(directory / "HYPERLIQUID_kPEPEUSDT_15m.json")[-1]["close"]
    assert 60_000 < btc < 130_000 and 1e-6 < pepe < 1e-4
    assert kpepe / pepe == pytest.approx(1000, rel=0.01)


@pytest.mark.parametrize("timeframe", ["15m", "4h"])
def test_candles_are_valid_aligned_and_end_forming(
    universe: tuple[Path, list[MarketKey]], timeframe: str
) -> None:
    directory, _ = universe
    step = TIMEFRAME_MS[timeframe]
    files = sorted(directory.glob(f"*_{timeframe}.json"))
    assert files
    for path in files:
        rows = _rows(path)
        assert all(list(r) == ["time", "open", "high", "low", "close", "volume"] for r in rows)
        t = np.array([r["time"] for r in rows], dtype=np.int64)
        o, h, lo, c, v = (np.array([r[k] for r in rows], dtype=np.float64) for k in list(rows[0])[1:])
        assert (h >= np.maximum(o, c)).all() and (np.minimum(o, c) >= lo).all() and (lo > 0).all(), path
        assert (v >= 0).all()
        assert (np.diff(t) == step).all() and (t % step == 0).all(), path
        assert t[-1] <= NOW_MS < t[-1] + step  # the last candle is still forming
        assert t[-2] + step <= NOW_MS  # the one before is closed and current
        has_htf = path.with_name(path.name.replace("_15m.", "_4h.")).exists()
        minimum = {"4h": 250, "15m": 300 if has_htf else 250 * 16}[timeframe]
        assert len(rows) >= minimum, path


def test_four_hour_candles_aggregate_their_fifteen_minute_ones(
    universe: tuple[Path, list[MarketKey]],
) -> None:
    directory, _ = universe
    ltf = _rows(directory / "OKX_LINKUSDT_15m.json")
    htf = {r["time"]: r for r in _rows(directory / "OKX_LINKUSDT_4h.json")}
    buckets: dict[int, list[dict[str, Any]]] = {}
    for row in ltf:
        buckets.setdefault(row["time"] // HTF_MS * HTF_MS, []).append(row)
    complete = [(start, rows) for start, rows in buckets.items() if len(rows) == HTF_MS // LTF_MS]
    assert len(complete) >= 20
    for start, rows in complete:
        bar = htf[start]
        assert bar["open"] == rows[0]["open"] and bar["close"] == rows[-1]["close"]
        assert bar["high"] == max(r["high"] for r in rows) and bar["low"] == min(r["low"] for r in rows)
        assert bar["volume"] == pytest.approx(sum(r["volume"] for r in rows), rel=1e-6)


def test_market_count_is_honoured(tmp_path: Path) -> None:
    few = generate_demo_universe(tmp_path / "few", markets=5, now_ms=NOW_MS)
    assert few == [MarketKey(m.exchange, m.symbol) for m in demo_markets(5)]
    assert len({k.exchange for k in few}) == 5  # venues interleaved
    many = demo_markets(70)
    assert len({(m.exchange, m.symbol) for m in many}) == 70
    assert all(m.symbol.endswith("USDTM") for m in many if m.exchange == "KUCOIN")
    assert len({(m.exchange, m.symbol) for m in demo_markets(MAX_MARKETS)}) == MAX_MARKETS
    for bad in (0, MAX_MARKETS + 1):
        with pytest.raises(ValueError, match=f"1 to {MAX_MARKETS} markets"):
            generate_demo_universe(tmp_path / "none", markets=bad, now_ms=NOW_MS)


def test_scanner_loads_every_market_fresh(universe: tuple[Path, list[MarketKey]]) -> None:
    directory, keys = universe
    loaded = load_markets(directory, now_ms=NOW_MS)
    assert loaded.skipped == []
    assert {m.key for m in loaded.markets} == set(keys)
    assert not any(m.stale for m in loaded.markets)
    last_closed = NOW_MS // LTF_MS * LTF_MS - LTF_MS
    assert all(int(m.ltf.time[-1]) == last_closed for m in loaded.markets)  # forming candle dropped
    assert sum(m.htf_resampled for m in loaded.markets) >= 2


def test_demo_has_actionable_longs_and_shorts(universe: tuple[Path, list[MarketKey]]) -> None:
    """The breakout and trend scenarios give the demo something to show, with neutral data."""
    directory, _ = universe
    factory = FeatureFactory()
    actions: dict[str, set[str]] = {}
    for market in load_markets(directory, now_ms=NOW_MS).markets:
        context = factory.context_for(
            market.key.symbol,
            market.key.exchange,
            market.candles,
            neutral_market_data(),
            scan_time_ms=NOW_MS,
        )
        for strategy in get_strategies("all"):
            actions.setdefault(strategy.name, set()).add(run_strategy(strategy, context).action.value)
    assert {"LONG", "SHORT"} <= actions["BreakoutV2"]
    assert "LONG" in actions["Breakout"]
    assert {"LONG", "SHORT"} <= actions["Legacy"]
    assert all("WAIT" in seen for seen in actions.values())
