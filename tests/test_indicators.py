"""Indicators: golden values from talipp (an independent implementation), hand-computed cases, properties.

Tolerances (see docs/indicators.md): RSI, EMA, SMA, Bollinger and OBV are the same recurrences with the
same seeds in both libraries and agree to 1e-9 relative on every row. ATR, +DI/−DI and ADX are seeded
differently (talipp counts row 0's high−low as a true range, TA-Lib does not), so they are compared only
from row 200 on, where Wilder smoothing (weight 13/14 per row) has shrunk the seed difference below
1e-6: ATR to 1e-6 relative, DI and ADX to 1e-3 RSI-style points.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantpro.analysis import indicators as ind
from quantpro.analysis.features import compute_features
from quantpro.models import Candles, FloatArray
from quantpro.store.candles import load_candle_file

talipp_ind = pytest.importorskip("talipp.indicators")
talipp_ohlcv = pytest.importorskip("talipp.ohlcv")

CONVERGED_ROW = 200
SCAN_MS = 1_768_842_349_064


def _candles(close: list[float], volume: list[float] | None = None) -> Candles:
    c = np.asarray(close, dtype=np.float64)
    v = np.asarray(volume if volume is not None else [1.0] * len(close), dtype=np.float64)
    t = np.arange(len(close), dtype=np.int64) * 900_000 + 1_767_225_600_000
    return Candles("15m", t, c.copy(), c * 1.01, c * 0.99, c.copy(), v)


def _nan_list(values: list[object]) -> FloatArray:
    return np.array([np.nan if x is None else x for x in values], dtype=np.float64)


def _first_valid(values: FloatArray) -> int:
    return int(np.flatnonzero(~np.isnan(values))[0])


# --------------------------------------------------------------------------- golden values (talipp)


@pytest.fixture(scope="module")
def btc_4h() -> Candles:
    path = (
        Path(__file__).resolve().parents[2]
        / "shared/data/quantopro-2026-01/candles/HYPERLIQUID_BTCUSDT_4h.json"
    )
    if not path.is_file():
        pytest.skip("real candle sample not present")
    candles, _ = load_candle_file(path, "4h", now_ms=SCAN_MS)
    assert len(candles) > 900
    return candles


def _ohlcv(c: Candles) -> list[object]:
    return [
        talipp_ohlcv.OHLCV(o, h, lo, cl, v)
        for o, h, lo, cl, v in zip(c.open, c.high, c.low, c.close, c.volume, strict=True)
    ]


def test_close_based_indicators_match_talipp_on_every_row(btc_4h: Candles) -> None:
    close = btc_4h.close.tolist()
    cases = {
        "rsi": (ind.rsi(btc_4h.close), talipp_ind.RSI(14, close)),
        "ema50": (ind.ema(btc_4h.close, 50), talipp_ind.EMA(50, close)),
        "ema200": (ind.ema(btc_4h.close, 200), talipp_ind.EMA(200, close)),
        "volume_sma": (ind.sma(btc_4h.volume, 20), talipp_ind.SMA(20, btc_4h.volume.tolist())),
        "bb_upper": (ind.bollinger(btc_4h.close).upper, [b and b.ub for b in talipp_ind.BB(20, 2, close)]),
        "bb_lower": (ind.bollinger(btc_4h.close).lower, [b and b.lb for b in talipp_ind.BB(20, 2, close)]),
        "obv": (ind.obv(btc_4h.close, btc_4h.volume), talipp_ind.OBV(_ohlcv(btc_4h))),
    }
    for name, (ours, golden) in cases.items():
        expected = _nan_list(list(golden))
        assert ours.shape == btc_4h.close.shape, name
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected), err_msg=name)
        np.testing.assert_allclose(ours, expected, rtol=1e-9, equal_nan=True, err_msg=name)


def test_wilder_indicators_match_talipp_after_convergence(btc_4h: Candles) -> None:
    rows = slice(CONVERGED_ROW, None)
    adx = list(talipp_ind.ADX(14, 14, _ohlcv(btc_4h)))
    dmi = ind.directional(btc_4h.high, btc_4h.low, btc_4h.close)
    for name, ours, field in (
        ("adx", dmi.adx, "adx"),
        ("plus_di", dmi.plus_di, "plus_di"),
        ("minus_di", dmi.minus_di, "minus_di"),
    ):
        golden = _nan_list([getattr(x, field) if x is not None else None for x in adx])
        np.testing.assert_allclose(ours[rows], golden[rows], atol=1e-3, rtol=0, err_msg=name)
    golden_atr = _nan_list(list(talipp_ind.ATR(14, _ohlcv(btc_4h))))
    ours_atr = ind.atr(btc_4h.high, btc_4h.low, btc_4h.close)
    np.testing.assert_allclose(ours_atr[rows], golden_atr[rows], rtol=1e-6)


def test_warm_up_rows_follow_talib_conventions(btc_4h: Candles) -> None:
    f = compute_features(btc_4h)
    assert _first_valid(f.rsi) == 14
    assert _first_valid(f.ema50) == 49
    assert _first_valid(f.ema200) == 199
    assert _first_valid(f.atr) == 14
    assert _first_valid(f.plus_di) == 14
    assert _first_valid(f.adx) == 27  # 2n − 1
    assert _first_valid(f.bb_middle) == 19
    assert _first_valid(f.volume_sma) == 19
    assert _first_valid(f.obv) == 0
    # EMA is seeded by the SMA of the first n closes.
    assert f.ema50[49] == pytest.approx(float(np.mean(btc_4h.close[:50])), rel=1e-12)


# --------------------------------------------------------------------------- hand-computed cases


def test_obv_by_hand() -> None:
    close = np.array([10.0, 11.0, 11.0, 9.0, 12.0])
    volume = np.array([5.0, 3.0, 7.0, 2.0, 4.0])
    # row 0 = volume[0]; up: +v, flat: 0, down: −v
    np.testing.assert_array_equal(ind.obv(close, volume), [5.0, 8.0, 8.0, 6.0, 10.0])


def test_sma_and_bollinger_by_hand() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(ind.sma(values, 3), [np.nan, np.nan, 2.0, 3.0, 4.0], equal_nan=True)
    bands = ind.bollinger(values, period=5, nstd=2.0)
    std = np.sqrt(2.0)  # population std of 1..5
    assert bands.middle[4] == pytest.approx(3.0)
    assert bands.upper[4] == pytest.approx(3.0 + 2 * std)
    assert bands.lower[4] == pytest.approx(3.0 - 2 * std)


def test_rsi_is_100_on_a_rising_series_and_ema_of_constant_is_constant() -> None:
    rising = np.arange(1.0, 31.0)
    assert ind.rsi(rising)[14:] == pytest.approx(np.full(16, 100.0))
    assert ind.ema(np.full(60, 7.0), 50)[49:] == pytest.approx(np.full(11, 7.0))


def test_too_short_history_is_all_nan() -> None:
    f = compute_features(_candles([100.0 + i for i in range(120)]))
    assert np.isnan(f.ema200).all()
    assert not np.isnan(f.ema50).all()
    empty = compute_features(_candles([]))
    assert len(empty) == 0 and empty.rsi.shape == (0,) and empty.obv.shape == (0,)
    tiny = compute_features(_candles([1.0, 2.0, 3.0]))
    assert np.isnan(tiny.adx).all() and np.isnan(tiny.rsi).all() and tiny.obv.shape == (3,)


# --------------------------------------------------------------------------- properties

_prices = st.lists(st.floats(min_value=0.01, max_value=1e6, allow_nan=False), min_size=0, max_size=300)


@settings(max_examples=40, deadline=None)
@given(_prices)
def test_outputs_align_with_inputs_and_never_mutate_them(close: list[float]) -> None:
    candles = _candles(close, [abs(x) % 97 for x in close])
    before = {name: getattr(candles, name).copy() for name in ("open", "high", "low", "close", "volume")}
    features = compute_features(candles)
    for name in (
        "rsi", "ema50", "ema200", "adx", "plus_di", "minus_di", "atr",
        "bb_upper", "bb_middle", "bb_lower", "obv", "volume_sma",
    ):  # fmt: skip
        out = getattr(features, name)
        assert out.shape == (len(close),), name
        assert out.dtype == np.float64, name
    for name, array in before.items():
        np.testing.assert_array_equal(getattr(candles, name), array)


@settings(max_examples=40, deadline=None)
@given(_prices)
def test_valid_rows_are_a_suffix(close: list[float]) -> None:
    """Warm-up NaNs only at the start: an index into any output is a candle row."""
    values = ind.rsi(np.asarray(close, dtype=np.float64))
    valid = ~np.isnan(values)
    if valid.any():
        assert valid[_first_valid(values) :].all()
