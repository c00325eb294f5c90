"""Synthetic candle builders and hand-built contexts for the strategy tests.

Two kinds of context:
- ``build_context``: real candles through the real ``FeatureFactory`` (TA-Lib indicators) — used for
  textbook setups, neutral contexts and contract tests;
- ``features_with_rsi``: a ``TimeframeFeatures`` whose RSI is dictated (prices and ATR simple), for
  rule tests that need an exact RSI shape (a trendline break on a given row, a retest, a fakeout).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from quantpro.analysis.features import FeatureFactory, SharedContext, TimeframeFeatures
from quantpro.models import Candles, MarketData, neutral_market_data

M15 = 900_000
H4 = 14_400_000
END_MS = 1_768_000_000_000 - (1_768_000_000_000 % H4)  # a 4h boundary: both timeframes end here


def path(start: float, *segments: tuple[int, float]) -> np.ndarray:
    """Closes from ``start`` through segments of (bars, return per bar)."""
    returns = np.concatenate([np.full(bars, step) for bars, step in segments])
    return start * np.cumprod(1.0 + returns)


def frame(
    close: np.ndarray,
    interval_ms: int,
    *,
    volume: np.ndarray | float = 1_000.0,
    wick: float = 0.002,
    end_ms: int = END_MS,
) -> pd.DataFrame:
    """Candles whose open is the previous close, wicks ``wick`` × price beyond the body, ending at
    ``end_ms`` (the last candle closes there)."""
    close = np.asarray(close, dtype=np.float64)
    n = close.size
    opens = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(opens, close) * (1 + wick)
    low = np.minimum(opens, close) * (1 - wick)
    time = end_ms - interval_ms * np.arange(n, 0, -1, dtype=np.int64)
    vol = np.broadcast_to(np.asarray(volume, dtype=np.float64), (n,)).copy()
    return pd.DataFrame(
        {"time": time, "open": opens, "high": high, "low": low, "close": close, "volume": vol}
    )


def build_context(
    ltf: pd.DataFrame,
    htf: pd.DataFrame | None = None,
    external: MarketData | None = None,
    *,
    scan_time_ms: int = END_MS,
) -> SharedContext:
    """A context through the real FeatureFactory (15m / 4h), everything closed at ``scan_time_ms``."""
    data = external if external is not None else neutral_market_data()
    return FeatureFactory().build_context(
        "TESTUSDT", "BINANCE", ltf, htf, external_data=data, scan_time_ms=scan_time_ms
    )


def flat_ltf(bars: int = 400, price: float = 100.0) -> pd.DataFrame:
    """A quiet LTF: a small sine wave, constant volume."""
    close = price * (1 + 0.002 * np.sin(np.arange(bars) / 5.0))
    return frame(close, M15)


def features_with_rsi(
    rsi: np.ndarray, *, close: np.ndarray | None = None, atr: float = 1.0, timeframe: str = "4h"
) -> TimeframeFeatures:
    """A timeframe whose RSI is ``rsi`` exactly; prices default to a flat 100 with ±0.5 wicks."""
    n = rsi.size
    close = np.full(n, 100.0) if close is None else np.asarray(close, dtype=np.float64)
    interval = {"4h": H4, "15m": M15}[timeframe]
    candles = Candles(
        timeframe=timeframe,
        time=END_MS - interval * np.arange(n, 0, -1, dtype=np.int64),
        open=close.copy(),
        high=close + 0.5,
        low=close - 0.5,
        close=close,
        volume=np.full(n, 1_000.0),
    )
    nan = np.full(n, np.nan)
    return TimeframeFeatures(
        candles=candles,
        rsi=np.asarray(rsi, dtype=np.float64),
        ema50=nan,
        ema200=nan,
        adx=nan,
        plus_di=nan,
        minus_di=nan,
        atr=np.full(n, atr),
        bb_upper=nan,
        bb_middle=nan,
        bb_lower=nan,
        obv=np.cumsum(np.full(n, 1_000.0)),
        volume_sma=nan,
    )


def with_htf(context: SharedContext, htf: TimeframeFeatures) -> SharedContext:
    """The same market with a hand-built HTF (a new context; the original is untouched)."""
    return replace(context, htf=htf)


# --- textbook setups, each built from real candles through the FeatureFactory ---------------------


def _mirror(segments: list[tuple[int, float]], side: str) -> list[tuple[int, float]]:
    return segments if side == "LONG" else [(bars, -step) for bars, step in segments]


def textbook_pullback(
    side: str = "LONG", *, pullback_volume: float = 800.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Legacy's textbook: a trending HTF (EMA 50 over 200, strong ADX) and, on the LTF, a 25-bar impulse
    on heavy volume followed by a ~54 % pullback on light volume. Returns (ltf, htf)."""
    zigzag = [(1, step) for step in np.tile([0.012, 0.012, -0.006], 90)[:260]]
    htf = frame(path(50.0, *_mirror(zigzag, side)), H4, wick=0.003)
    close = path(100.0, *_mirror([(251, 0.0), (25, 0.004), (24, -0.0022)], side))
    close = close * (1 + 0.0005 * np.sin(np.arange(close.size)))
    volume = np.concatenate([np.full(251, 1000.0), np.full(25, 3000.0), np.full(24, pullback_volume)])
    return frame(close, M15, volume=volume, wick=0.001), htf


