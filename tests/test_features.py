"""FeatureFactory.build_context: both input forms agree, HTF resampling, external data, no mutation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantpro.analysis.features import FeatureFactory, SharedContext, TimeframeFeatures
from quantpro.candles import candles_to_frame, prepare_market
from quantpro.clock import FakeClock
from quantpro.errors import QuantProError
from quantpro.models import Candles, MarketData, neutral_market_data

START = 1_767_225_600_000  # 2026-01-01 00:00 UTC, a multiple of 4 h
STEP = 900_000
N = 400
SCAN = START + N * STEP  # every candle closed, the last one just now
ARRAYS = (
    "rsi", "ema50", "ema200", "adx", "plus_di", "minus_di", "atr",
    "bb_upper", "bb_middle", "bb_lower", "obv", "volume_sma",
)  # fmt: skip


def _ltf(n: int = N) -> Candles:
    rng = np.random.default_rng(7)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) + 0.5
    low = np.minimum(open_, close) - 0.5
    time = START + np.arange(n, dtype=np.int64) * STEP
    return Candles("15m", time, open_, high, low, close, rng.uniform(1, 10, n))


def _assert_same_features(a: TimeframeFeatures, b: TimeframeFeatures) -> None:
    np.testing.assert_array_equal(a.candles.time, b.candles.time)
    np.testing.assert_array_equal(a.candles.close, b.candles.close)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_dataframe_and_candles_give_the_same_context() -> None:
    factory = FeatureFactory()
    ltf = _ltf()
    from_candles = factory.build_context("BTCUSDT", "MEXC", ltf, None, scan_time_ms=SCAN)
    frame = candles_to_frame(ltf)
    from_frame = factory.build_context("BTCUSDT", "MEXC", frame, None, scan_time_ms=SCAN)
    _assert_same_features(from_candles.ltf, from_frame.ltf)
    _assert_same_features(from_candles.htf, from_frame.htf)
    assert isinstance(from_frame, SharedContext)


def test_datetime_time_column_is_read_as_utc() -> None:
    ltf = _ltf()
    frame = candles_to_frame(ltf)
    frame["time"] = pd.to_datetime(frame["time"], unit="ms", utc=True)
    ctx = FeatureFactory().build_context("X", "MEXC", frame, None, scan_time_ms=SCAN)
    np.testing.assert_array_equal(ctx.ltf.candles.time, ltf.time)
    naive = frame.assign(time=frame["time"].dt.tz_convert(None))
    ctx = FeatureFactory().build_context("X", "MEXC", naive, None, scan_time_ms=SCAN)
    np.testing.assert_array_equal(ctx.ltf.candles.time, ltf.time)


def test_htf_none_resamples_and_says_so() -> None:
    ctx = FeatureFactory().build_context("X", "MEXC", _ltf(), None, scan_time_ms=SCAN)
    assert ctx.htf_resampled is True
    assert ctx.htf.candles.timeframe == "4h"
    assert len(ctx.htf) == N // 16
    assert (ctx.htf.candles.time % 14_400_000 == 0).all()


def test_given_htf_is_used_and_not_flagged() -> None:
    ltf = _ltf()
    factory = FeatureFactory()
    htf = factory.build_context("X", "MEXC", ltf, None, scan_time_ms=SCAN).htf.candles
    ctx = factory.build_context("X", "MEXC", ltf, htf, scan_time_ms=SCAN)
    assert ctx.htf_resampled is False
    np.testing.assert_array_equal(ctx.htf.candles.close, htf.close)
    resampled = prepare_market(ltf, None, "4h", now_ms=SCAN)
    assert factory.context_for("X", "MEXC", resampled, None, scan_time_ms=SCAN).htf_resampled


def test_forming_candle_is_not_used() -> None:
    ltf = _ltf()
    scan = int(ltf.time[-1]) + STEP // 2  # the last candle is still forming
    ctx = FeatureFactory().build_context("X", "MEXC", ltf, None, scan_time_ms=scan)
    assert len(ctx.ltf) == N - 1
    assert int(ctx.ltf.candles.time[-1]) == int(ltf.time[-2])
    assert ctx.stale is False


def test_stale_is_decided_once_by_the_prepared_candles() -> None:
    late = SCAN + 5 * STEP
    factory = FeatureFactory()
    assert factory.build_context("X", "MEXC", _ltf(), None, scan_time_ms=late).stale is True
    fresh = prepare_market(_ltf(), None, "4h", now_ms=SCAN)
    assert factory.context_for("X", "MEXC", fresh, None, scan_time_ms=late).stale is False
    assert factory.build_context("X", "MEXC", _ltf(), None, scan_time_ms=SCAN + 4 * STEP).stale is False


def test_scan_time_defaults_to_the_clock() -> None:
    clock = FakeClock(start=SCAN / 1000)
    ctx = FeatureFactory(clock=clock).build_context("X", "MEXC", _ltf())
    assert ctx.scan_time_ms == SCAN
    assert len(ctx.ltf) == N


def test_external_data_given_wins_over_the_data_source() -> None:
    calls: list[tuple[str, str]] = []

    def source(symbol: str, exchange: str) -> MarketData:
        calls.append((symbol, exchange))
        data = neutral_market_data("from source")
        data["funding_rate"] = 0.01
        return data

    factory = FeatureFactory(data_source=source)
    given = neutral_market_data("given")
    assert (
        factory.build_context("X", "MEXC", _ltf(), external_data=given, scan_time_ms=SCAN).external_data
        is given
    )
    assert calls == []
    ctx = factory.build_context("BTCUSDT", "MEXC", _ltf(), scan_time_ms=SCAN)
    assert calls == [("BTCUSDT", "MEXC")]
    assert ctx.external_data["funding_rate"] == 0.01


def test_no_external_data_and_no_source_is_neutral() -> None:
    ctx = FeatureFactory().build_context("X", "MEXC", _ltf(), scan_time_ms=SCAN)
    assert ctx.external_data["oi_status"] == "neutral"
    assert ctx.external_data["oi_metadata"]["reason"] == "no external data"


def test_failing_data_source_degrades_to_neutral() -> None:
    def source(symbol: str, exchange: str) -> MarketData:
        raise QuantProError("boom")

    ctx = FeatureFactory(data_source=source).build_context("X", "MEXC", _ltf(), scan_time_ms=SCAN)
    assert ctx.external_data["oi_status"] == "neutral"
    assert ctx.external_data["oi_metadata"]["degraded"] is True


def test_inputs_are_not_mutated() -> None:
    ltf = _ltf()
    frame = candles_to_frame(ltf)
    # an unsorted, duplicated frame forces the repairs onto copies
    messy = pd.concat([frame.iloc[::-1], frame.iloc[[5]]], ignore_index=True)
    messy_before = messy.copy(deep=True)
    arrays_before = {c: getattr(ltf, c).copy() for c in ("time", "open", "high", "low", "close", "volume")}
    factory = FeatureFactory()
    ctx = factory.build_context("X", "MEXC", messy, None, scan_time_ms=SCAN)
    factory.build_context("X", "MEXC", ltf, None, scan_time_ms=SCAN - STEP)
    pd.testing.assert_frame_equal(messy, messy_before)
    for name, before in arrays_before.items():
        np.testing.assert_array_equal(getattr(ltf, name), before)
    assert len(ctx.ltf) == N  # sorted and de-duplicated


def test_context_arrays_are_read_only() -> None:
    ltf = _ltf()
    ctx = FeatureFactory().build_context("X", "MEXC", ltf, None, scan_time_ms=SCAN)
    with pytest.raises(ValueError):
        ctx.ltf.candles.close[0] = 0.0
    with pytest.raises(ValueError):
        ctx.ltf.rsi[-1] = 0.0
    assert ltf.close.flags.writeable  # the caller's own arrays stay writable


def test_wrong_timeframe_candles_are_refused() -> None:
    with pytest.raises(ValueError, match="expected 4h"):
        FeatureFactory().build_context("X", "MEXC", _ltf(), _ltf(), scan_time_ms=SCAN)
    with pytest.raises(ValueError, match="unknown"):
        FeatureFactory(htf_timeframe="7h")
