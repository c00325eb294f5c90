"""Breakout — an RSI trendline break on the higher timeframe, taken as soon as it happens.

Scale (0–100): base 20 for a live break + line geometry 25 + momentum 25 + derivatives 10–30 (plus
−6…+4 adjustments). A weak break of a short two-touch line with neutral data scores about 50; a clean
break of a long line with RSI and price following through reaches 75 with neutral data. 70 is
actionable. See docs/strategies.md.
"""

from __future__ import annotations

from typing import Any

from quantpro.analysis.features import SharedContext, TimeframeFeatures
from quantpro.analysis.trendlines import Trendline
from quantpro.models import Bias, Setup, StrategyResult
from quantpro.strategies.base import Strategy
from quantpro.strategies.common import (
    Break,
    atr_at,
    clip01,
    crossing_rows,
    decide,
    derivatives_points,
    extreme_beyond,
    make_setup,
    past_line,
    sign,
    structure_stop,
    trendline_start,
    wait,
)
from quantpro.strategies.plan import current_price

BREAK_WINDOW = 3  # the crossing must be within the last 3 closed bars
STOP_BEYOND_ATR = 0.5
STOP_MIN_ATR = 1.0  # never inside one HTF bar's noise
BASE_POINTS = 20.0


class Breakout(Strategy):
    """LONG on RSI crossing above its resistance line, SHORT below its support, in the last 3 bars."""

    name = "Breakout"
    strategy_type = "breakout"

    def analyze(self, context: SharedContext) -> StrategyResult:
        extra, too_short = trendline_start(context)
        if too_short is not None:
            return too_short
        htf = context.htf
        lines = htf.trendlines
        found = recent_break(htf, [lines.resistance, lines.support])
        if found is None:
            return wait("no RSI trendline break in the last 3 closed bars", **extra)
        extra["rsi_visuals"]["break_row"] = found.row
        extra["rsi_visuals"]["break_time"] = int(htf.candles.time[found.row])
        if past_line(htf.rsi, found.line, len(htf) - 1) <= 0:
            return wait("break failed: RSI is back through the line", bias=Bias(found.side), **extra)
        composition, details = score_break(context, found)
        details["trigger_price"] = float(htf.candles.close[found.row])
        extra["details"] = details
        return decide(found.side, breakout_setup(context, found), composition, **extra)


def recent_break(htf: TimeframeFeatures, lines: list[Trendline | None]) -> Break | None:
    """The most recent crossing of either line within the last 3 closed bars (after its 2nd pivot)."""
    since = len(htf) - 1 - BREAK_WINDOW
    best: Break | None = None
    for line in lines:
        if line is None:
            continue
        rows = crossing_rows(htf.rsi, line, max(since, line.end))
        if rows.size and (best is None or int(rows[-1]) > best.row):
            best = Break(line, int(rows[-1]))
    return best


def score_break(context: SharedContext, found: Break) -> tuple[dict[str, float], dict[str, Any]]:
    """Geometry (touches 5–15, span up to 10), momentum (RSI margin 10, RSI side of 50 5, price 10)."""
    htf, line, side = context.htf, found.line, found.side
    last = len(htf) - 1
    margin = past_line(htf.rsi, line, last)
    rsi_now = float(htf.rsi[last])
    atr = atr_at(htf)
    move = sign(side) * float(htf.candles.close[last] - htf.candles.close[found.row - 1])
    composition = {
        "base": BASE_POINTS,
        "line_touches": 5.0 * (min(line.touches, 4) - 1),
        "line_span": 10.0 * clip01(line.span / 40.0),
        "rsi_margin": 10.0 * clip01(margin / 5.0),
        "rsi_side": 5.0 if sign(side) * (rsi_now - 50.0) > 0 else 0.0,
        "price_momentum": 10.0 * clip01(move / atr) if atr else 0.0,
        **derivatives_points(context.derivatives, side),
    }
    details = {
        "line": line.kind,
        "break_row": found.row,
        "bars_since_break": last - found.row,
        "rsi": rsi_now,
        "rsi_margin": round(margin, 4),
        "price_move_atr": round(move / atr, 4) if atr else None,
    }
    return composition, details


def breakout_setup(context: SharedContext, found: Break) -> Setup | str:
    """Entered at the current price (the break bar's close is only the trigger); stop 0.5 ATR beyond
    the swing since the bar before the break, and at least 1 ATR away;
    target the pattern's extreme — the highest high (a SHORT: lowest low) since the line's first pivot,
    where the momentum the line measures peaked (docs/strategies.md)."""
    htf = context.htf
    atr = atr_at(htf)
    if atr is None:
        return "HTF ATR unavailable"
    price = current_price(context)
    first = found.row - 1  # the bar before the break: the last one still under the line
    sl = structure_stop(htf, found.side, first, price, atr, beyond_atr=STOP_BEYOND_ATR, min_atr=STOP_MIN_ATR)
    tp = extreme_beyond(htf, found.side, found.line.start, price)
    return make_setup(found.side, context, sl, tp)
