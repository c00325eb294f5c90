"""Scoring helpers shared by the three strategies: results, setups, readings, crossings, OBV, divergence.

Sides are ``"LONG"``/``"SHORT"`` strings; ``sign(side)`` turns one into +1/−1 so every rule is written
once for both sides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from quantpro.analysis.derivatives import DerivativesComponent, Side
from quantpro.analysis.features import SharedContext, TimeframeFeatures
from quantpro.analysis.trendlines import Trendline, find_pivots
from quantpro.models import Action, Bias, FloatArray, IntArray, Setup, StrategyResult
from quantpro.strategies.base import ACTION_THRESHOLD
from quantpro.strategies.plan import current_price

DivergenceKind = Literal["regular", "hidden"]


@dataclass(frozen=True)
class Break:
    """A trendline crossing at candle ``row`` of the HTF."""

    line: Trendline
    row: int

    @property
    def side(self) -> Side:
        return side_of(self.line)


#: Both trendline strategies need this much HTF history (RSI warm-up plus room for a line).
MIN_HTF_BARS = 50


def sign(side: Side) -> float:
    return 1.0 if side == "LONG" else -1.0


def value_at(values: FloatArray, row: int) -> float | None:
    """``values[row]`` as a float, or None when out of range or NaN (an indicator still warming up)."""
    if not -len(values) <= row < len(values):
        return None
    number = float(values[row])
    return number if math.isfinite(number) else None


def readings(tf: TimeframeFeatures) -> dict[str, Any]:
    """The key readings of a timeframe's last closed candle, for the feed's ``htf``/``ltf`` objects."""
    fields = ("rsi", "ema50", "ema200", "adx", "atr")
    out: dict[str, Any] = {name: _rounded(value_at(getattr(tf, name), -1)) for name in fields}
    out["close"] = value_at(tf.candles.close, -1)
    out["time"] = int(tf.candles.time[-1]) if len(tf) else None
    out["candles"] = len(tf)
    return out


def _rounded(value: float | None, digits: int = 6) -> float | None:
    """``value`` to ``digits`` significant digits: an ATR of 1.2e-7 on a 5e-6 coin must not read 0."""
    return None if value is None else float(f"{value:.{digits}g}")


def wait(reason: str, *, bias: Bias = Bias.NONE, score: float = 0.0, **extra: Any) -> StrategyResult:
    """A WAIT with its reason; ``extra`` fills the other result fields (details, htf, …)."""
    return StrategyResult(action=Action.WAIT, bias=bias, score=score, reason=reason, **extra)


def derivatives_points(derivatives: DerivativesComponent, side: Side) -> dict[str, float]:
    """The derivatives component's entries in a ``score_composition`` (OI score, then adjustments)."""
    points = {"derivatives_oi": derivatives.oi_score}
    for name, value in derivatives.adjustments(side).items():
        points[f"derivatives_{name}"] = value
    return points


def make_setup(side: Side, context: SharedContext, sl: float, tp: float | None) -> Setup | str:
    """The plan entered at the current price (docs/design.md §12), or why there is none.

    ``tp=None`` means the pattern has no target left beyond the price. Whether the plan is within the
    bounds — or the price already past its stop — is the wrapper's judgement
    (:func:`quantpro.strategies.plan.judge_plan`), made once for every strategy.
    """
    if tp is None:
        return "price already past the target: no swing of the pattern lies beyond it"
    entry = current_price(context)
    if not all(math.isfinite(value) for value in (entry, sl, tp)):
        return "setup prices are not finite"
    risk, reward = sign(side) * (entry - sl), sign(side) * (tp - entry)
    rr = reward / risk if risk > 0 and reward > 0 else 0.0
    return Setup(side=side, entry=entry, tp=tp, sl=sl, rr=round(rr, 4))


def decide(side: Side, setup: Setup | str, composition: dict[str, float], **extra: Any) -> StrategyResult:
    """LONG/SHORT when there is a plan and the score reaches 70; otherwise WAIT saying why (a WAIT
    below the threshold keeps its plan in ``plan``, for the backtest)."""
    score = round(sum(composition.values()), 4)
    bias = Bias(side)
    if isinstance(setup, str):
        return wait(setup, bias=bias, score=score, score_composition=composition, **extra)
    if score < ACTION_THRESHOLD:
        reason = f"score {score:.1f} below {ACTION_THRESHOLD:.0f}"
        return wait(reason, bias=bias, score=score, score_composition=composition, plan=setup, **extra)
    action = Action(side)
    return StrategyResult(
        action=action, bias=bias, score=score, setup=setup, plan=setup, score_composition=composition, **extra
    )


def structure_stop(
    tf: TimeframeFeatures,
    side: Side,
    first_row: int,
    price: float,
    atr: float,
    *,
    beyond_atr: float = 0.5,
    min_atr: float = 1.0,
) -> float:
    """A stop beyond structure and noise: ``beyond_atr`` ATR past the extreme of rows ``first_row…``
    (the swing the trade must not lose), and at least ``min_atr`` ATR from the price (outside the
    bars' own noise). A price already past that swing keeps the swing's stop: the wrapper refuses it."""
    window = slice(max(0, first_row), None)
    s = sign(side)
    extreme = float(tf.candles.low[window].min() if side == "LONG" else tf.candles.high[window].max())
    sl = extreme - s * beyond_atr * atr
    distance = s * (price - sl)
    if distance <= 0:
        return sl
    return price - s * max(distance, min_atr * atr)


