"""The real January 2026 sample (../shared/data): every market loads; torn files are skipped by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from quantpro import candles as candle_ops
from quantpro.analysis.features import FeatureFactory
from quantpro.store import markets as md

pytestmark = pytest.mark.realdata

REAL_CANDLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "quantopro-2026-01" / "candles"

#: Just after the newest candle opened (2026-01-19 17:00 UTC): the sample's forming candles stay forming.
CAPTURE_MS = 1_768_842_349_064


@pytest.fixture(scope="module")
def loaded() -> md.LoadResult:
    if not REAL_CANDLES.is_dir():
        pytest.skip(f"real candle sample not present at {REAL_CANDLES}")
    return md.load_markets(REAL_CANDLES, now_ms=CAPTURE_MS)


def test_the_torn_files_of_the_original_dataset_are_absent(real_candles: Path) -> None:
    for name in ("KUCOIN_CAKEUSDTM_15m.json", "KUCOIN_CAKEUSDTM_4h.json", "KUCOIN_RUNEUSDTM_4h.json"):
        assert not (real_candles / name).exists()


def test_all_658_markets_load(loaded: md.LoadResult) -> None:
    assert len(loaded.markets) == 658
    keys = {(m.key.exchange, m.key.symbol) for m in loaded.markets}
    assert len(keys) == 658
    for market in loaded.markets:
        assert len(market.ltf) >= candle_ops.MIN_CANDLES
        assert (np.diff(market.ltf.time) > 0).all()
        assert int(market.ltf.time[-1]) + market.ltf.interval_ms <= CAPTURE_MS


def test_single_timeframe_markets(loaded: md.LoadResult) -> None:
    skipped = {s.file: s.reason for s in loaded.skipped}
    assert skipped["HYPERLIQUID_MKRUSDT_4h.json"] == "4h file without its 15m pair"
    resampled = {m.key.exchange + "_" + m.key.symbol for m in loaded.markets if m.htf_resampled}
    assert {"MEXC_SSVUSDT", "MEXC_TLMUSDT", "KUCOIN_RUNEUSDTM"} <= resampled
    # a 4h file with too few candles is named, and its market scans on a resampled 4h
    for file, reason in skipped.items():
        if file != "HYPERLIQUID_MKRUSDT_4h.json":
            assert file.endswith("_4h.json") and "usable closed candles" in reason, (file, reason)
            assert file.removesuffix("_4h.json") in resampled


def test_a_torn_copy_of_a_real_file_is_skipped_with_its_byte(real_candles: Path, tmp_path: Path) -> None:
    source = real_candles / "HYPERLIQUID_BTCUSDT_15m.json"
    (tmp_path / "HYPERLIQUID_BTCUSDT_15m.json").write_bytes(source.read_bytes()[:20480])
    shutil.copy(real_candles / "HYPERLIQUID_ETHUSDT_15m.json", tmp_path)
    result = md.load_markets(tmp_path, now_ms=CAPTURE_MS)
    assert [m.key.symbol for m in result.markets] == ["ETHUSDT"]
    assert [(s.file, s.reason) for s in result.skipped] == [
        ("HYPERLIQUID_BTCUSDT_15m.json", "invalid JSON at byte 20480")
    ]


def test_contexts_build_for_real_markets(loaded: md.LoadResult) -> None:
    factory = FeatureFactory()
    for market in loaded.markets[::60]:
        ctx = factory.context_for(
            market.key.symbol, market.key.exchange, market.candles, None, scan_time_ms=CAPTURE_MS
        )
        assert len(ctx.ltf) == len(market.ltf) and len(ctx.htf) == len(market.htf)
        assert not np.isnan(ctx.ltf.rsi[-1])
