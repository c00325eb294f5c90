"""BreakoutV2 — an RSI trendline break, confirmed before it is taken.

Every crossing of the last 15 HTF bars is judged, the most recent first, and the first that passes is
taken: RSI at least 1 point past the line at the break, the bars since holding (no fakeout), and the
break either initial (≤ 2 bars ago) or a retest (3–15 bars ago, RSI back within 3 points of the line —
or at most 1 point through it — and bouncing). Then the HTF's Cardwell range (RSI 40–80 for a LONG,
20–60 for a SHORT) and the LTF's OBV slope must agree with the side. Anything else — no
crossing at all, a continuation — is WAIT with its reason, never a setup.

Scale (0–100, capped): base 30 + derivatives 10–30 (plus −6…+4) + OBV strength 25 + Cardwell 3–15 +
hidden divergence 5 + retest quality 10 (reward/risk's 10 points were moved to OBV by the backtest's
calibration). A confirmed initial break in the neutral RSI zone with middling OBV and neutral data
scores about 60; with RSI in the momentum zone and strong OBV it reaches 80. 70 is actionable. See
docs/strategies.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from quantpro.analysis.derivatives import Side
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
    divergence,
    extreme_beyond,
    last_crossing,
    make_setup,
    obv_strength,
    past_line,
    side_of,
    sign,
    structure_stop,
    trendline_start,
    wait,
)
from quantpro.strategies.plan import current_price

BreakKind = Literal["initial", "retest"]

MIN_MARGIN = 1.0  # RSI points past the line at the break
INITIAL_MAX_AGO = 2
RETEST_MAX_AGO = 15  # crossings older than this are continuations, never judged as breaks
RETEST_DISTANCE = 3.0  # RSI back within 3 points of the line
RETEST_PIERCE = 1.0  # a retest may dip this far back through the line (the lines' own tolerance)
#: Cardwell's ranges: RSI holds 40–80 in an uptrend and 20–60 in a downtrend, so a LONG needs RSI at
#: 40 or above now (a SHORT at 60 or below) — not 50, which a break of a line already below 50 could
#: never reach in time (the contradiction of part one, docs/decisions.md).
CARDWELL_FLOOR = 40.0
STOP_BEYOND_ATR = 0.5
STOP_MIN_ATR = 1.0  # never inside one HTF bar's noise
RETEST_SWING_BARS = 4  # a retest's stop goes beyond the retest's own bars
OBV_BARS = 14
OBV_FULL = 0.5  # OBV slope / mean volume for full points
#: 15 before the calibration of §12: the 10 points of reward/risk (which ranked outcomes the wrong way
#: in sample, Spearman −0.14 over 248 plans, and were dropped) moved to the LTF's OBV, which ranked right.
OBV_POINTS = 25.0
BASE_POINTS = 30.0


@dataclass(frozen=True)
class ConfirmedBreak(Break):
    """A crossing that passed the confirmation rules."""

    kind: BreakKind
    retest_distance: float | None  # closest RSI came back to the line (retests only)


class BreakoutV2(Strategy):
    """The confirmed RSI trendline break (Cardwell range, LTF OBV, no fakeout, initial or retest)."""

    name = "BreakoutV2"
    strategy_type = "breakout_v2"

    def analyze(self, context: SharedContext) -> StrategyResult:
        extra, too_short = trendline_start(context)
        if too_short is not None:
            return too_short
        htf = context.htf
        lines = [htf.trendlines.resistance, htf.trendlines.support]
        judged = judge_crossings(htf, lines)
        if isinstance(judged, ConfirmedBreak):
            extra["rsi_visuals"].update(break_row=judged.row, break_time=int(htf.candles.time[judged.row]))
            return self._score(context, judged, extra)
        reason, line, row = judged
        if line is None or row is None:
            return wait(reason, **extra)
        extra["rsi_visuals"].update(break_row=row, break_time=int(htf.candles.time[row]))
        return wait(reason, bias=Bias(side_of(line)), **extra)

    def _score(self, context: SharedContext, brk: ConfirmedBreak, extra: dict[str, Any]) -> StrategyResult:
        """The gates that need the LTF, then the score."""
        side = brk.side
        rsi_now = float(context.htf.rsi[-1])
        cardwell = cardwell_zone(rsi_now, side)
        obv = obv_strength(context.ltf, OBV_BARS)
        if cardwell is None:
            return wait(cardwell_against(rsi_now, side), bias=Bias(side), **extra)
        if obv is None or sign(side) * obv <= 0:
            return wait(f"LTF OBV slope does not agree with a {side}", bias=Bias(side), **extra)
        setup = v2_setup(context, brk)
        composition = {
            "base": BASE_POINTS,
            **derivatives_points(context.derivatives, side),
            "obv_strength": OBV_POINTS * clip01(sign(side) * obv / OBV_FULL),
            "cardwell": CARDWELL_POINTS[cardwell],
            "hidden_divergence": 5.0 if divergence(context.htf, side, "hidden") else 0.0,
            "retest_quality": retest_points(brk),
        }
        extra["details"] = {
            "break_kind": brk.kind,
            "break_row": brk.row,
            "bars_since_break": len(context.htf) - 1 - brk.row,
            "cardwell_zone": cardwell,
            "obv_strength": round(obv, 6),
            "retest_distance": brk.retest_distance,
            "trigger_price": float(context.htf.candles.close[brk.row]),
        }
        return decide(side, setup, composition, **extra)


CARDWELL_POINTS = {"momentum": 15.0, "neutral": 8.0, "recovery": 4.0, "extreme": 3.0}

Judged = ConfirmedBreak | tuple[str, Trendline | None, int | None]


def recent_crossings(htf: TimeframeFeatures, lines: list[Trendline | None]) -> list[tuple[Trendline, int]]:
    """Every breaking crossing of either line in the last ``RETEST_MAX_AGO`` bars, the newest first."""
    since = len(htf) - 1 - RETEST_MAX_AGO - 1
    found = [
        (line, int(row))
        for line in lines
        if line is not None
        for row in crossing_rows(htf.rsi, line, max(since, line.end))
    ]
    return sorted(found, key=lambda item: -item[1])


def judge_crossings(htf: TimeframeFeatures, lines: list[Trendline | None]) -> Judged:
    """The newest recent crossing that passes the confirmation rules; otherwise the honest reason to
    WAIT and the crossing it is about (the newest one; None when there is none)."""
    crossings = recent_crossings(htf, lines)
    if not crossings:
        return _no_recent_crossing(htf, lines)
    reasons: list[str] = []
    for line, row in crossings:
        verdict = confirm_break(htf, line, row)
        if isinstance(verdict, ConfirmedBreak):
            return verdict
        reasons.append(verdict)
    reason = reasons[0]
    if len(crossings) > 1:
        earlier = len(crossings) - 1
        reason += f"; {earlier} earlier crossing{'s' if earlier > 1 else ''} not confirmed either"
    line, row = crossings[0]
    return reason, line, row


def _no_recent_crossing(htf: TimeframeFeatures, lines: list[Trendline | None]) -> Judged:
    latest: tuple[Trendline, int] | None = None
    for line in lines:
        row = None if line is None else last_crossing(htf.rsi, line)
        if line is not None and row is not None and (latest is None or row > latest[1]):
            latest = (line, row)
    if latest is None:
        return "no crossing found", None, None
    line, row = latest
    return f"continuation: the break was {len(htf) - 1 - row} bars ago", line, row


def confirm_break(htf: TimeframeFeatures, line: Trendline, row: int) -> ConfirmedBreak | str:
    """Apply the margin, fakeout and age rules to one crossing; the reason when one fails."""
    rsi, last = htf.rsi, len(htf) - 1
    ago = last - row
    when = f"{ago} bar{'s' if ago != 1 else ''} ago" if ago else "on the last bar"
    margin = past_line(rsi, line, row)
    if margin < MIN_MARGIN:
        return f"RSI only {margin:.2f} past the line at the break {when} ({MIN_MARGIN:.0f} needed)"
    held_now = past_line(rsi, line, last) > 0
    held_before = ago == 0 or past_line(rsi, line, last - 1) > 0
    if not (held_now and held_before):
        return f"fakeout: RSI fell back through the line after the break {when}"
    if ago <= INITIAL_MAX_AGO:
        return ConfirmedBreak(line, row, "initial", None)
    return find_retest(htf, line, row)


def find_retest(htf: TimeframeFeatures, line: Trendline, row: int) -> ConfirmedBreak | str:
    """A retest: in the 3 bars before the last, RSI came within 3 points of the line (at most 1 point
    through it); now it bounces."""
    rsi, last = htf.rsi, len(htf) - 1
    side = side_of(line)
    window = range(max(row + 1, last - 3), last)
    closest = min(past_line(rsi, line, r) for r in window)
    bouncing = sign(side) * float(rsi[last] - rsi[last - 1]) > 0
    ago = last - row
    if closest < -RETEST_PIERCE:
        return f"failed break: RSI went {-closest:.2f} back through the line after the break {ago} bars ago"
    if closest <= RETEST_DISTANCE and bouncing:
        return ConfirmedBreak(line, row, "retest", round(closest, 4))
    return f"continuation: the break was {ago} bars ago and RSI is not retesting the line"


def cardwell_zone(rsi: float, side: Side) -> str | None:
    """Cardwell's range for the side (LONG; a SHORT mirrors it around 50): momentum 60–70, neutral
    50–60, recovery 40–50 (the bull range's lower half), extreme beyond 70; None below 40 (the bear
    range only)."""
    distance = sign(side) * (rsi - 50.0)  # how far into the side's own half
    if distance < -(50.0 - CARDWELL_FLOOR):
        return None
    if distance < 0.0:
        return "recovery"
    if distance < 10.0:
        return "neutral"
    return "momentum" if distance <= 20.0 else "extreme"


def cardwell_against(rsi: float, side: Side) -> str:
    if side == "LONG":
        return (
            f"Cardwell: RSI {rsi:.1f} is in the bear range only (below {CARDWELL_FLOOR:.0f}), against a LONG"
        )
    bound = 100.0 - CARDWELL_FLOOR
    return f"Cardwell: RSI {rsi:.1f} is in the bull range only (above {bound:.0f}), against a SHORT"


def retest_points(brk: ConfirmedBreak) -> float:
    """Up to 10 for a retest that came right back to the line (0 at 3 points away); 0 for initial."""
    if brk.kind != "retest" or brk.retest_distance is None:
        return 0.0
    return 10.0 * clip01(1.0 - max(0.0, brk.retest_distance) / RETEST_DISTANCE)


def v2_setup(context: SharedContext, brk: ConfirmedBreak) -> Setup | str:
    """Entered at the current price; stop 0.5 ATR beyond the break's swing (a retest's: its own bars),
    at least 1 ATR away; target the pattern's extreme since the line's first pivot (as Breakout)."""
    htf = context.htf
    atr = atr_at(htf)
    if atr is None:
        return "HTF ATR unavailable"
    price = current_price(context)
    last = len(htf) - 1
    first = last - RETEST_SWING_BARS + 1 if brk.kind == "retest" else brk.row - 1
    sl = structure_stop(htf, brk.side, first, price, atr, beyond_atr=STOP_BEYOND_ATR, min_atr=STOP_MIN_ATR)
    tp = extreme_beyond(htf, brk.side, brk.line.start, price)
    return make_setup(brk.side, context, sl, tp)
