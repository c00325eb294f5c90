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
    side: str = "LONG", *, pullback_volume: tuple[float, float] = (600.0, 800.0)
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Legacy's textbook: a trending HTF (EMA 50 over 200, strong ADX) and, on the LTF, a 25-bar
    zigzag impulse (+0.9 % / −0.3 %, heavy volume on the bars with the trend) followed by a ~54 %
    zigzag pullback (−0.6 % / +0.25 %) on light volume: ``pullback_volume`` is the volume of its bars
    with and against the trend. Both timeframes end at the same price. Returns (ltf, htf)."""
    zigzag = [(1, step) for step in np.tile([0.012, 0.012, -0.006], 90)[:260]]
    impulse = [(1, (0.009, -0.003)[i % 2]) for i in range(25)]
    pullback = [(1, (-0.006, 0.0025)[i % 2]) for i in range(24)]
    close = path(100.0, *_mirror([(251, 0.0), *impulse, *pullback], side))
    with_trend = np.r_[False, np.diff(close) * (1.0 if side == "LONG" else -1.0) > 0]
    volume = np.full(close.size, 1000.0)
    volume[251:276] = np.where(with_trend[251:276], 3000.0, 1000.0)
    volume[276:] = np.where(with_trend[276:], *pullback_volume)
    htf = path(50.0, *_mirror(zigzag, side))
    return frame(close, M15, volume=volume, wick=0.001), frame(htf * close[-1] / htf[-1], H4, wick=0.003)


def trendline_htf(
    legs: int, down: tuple[int, float], up: tuple[int, float], fade: float, final: list[tuple[int, float]]
) -> pd.DataFrame:
    """An HTF whose RSI peaks above 70 after an eight-bar rally, then makes lower highs on one
    descending line while price pulls back in ``legs`` legs (``down`` bars and return, then ``up``,
    each up leg ``fade`` weaker than the last), then ends with ``final``."""
    segments = [(1, float(step)) for step in 0.003 * np.sin(np.arange(120) / 3.0)] + [(8, 0.02)]
    for leg in range(legs):
        segments += [down, (up[0], up[1] - leg * fade)]
    return frame(path(100.0, *segments, *final), H4, wick=0.003)


def breakout_htf(final: list[tuple[int, float]] | None = None) -> pd.DataFrame:
    """Breakout's textbook HTF: RSI's lower highs on one line (three touches) over six legs of a
    pullback, broken by a two-bar rally that ends on the last bar, with the rally's high still above."""
    return trendline_htf(6, (5, -0.008), (4, 0.01), 0.002, final or [(1, -0.008), (2, 0.02)])


def retest_htf() -> pd.DataFrame:
    """BreakoutV2's textbook HTF: the line broken by a two-bar rally, RSI back to the line over three
    bars, and a bounce on the last bar (a close retest)."""
    final = [(2, -0.006), (2, 0.015), (3, -0.015), (1, 0.01)]
    return trendline_htf(4, (4, -0.006), (4, 0.006), 0.002, final)


def rising_ltf(bars: int = 340, volume: np.ndarray | float = 1000.0, *, end: float = 100.0) -> pd.DataFrame:
    """An LTF that ends in 40 rising bars (OBV slope / mean volume = 1: the strongest agreement), its
    last close at ``end`` (the HTF's, so that both timeframes show one price)."""
    close = path(100.0, (bars - 40, 0.0), (40, 0.002)) * (1 + 0.001 * np.sin(np.arange(bars)))
    return frame(close * end / close[-1], M15, volume=volume)


def flat_ltf(bars: int = 400, price: float = 100.0) -> pd.DataFrame:
    """A quiet LTF ending at ``price``: a small sine wave, constant volume."""
    close = 1 + 0.002 * np.sin(np.arange(bars) / 5.0)
    return frame(price * close / close[-1], M15)


def ltf_for(htf: pd.DataFrame, bars: int = 340) -> pd.DataFrame:
    """The rising LTF of a textbook, ending at ``htf``'s last close."""
    return rising_ltf(bars, end=float(htf["close"].iloc[-1]))


def textbook_context(name: str, external: MarketData | None = None) -> SharedContext:
    """The textbook LONG of the strategy ``name`` (a registry name)."""
    if name == "Legacy":
        ltf, htf = textbook_pullback("LONG")
        return build_context(ltf, htf, external)
    htf = breakout_htf() if name == "Breakout" else retest_htf()
    return build_context(ltf_for(htf), htf, external)


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