def extreme_beyond(tf: TimeframeFeatures, side: Side, first_row: int, price: float) -> float | None:
    """The highest high (a LONG; the lowest low for a SHORT) of rows ``first_row…`` when it lies beyond
    the price — a level the market has already traded at, so a move can reach it — else ``None``."""
    window = slice(max(0, first_row), None)
    values = tf.candles.high[window] if side == "LONG" else tf.candles.low[window]
    if values.size == 0:
        return None
    extreme = float(values.max() if side == "LONG" else values.min())
    return extreme if sign(side) * (extreme - price) > 0 else None


def crossing_rows(rsi: FloatArray, line: Trendline, since: int) -> IntArray:
    """Rows ``r > since`` where RSI crosses the line in its breaking direction (up through resistance,
    down through support): at or beyond it at ``r`` and on the other side at ``r − 1``."""
    rows = np.arange(max(since + 1, 1), len(rsi), dtype=np.int64)
    if rows.size == 0:
        return rows
    direction = 1.0 if line.kind == "resistance" else -1.0
    now = direction * (rsi[rows] - line.values_at(rows))
    before = direction * (rsi[rows - 1] - line.values_at(rows - 1))
    return rows[(now > 0) & (before <= 0)]


def last_crossing(rsi: FloatArray, line: Trendline) -> int | None:
    """The most recent breaking crossing after the line's second pivot, or None."""
    rows = crossing_rows(rsi, line, line.end)
    return int(rows[-1]) if rows.size else None


def side_of(line: Trendline) -> Side:
    """Breaking resistance is a LONG, breaking support a SHORT."""
    return "LONG" if line.kind == "resistance" else "SHORT"


def past_line(rsi: FloatArray, line: Trendline, row: int) -> float:
    """How far RSI is beyond the line at ``row`` in the breaking direction (negative = not broken)."""
    direction = 1.0 if line.kind == "resistance" else -1.0
    return direction * (float(rsi[row]) - line.value_at(row))


def obv_strength(tf: TimeframeFeatures, bars: int = 14) -> float | None:
    """The OBV least-squares slope over the last ``bars`` rows divided by their mean volume.

    Unitless (OBV per bar ÷ volume per bar, within −1…+1 for a straight run), so a coin trading 1e6×
    the volume of another scores the same; the owner's first version scored raw OBV units.
    """
    obv = tf.obv[-bars:]
    volume = tf.candles.volume[-bars:]
    if len(obv) < bars or not np.isfinite(obv).all():
        return None
    mean_volume = float(volume.mean())
    if not math.isfinite(mean_volume) or mean_volume <= 0:
        return None
    slope = float(np.polyfit(np.arange(bars, dtype=np.float64), obv, 1)[0])
    return slope / mean_volume


def divergence(tf: TimeframeFeatures, side: Side, kind: DivergenceKind, window: int = 50) -> bool:
    """Whether the last two price pivots in ``window`` bars diverge from RSI, in ``side``'s favour.

    Bullish (``side="LONG"``) looks at lows: regular = price lower low, RSI higher low; hidden = price
    higher low, RSI lower low. Bearish mirrors it on highs. Needs two confirmed pivots (k = 3).
    """
    start = max(0, len(tf) - window)
    price = (tf.candles.low if side == "LONG" else tf.candles.high)[start:]
    rsi = tf.rsi[start:]
    highs, lows = find_pivots(price, 3)
    pivots = lows if side == "LONG" else highs
    pivots = pivots[np.isfinite(rsi[pivots])]
    if pivots.size < 2:
        return False
    first, second = int(pivots[-2]), int(pivots[-1])
    direction = sign(side)  # LONG: lows; "lower" means −direction
    price_further = direction * (price[first] - price[second]) > 0  # LONG: lower low
    rsi_further = direction * (rsi[first] - rsi[second]) > 0  # LONG: RSI lower low
    return (
        bool(price_further and not rsi_further)
        if kind == "regular"
        else bool(rsi_further and not price_further)
    )


def atr_at(tf: TimeframeFeatures, row: int = -1) -> float | None:
    """ATR at ``row`` when it is a usable (finite, positive) distance."""
    atr = value_at(tf.atr, row)
    return atr if atr is not None and atr > 0 else None


def clip01(value: float) -> float:
    return min(1.0, max(0.0, value))


def trendline_start(context: SharedContext) -> tuple[dict[str, Any], StrategyResult | None]:
    """What both trendline strategies report on every result (readings and the HTF's RSI lines),
    and the WAIT to return at once when the HTF is too short to hold a line."""
    htf = context.htf
    extra: dict[str, Any] = {
        "htf": readings(htf),
        "ltf": readings(context.ltf),
        "rsi_visuals": {"timeframe": "htf", **htf.trendlines.to_dict()},
    }
    if len(htf) < MIN_HTF_BARS or value_at(htf.rsi, -1) is None:
        return extra, wait(f"HTF needs {MIN_HTF_BARS} candles with RSI (have {len(htf)})", **extra)
    return extra, None
