"""Technical indicators on float64 arrays, aligned row for row with their input.

Every function here returns an array as long as its input, with TA-Lib's warm-up rows left as NaN
(never dropped), so that an index into any output is a candle row. An indicator that needs more history
than the input has is all-NaN rather than an error: docs/design.md §4 wants such values to be null, and the
strategies answer WAIT on them. Inputs are never modified. The definitions and warm-up conventions are
written up in ``docs/indicators.md``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, NamedTuple

import numpy as np

from quantpro.models import FloatArray


def _import_talib() -> Any:
    """Import TA-Lib without letting it import pandas.

    TA-Lib's package init imports pandas (about 0.35 s) only to accept ``pandas.Series`` inputs,
    which QuantPro never passes: it hands TA-Lib float64 arrays. A scan pays that import on every
    run, so while TA-Lib initialises, pandas is marked unavailable. Whoever imports pandas later
    (the DataFrame API) gets it normally; if pandas is already loaded, nothing changes.
    """
    if "pandas" in sys.modules:
        import talib as loaded
    else:
        sys.modules["pandas"] = None  # type: ignore[assignment]
        try:
            import talib as loaded
        finally:
            del sys.modules["pandas"]
    return loaded


talib = _import_talib()

log = logging.getLogger(__name__)

RSI_PERIOD = 14
EMA_FAST = 50
EMA_SLOW = 200
ADX_PERIOD = 14
ATR_PERIOD = 14
BB_PERIOD = 20
BB_STD = 2.0
VOLUME_SMA_PERIOD = 20


class Bollinger(NamedTuple):
    upper: FloatArray
    middle: FloatArray
    lower: FloatArray


class Directional(NamedTuple):
    adx: FloatArray
    plus_di: FloatArray
    minus_di: FloatArray


def _f64(values: FloatArray) -> FloatArray:
    """A contiguous float64 view (or copy) that TA-Lib accepts; TA-Lib never writes into it."""
    return np.ascontiguousarray(values, dtype=np.float64)


def _nan_like(values: FloatArray) -> FloatArray:
    return np.full(values.shape[0], np.nan, dtype=np.float64)


def _enough(values: FloatArray, first_row: int) -> bool:
    """Whether the input reaches ``first_row``, the first row TA-Lib would fill."""
    return int(values.shape[0]) > first_row


def rsi(close: FloatArray, period: int = RSI_PERIOD) -> FloatArray:
    """RSI with Wilder smoothing; first value at row ``period``."""
    if not _enough(close, period):
        return _nan_like(close)
    return np.asarray(talib.RSI(_f64(close), timeperiod=period), dtype=np.float64)


def ema(close: FloatArray, period: int) -> FloatArray:
    """EMA with α = 2/(n+1), seeded by the SMA of the first ``period`` values (row ``period - 1``)."""
    if not _enough(close, period - 1):
        return _nan_like(close)
    return np.asarray(talib.EMA(_f64(close), timeperiod=period), dtype=np.float64)


def sma(values: FloatArray, period: int) -> FloatArray:
    """Simple moving average; first value at row ``period - 1``."""
    if not _enough(values, period - 1):
        return _nan_like(values)
    return np.asarray(talib.SMA(_f64(values), timeperiod=period), dtype=np.float64)


def atr(high: FloatArray, low: FloatArray, close: FloatArray, period: int = ATR_PERIOD) -> FloatArray:
    """Average true range, Wilder smoothing; first value at row ``period``."""
    if not _enough(close, period):
        return _nan_like(close)
    return np.asarray(talib.ATR(_f64(high), _f64(low), _f64(close), timeperiod=period), dtype=np.float64)


def directional(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int = ADX_PERIOD
) -> Directional:
    """ADX with +DI/−DI. The DIs start at row ``period``, the ADX at row ``2·period − 1``."""
    h, lo, c = _f64(high), _f64(low), _f64(close)
    if not _enough(close, period):
        return Directional(_nan_like(close), _nan_like(close), _nan_like(close))
    adx_values = talib.ADX(h, lo, c, timeperiod=period) if _enough(close, 2 * period - 1) else None
    return Directional(
        adx=_nan_like(close) if adx_values is None else np.asarray(adx_values, dtype=np.float64),
        plus_di=np.asarray(talib.PLUS_DI(h, lo, c, timeperiod=period), dtype=np.float64),
        minus_di=np.asarray(talib.MINUS_DI(h, lo, c, timeperiod=period), dtype=np.float64),
    )


def bollinger(close: FloatArray, period: int = BB_PERIOD, nstd: float = BB_STD) -> Bollinger:
    """Bollinger bands: SMA ± ``nstd`` population standard deviations; first row ``period - 1``."""
    if not _enough(close, period - 1):
        return Bollinger(_nan_like(close), _nan_like(close), _nan_like(close))
    # TA-Lib's default matype is the SMA, and its deviation is the population one (divides by n).
    upper, middle, lower = talib.BBANDS(_f64(close), timeperiod=period, nbdevup=nstd, nbdevdn=nstd)
    return Bollinger(
        np.asarray(upper, dtype=np.float64),
        np.asarray(middle, dtype=np.float64),
        np.asarray(lower, dtype=np.float64),
    )


def obv(close: FloatArray, volume: FloatArray) -> FloatArray:
    """On-balance volume, TA-Lib's convention: row 0 is ``volume[0]``, then ± volume by close direction."""
    if close.shape[0] == 0:
        return _nan_like(close)
    return np.asarray(talib.OBV(_f64(close), _f64(volume)), dtype=np.float64)
