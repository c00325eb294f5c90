"""Legacy — a trend pullback: the higher timeframe sets the side, the lower timeframe times the entry.

Scale (0–100, capped): trend 40 + structure 25 + money flow 15 + derivatives 10–30 (plus −6…+4
adjustments), minus penalties; "timing" (quiet pullback volume) was dropped by the backtest's
calibration and its 15 points given to the trend's ADX. A weak trend with an unremarkable pullback and
neutral data lands near 40; a strong trend with a textbook pullback and neutral data reaches 90, so 70
(actionable) needs a strong trend. See docs/strategies.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from quantpro.analysis.derivatives import Side
from quantpro.analysis.features import SharedContext, TimeframeFeatures
from quantpro.models import Bias, Setup, StrategyResult
from quantpro.strategies.base import Strategy
from quantpro.strategies.common import (
    atr_at,
    clip01,
    decide,
    derivatives_points,
    divergence,
    make_setup,
    readings,
    sign,
    structure_stop,
    value_at,
    wait,
)
from quantpro.strategies.plan import current_price

RANGE_BARS = 50  # the LTF window whose range the pullback is measured against
DEPTH_MIN, DEPTH_MAX = 0.30, 0.80
GOLDEN_MIN, GOLDEN_MAX = 0.382, 0.618
STOP_ATR = 0.5  # stop beyond the pullback's extreme
STOP_MIN_ATR = 1.5  # and never inside the LTF's own noise
PENALTY_OBV, PENALTY_DIVERGENCE, PENALTY_BOLLINGER = -10.0, -10.0, -5.0
TREND_ADX_POINTS = 30.0  # 15 before the calibration of §12; "timing"'s 15 moved here


@dataclass(frozen=True)
class Pullback:
    """An impulse from ``origin`` to ``extreme`` (LTF rows) and the retracement since, as a depth."""

    side: Side
    origin: int  # the impulse's start (its low for a LONG)
    extreme: int  # the impulse's end (its high for a LONG)
    depth: float  # share of the impulse given back, 0–1


class Legacy(Strategy):
    """Trend pullback: EMA 50/200 bias and ADX on the HTF; pullback, OBV and volume on the LTF."""

    name = "Legacy"
    strategy_type = "legacy"
    plan_timeframe = "ltf"  # the pullback is drawn on the LTF: its target is judged by the LTF's ATR

    def analyze(self, context: SharedContext) -> StrategyResult:
        htf, ltf = context.htf, context.ltf
        extra: dict[str, Any] = {"htf": readings(htf), "ltf": readings(ltf)}
        side, why_not = htf_bias(htf)
        if side is None:
            return wait(why_not, **extra)
        pullback = find_pullback(ltf, side)
        if isinstance(pullback, str):
            return wait(pullback, bias=Bias(side), **extra)
        composition, details = score_pullback(context, pullback)
        extra["details"] = details
        return decide(side, legacy_setup(context, pullback), composition, **extra)


def htf_bias(htf: TimeframeFeatures) -> tuple[Side | None, str]:
    """LONG/SHORT when close and EMA 50 sit on one side of EMA 200; otherwise None and why not."""
    close, fast, slow = (value_at(values, -1) for values in (htf.candles.close, htf.ema50, htf.ema200))
    if close is None or fast is None or slow is None:
        return None, f"HTF EMA 200 needs 200 candles (have {len(htf)})"
    if close > slow and fast > slow:
        return "LONG", ""
    if close < slow and fast < slow:
        return "SHORT", ""
    return None, "no HTF trend: close and EMA 50 disagree about EMA 200"


def find_pullback(ltf: TimeframeFeatures, side: Side) -> Pullback | str:
    """The impulse in the last 50 LTF bars and how deep the close has pulled back into it."""
    if len(ltf) < RANGE_BARS + 1:
        return f"LTF needs {RANGE_BARS + 1} candles for the pullback (have {len(ltf)})"
    start = len(ltf) - RANGE_BARS
    high, low = ltf.candles.high[start:], ltf.candles.low[start:]
    s = sign(side)  # mirror a SHORT into a LONG: its extremes are the lows, its origin the highs
    ends, starts = (s * high, s * low) if side == "LONG" else (s * low, s * high)
    extreme = int(np.argmax(ends))
    if extreme == 0 or extreme == RANGE_BARS - 1:
        return "no pullback: the impulse's extreme is at the window's edge"
    origin = int(np.argmin(starts[:extreme]))
    span = float(ends[extreme] - starts[origin])
    close = s * float(ltf.candles.close[-1])
    depth = (float(ends[extreme]) - close) / span if span > 0 else float("nan")
    if not DEPTH_MIN <= depth <= DEPTH_MAX:
        return f"no pullback: depth {depth:.0%} of the range (30–80 % needed)"
    return Pullback(side, start + origin, start + extreme, float(depth))


def score_pullback(context: SharedContext, pb: Pullback) -> tuple[dict[str, float], dict[str, Any]]:
    """The score composition and the readings behind it."""
    htf, ltf = context.htf, context.ltf
    flow = obv_flow(ltf, pb)
    ratio = volume_ratio(ltf, pb)
    contrary_div = divergence(ltf, "SHORT" if pb.side == "LONG" else "LONG", "regular")
    outside = outside_bollinger(ltf)
    composition = {
        "trend": trend_points(htf, pb.side),
        "structure": 25.0 if GOLDEN_MIN <= pb.depth <= GOLDEN_MAX else 15.0,
        "money_flow": 15.0 * clip01(flow / 0.25) if flow is not None else 0.0,
        **derivatives_points(context.derivatives, pb.side),
        "penalty_obv": PENALTY_OBV if flow is not None and flow < -0.1 else 0.0,
        "penalty_divergence": PENALTY_DIVERGENCE if contrary_div else 0.0,
        "penalty_bollinger": PENALTY_BOLLINGER if outside else 0.0,
    }
    details = {
        "trigger_price": float(ltf.candles.close[-1]),  # the pullback's level: the close it was judged at
        "htf_bias": pb.side,
        "adx": value_at(htf.adx, -1),
        "pullback_depth": round(pb.depth, 4),
        "impulse_rows": [pb.origin, pb.extreme],
        "impulse_extreme": float((ltf.candles.high if pb.side == "LONG" else ltf.candles.low)[pb.extreme]),
        "obv_flow": flow,
        "volume_ratio": ratio,
        "contrary_divergence": contrary_div,
        "outside_bollinger": outside,
    }
    return composition, details


def trend_points(htf: TimeframeFeatures, side: Side) -> float:
    """10 for the bias, up to 30 more for ADX 15→25 when the directional indexes agree with it.

    Calibrated on the backtest (docs/strategies.md): the trend's strength was the one component that
    ranked outcomes the right way, so it took the 15 points of "timing" (quiet pullback volume),
    which ranked them the wrong way in sample (Spearman −0.056 over 3,754 plans) and was dropped."""
    adx, plus_di, minus_di = (value_at(values, -1) for values in (htf.adx, htf.plus_di, htf.minus_di))
    if adx is None or plus_di is None or minus_di is None:
        return 10.0
    agrees = sign(side) * (plus_di - minus_di) > 0
    return 10.0 + (TREND_ADX_POINTS * clip01((adx - 15.0) / 10.0) if agrees else 0.0)


def obv_flow(ltf: TimeframeFeatures, pb: Pullback) -> float | None:
    """OBV's change since the impulse began, over the volume traded since, signed for the side.

    In −1…+1 and unitless: +0.25 or more means volume has clearly backed the bias.
    """
    first = min(pb.origin, pb.extreme)
    obv = ltf.obv
    traded = float(ltf.candles.volume[first + 1 :].sum())
    change = float(obv[-1] - obv[first])
    if traded <= 0 or not np.isfinite(change):
        return None
    return sign(pb.side) * change / traded


def volume_ratio(ltf: TimeframeFeatures, pb: Pullback) -> float | None:
    """Mean volume of the pullback's bars over the impulse's: below 1 = the pullback is quiet."""
    volume = ltf.candles.volume
    impulse = volume[min(pb.origin, pb.extreme) : pb.extreme + 1]
    pullback = volume[pb.extreme + 1 :]
    if impulse.size == 0 or pullback.size == 0 or float(impulse.mean()) <= 0:
        return None
    return float(pullback.mean() / impulse.mean())


def outside_bollinger(ltf: TimeframeFeatures) -> bool:
    """The last close beyond Bollinger (20, 2): an over-extended entry."""
    close, upper, lower = (value_at(values, -1) for values in (ltf.candles.close, ltf.bb_upper, ltf.bb_lower))
    if close is None or upper is None or lower is None:
        return False
    return close > upper or close < lower


def legacy_setup(context: SharedContext, pb: Pullback) -> Setup | str:
    """Entered at the current price; stop 0.5 ATR beyond the pullback's extreme and at least 1.5 ATR
    away (the LTF's noise); target the impulse's extreme — the swing the trend has to regain."""
    ltf = context.ltf
    atr = atr_at(ltf)
    if atr is None:
        return "LTF ATR unavailable"
    price = current_price(context)
    sl = structure_stop(ltf, pb.side, pb.extreme + 1, price, atr, beyond_atr=STOP_ATR, min_atr=STOP_MIN_ATR)
    extreme = ltf.candles.high[pb.extreme] if pb.side == "LONG" else ltf.candles.low[pb.extreme]
    return make_setup(pb.side, context, sl, float(extreme))