def breakout_htf(final: list[tuple[int, float]] | None = None) -> pd.DataFrame:
    """An HTF whose RSI peaks above 70, then makes four lower highs on one descending line (4 touches),
    then — by default — breaks it with a two-bar rally one bar before the end."""
    segments = [(1, float(step)) for step in 0.003 * np.sin(np.arange(120) / 3.0)] + [(8, 0.02)]
    for leg in range(4):
        segments += [(5, -0.006), (3, 0.008 - leg * 0.002)]
    segments += final if final is not None else [(3, -0.006), (1, 0.03), (1, 0.02)]
    return frame(path(100.0, *segments), H4, wick=0.003)


def rising_ltf(bars: int = 340, volume: np.ndarray | float = 1000.0) -> pd.DataFrame:
    """An LTF that ends in 40 rising bars (OBV slope / mean volume = 1: the strongest agreement)."""
    close = path(100.0, (bars - 40, 0.0), (40, 0.002)) * (1 + 0.001 * np.sin(np.arange(bars)))
    return frame(close, M15, volume=volume)


def textbook_context(name: str, external: MarketData | None = None) -> SharedContext:
    """The textbook LONG of the strategy ``name`` (a registry name)."""
    if name == "Legacy":
        ltf, htf = textbook_pullback("LONG")
        return build_context(ltf, htf, external)
    return build_context(rising_ltf(), breakout_htf(), external)


# --- dictated RSI shapes ----------------------------------------------------------------------------


def rsi_with_line(
    n: int = 100,
    *,
    anchor: int = 40,
    top: float = 80.0,
    slope: float = -0.25,
    touches: tuple[int, ...] = (60, 80),
    gap: float = 8.0,
    tail: dict[int, float] | None = None,
    warmup: int = 14,
) -> np.ndarray:
    """An RSI with one resistance line ``top + slope × (row − anchor)``: a pivot on it at ``anchor``
    and at each of ``touches``, every other row after the anchor ``gap`` below it; ``tail`` sets
    chosen rows to ``line + offset`` (a break, a retest, a fakeout). Rows before ``warmup`` are NaN,
    then a flat 50 rising into the anchor."""
    rows = np.arange(n, dtype=np.float64)
    line = top + slope * (rows - anchor)
    rsi = np.full(n, 50.0)
    rsi[:warmup] = np.nan
    rsi[anchor - 4 : anchor] = [top - 25.0, top - 20.0, top - 15.0, top - 10.0]
    rsi[anchor:] = line[anchor:] - gap
    for row in (anchor, *touches):
        rsi[row] = line[row]
    for row, offset in (tail or {}).items():
        rsi[row] = line[row] + offset
    return rsi


def line_value(row: int, *, anchor: int = 40, top: float = 80.0, slope: float = -0.25) -> float:
    return top + slope * (row - anchor)
