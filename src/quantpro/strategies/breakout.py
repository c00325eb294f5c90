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
    make_setup,
    past_line,
    sign,
    trendline_start,
    wait,
)

BREAK_WINDOW = 3  # the crossing must be within the last 3 closed bars
SWING_BARS = 5
STOP_BEYOND_ATR = 0.5
STOP_MAX_ATR = 2.5
TARGET_HEIGHT = 1.618
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
        extra["details"] = details
        return decide(found.side, breakout_setup(htf, found), composition, **extra)


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


def breakout_setup(htf: TimeframeFeatures, found: Break) -> Setup | str:
    """Entry at the break's close; stop 0.5 ATR beyond the last 5 bars' swing, at most 2.5 ATR away;
    target 1.618 × the pattern's price height (from the line's first pivot to the break)."""
    atr = atr_at(htf)
    if atr is None:
        return "HTF ATR unavailable"
    side, s = found.side, sign(found.side)
    candles = htf.candles
    entry = float(candles.close[found.row])
    if side == "LONG":
        swing_stop = float(candles.low[-SWING_BARS:].min()) - STOP_BEYOND_ATR * atr
    else:
        swing_stop = float(candles.high[-SWING_BARS:].max()) + STOP_BEYOND_ATR * atr
    sl = entry - s * min(s * (entry - swing_stop), STOP_MAX_ATR * atr)
    pattern = slice(found.line.start, found.row + 1)
    height = float(candles.high[pattern].max() - candles.low[pattern].min())
    return make_setup(side, entry, sl, entry + s * TARGET_HEIGHT * height)
