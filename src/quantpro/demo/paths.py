"""The demo's price paths: one 4h path per coin by scenario (trend, range, breakout), the breakouts
designed through RSI and inverted into closes by Wilder's recursion (see :mod:`quantpro.demo.universe`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np

from quantpro.models import TIMEFRAME_MS, FloatArray

__all__ = ["HTF_BARS", "STEPS", "CoinPath", "DemoCoin", "Scenario", "coin_path", "rng_for"]

STEPS = TIMEFRAME_MS["4h"] // TIMEFRAME_MS["15m"]  # 15m candles in a 4h candle
HTF_BARS = 280  # 4h candles per coin path, the forming one included (EMA 200 needs ≥ 200 closed)
RSI_PERIOD = 14
BREAKOUT_BARS = 150  # the RSI-shaped stretch at the end of a breakout path

Scenario = Literal["trend_up", "trend_down", "range", "breakout_up", "breakout_down"]


@dataclass(frozen=True, slots=True)
class DemoCoin:
    name: str
    price: float  # USD per token at scan time, roughly
    scenario: Scenario
    sigma: float  # log-return standard deviation per 4h bar
    notional: float  # typical USD volume per 15m candle on the biggest venue


def rng_for(seed: int, *names: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(n.encode()) for n in names)])


def _trend(rng: np.random.Generator, coin: DemoCoin, sign: float) -> tuple[FloatArray, FloatArray]:
    """Log closes of a trend whose last closed bars are an impulse and a 30–60 % pullback.

    The impulse is the three bars before the last closed one (1.5 sigma each, on heavy volume); the
    last closed bar gives back 1.5 sigma and the forming one 0.1 more, on light volume. Whatever the
    time of day, the last 50 closed 15m candles then hold part of the impulse and the pullback.
    """
    returns = sign * 0.12 * coin.sigma + coin.sigma * rng.standard_normal(HTF_BARS)
    impulse = slice(HTF_BARS - 5, HTF_BARS - 2)
    returns[impulse] = sign * 1.5 * coin.sigma + 0.2 * coin.sigma * rng.standard_normal(3)
    returns[-2:] = -sign * np.array([1.5, 0.1]) * coin.sigma
    volume = np.ones(HTF_BARS)
    volume[impulse] = 1.6
    volume[-2:] = (0.6, 0.5)
    return np.cumsum(returns), volume


def _range(rng: np.random.Generator, coin: DemoCoin) -> tuple[FloatArray, FloatArray]:
    """Log closes mean-reverting around the level (an AR(1) with a slow swing)."""
    x = np.zeros(HTF_BARS)
    shocks = coin.sigma * rng.standard_normal(HTF_BARS)
    for i in range(1, HTF_BARS):
        x[i] = 0.92 * x[i - 1] + shocks[i]
    swing = 2.0 * coin.sigma * np.sin(np.arange(HTF_BARS) * 2 * np.pi / rng.uniform(40, 70))
    return x + swing, np.ones(HTF_BARS)


#: The breakout's RSI trend, by bars before the last closed bar: an overbought pivot at 75, a touch
#: at 57 and a lower pivot at 40 on one falling resistance line (77 → 66, three touches), RSI held
#: below it — in the 35–50 range after the last pivot, so price pulls back well below the pattern's
#: top — and the cross one bar ago, in two steady bars rather than one jump (a break a trader could
#: still enter, its stop and target within docs/design.md §12's bounds). Every leg is steep enough
#: (≥ 0.5 a bar) that the zigzag added on top makes no other high pivot that could anchor a rival line,
#: and RSI stays above 30, so no support line is anchored either.
_BREAKOUT_KNOTS: tuple[tuple[int, float], ...] = (
    (149, 47.0),
    (130, 57.0),
    (112, 45.0),
    (95, 55.0),
    (75, 77.0),
    (66, 58.0),
    (57, 77.0 - 11.0 * 18.0 / 35.0),
    (49, 49.0),
    (40, 66.0),
    (30, 34.0),
    (21, 39.0),
    (13, 33.0),
    (7, 39.0),
    (3, 50.0),
    (2, 52.0),
    (1, 57.0),
    (0, 61.5),
)
_LINE_PIVOTS = (75, 57, 40)  # knots that must be exact pivots


def _breakout_rsi(rng: np.random.Generator) -> FloatArray:
    """The target RSI of the last ``BREAKOUT_BARS`` closed bars.

    A bar-to-bar zigzag rides on the knots' trend: without it RSI would need ever smaller moves (a
    flat RSI means Wilder's averages decay) and the price would freeze. Alternating signs create no
    k = 3 pivot on a leg whose slope beats the amplitude jitter, so the trendlines stay as designed.
    """
    back = np.arange(BREAKOUT_BARS - 1, -1, -1, dtype=np.float64)
    t, r = zip(*sorted(_BREAKOUT_KNOTS), strict=True)
    trend = np.interp(back, np.array(t, dtype=np.float64), np.array(r, dtype=np.float64))
    zigzag = rng.uniform(1.6, 2.0, BREAKOUT_BARS) * np.where(np.arange(BREAKOUT_BARS) % 2 == 0, 1.0, -1.0)
    zigzag[-4:] = 0.0  # the break itself is exact
    for back_row in _LINE_PIVOTS:  # the line's pivots exact, their neighbours below them
        row = BREAKOUT_BARS - 1 - back_row
        zigzag[row] = 0.0
        zigzag[[row - 1, row + 1]] = -np.abs(zigzag[[row - 1, row + 1]])
    return trend + zigzag


def _wilder_state(closes: FloatArray) -> tuple[float, float]:
    """Wilder's average gain and loss after ``closes`` (seeded by the first 14 changes' mean)."""
    diff = np.diff(closes)
    gains, losses = np.maximum(diff, 0.0), np.maximum(-diff, 0.0)
    gain, loss = float(gains[:RSI_PERIOD].mean()), float(losses[:RSI_PERIOD].mean())
    for g, lo in zip(gains[RSI_PERIOD:], losses[RSI_PERIOD:], strict=True):
        gain = (gain * (RSI_PERIOD - 1) + g) / RSI_PERIOD
        loss = (loss * (RSI_PERIOD - 1) + lo) / RSI_PERIOD
    return gain, loss


def _closes_for_rsi(closes: FloatArray, targets: FloatArray) -> FloatArray:
    """Extend ``closes`` so that Wilder's RSI follows ``targets`` exactly (the recursion inverted)."""
    n = RSI_PERIOD
    gain, loss = _wilder_state(closes)
    out = [float(closes[-1])]
    for target in targets:
        rs = target / (100.0 - target)
        up = n * rs * loss * (n - 1) / n - (n - 1) * gain  # the rise giving RS exactly, if ≥ 0
        if up >= 0:
            change = up
            gain, loss = (gain * (n - 1) + up) / n, loss * (n - 1) / n
        else:
            new_gain = gain * (n - 1) / n
            change = -(n * new_gain / rs - (n - 1) * loss)
            gain, loss = new_gain, (loss * (n - 1) - change) / n
        out.append(out[-1] + change)
    return np.concatenate([closes, np.array(out[1:])])


def _breakout(rng: np.random.Generator, coin: DemoCoin, sign: float) -> tuple[FloatArray, FloatArray]:
    """Log closes whose RSI breaks a falling resistance (``sign`` > 0) or a rising support (< 0)."""
    pre = HTF_BARS - 1 - BREAKOUT_BARS
    walk = 100.0 + np.cumsum(rng.standard_normal(pre))
    targets = _breakout_rsi(rng)
    targets = targets if sign > 0 else 100.0 - targets
    closes = _closes_for_rsi(walk, targets)
    closes = np.append(closes, closes[-1] + sign * 0.3 * np.abs(np.diff(closes[-15:])).mean())
    # RSI ignores shifts and scales: set the level so one bar moves about ``sigma`` of the price.
    mean_move = float(np.abs(np.diff(closes)).mean())
    level = max(mean_move / coin.sigma, 1.3 * float(closes.mean() - closes.min()))
    logc = np.log(closes - closes.mean() + level)
    volume = np.ones(HTF_BARS)
    volume[-BREAKOUT_BARS - 1 : -3] = 0.8  # quiet while capped under the line
    volume[-3:] = (2.5, 2.8, 2.0)  # the break and the bar holding it, then the forming bar
    return logc, volume


def _coin_htf(rng: np.random.Generator, coin: DemoCoin) -> tuple[FloatArray, FloatArray, float]:
    """A coin's 4h log closes (ending at its price), volume multipliers and favoured direction."""
    match coin.scenario:
        case "trend_up":
            (logc, volume), flow = _trend(rng, coin, 1.0), 1.0
        case "trend_down":
            (logc, volume), flow = _trend(rng, coin, -1.0), -1.0
        case "range":
            (logc, volume), flow = _range(rng, coin), 0.0
        case "breakout_up":
            (logc, volume), flow = _breakout(rng, coin, 1.0), 1.0
        case "breakout_down":
            (logc, volume), flow = _breakout(rng, coin, -1.0), -1.0
        case _:
            raise ValueError(f"unknown scenario {coin.scenario!r}")
    return logc - logc[-1] + np.log(coin.price), volume, flow


@dataclass(frozen=True)
class CoinPath:
    """A coin's 15m path for all ``HTF_BARS`` 4h bars, shape (HTF_BARS, STEPS)."""

    close: FloatArray  # log closes
    open: FloatArray
    high: FloatArray  # log
    low: FloatArray
    volume: FloatArray  # USD


def coin_path(seed: int, coin: DemoCoin) -> CoinPath:
    """The 15m candles bridged between the 4h closes (a Brownian bridge per 4h bar, in log space)."""
    rng = rng_for(seed, coin.name)
    logc, bar_volume, flow = _coin_htf(rng, coin)
    step_sigma = 0.8 * coin.sigma / np.sqrt(STEPS)
    walk = np.cumsum(step_sigma * rng.standard_normal((HTF_BARS, STEPS)), axis=1)
    frac = np.arange(1, STEPS + 1) / STEPS
    prev = np.concatenate([[logc[0] - coin.sigma * rng.standard_normal()], logc[:-1]])
    close = prev[:, None] + frac * (logc - prev)[:, None] + walk - frac * walk[:, -1:]
    flat = close.ravel()
    opened = np.concatenate([[prev[0]], flat[:-1]]).reshape(close.shape)
    wick = np.abs(rng.normal(0.0, 0.6 * step_sigma, (2, HTF_BARS, STEPS)))
    high = np.maximum(opened, close) + wick[0]
    low = np.minimum(opened, close) - wick[1]
    move = np.clip(np.abs(close - opened) / step_sigma, 0.0, 4.0)
    favoured = np.where(np.sign(close - opened) == flow, 1.4, 1.0) if flow else 1.0
    noise = np.exp(rng.normal(0.0, 0.35, close.shape))
    volume = coin.notional * noise * (0.6 + 0.4 * move) * bar_volume[:, None] * favoured
    return CoinPath(close=close, open=opened, high=high, low=low, volume=volume)
