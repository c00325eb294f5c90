"""BreakoutV2 — an RSI trendline break, confirmed before it is taken.

Confirmation: the HTF's Cardwell RSI range on the break's side, the LTF's OBV slope agreeing, RSI at
least 1 point past the line at the break, the bars since holding (no fakeout), and the break either
initial (≤ 2 bars ago) or a retest (3–15 bars ago, RSI back within 3 points of the line and bouncing).
Anything else — no crossing at all, a continuation — is WAIT with its reason, never a setup.

Scale (0–100, capped): base 30 + derivatives 10–30 (plus −6…+4) + OBV strength 15 + Cardwell 15 +
reward/risk 5–10 + hidden divergence 5 + retest quality 10. A confirmed initial break in the neutral
RSI zone with middling OBV and neutral data scores about 55; with RSI in the momentum zone and strong
OBV it reaches 75. 70 is actionable. See docs/strategies.md.
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
    decide,
    derivatives_points,
    divergence,
    last_crossing,
    make_setup,
    obv_strength,
    past_line,
    side_of,
    sign,
    trendline_start,
    wait,
)

BreakKind = Literal["initial", "retest"]

MIN_MARGIN = 1.0  # RSI points past the line at the break
INITIAL_MAX_AGO = 2
RETEST_MAX_AGO = 15
RETEST_DISTANCE = 3.0  # RSI back within 3 points of the line
STOP_ATR = {"initial": 3.0, "retest": 1.5}
RANGE_BARS = 50
MIN_RR = 3.0
OBV_BARS = 14
OBV_FULL = 0.5  # OBV slope / mean volume for full points
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
        lines = htf.trendlines
        crossing = latest_crossing(htf, [lines.resistance, lines.support])
        if crossing is None:
            return wait("no crossing found", **extra)
        line, row = crossing
        extra["rsi_visuals"].update(break_row=row, break_time=int(htf.candles.time[row]))
        confirmed = confirm_break(htf, line, row)
        if isinstance(confirmed, str):
            return wait(confirmed, bias=Bias(side_of(line)), **extra)
        return self._score(context, confirmed, extra)

    def _score(self, context: SharedContext, brk: ConfirmedBreak, extra: dict[str, Any]) -> StrategyResult:
        """The gates that need the LTF, then the score."""
        side = brk.side
        cardwell = cardwell_zone(float(context.htf.rsi[-1]), side)
        obv = obv_strength(context.ltf, OBV_BARS)
        if cardwell is None:
            return wait(f"Cardwell range is against a {side}", bias=Bias(side), **extra)
        if obv is None or sign(side) * obv <= 0:
            return wait(f"LTF OBV slope does not agree with a {side}", bias=Bias(side), **extra)
        setup = v2_setup(context.htf, brk)
        composition = {
            "base": BASE_POINTS,
            **derivatives_points(context.derivatives, side),
            "obv_strength": 15.0 * clip01(sign(side) * obv / OBV_FULL),
            "cardwell": CARDWELL_POINTS[cardwell],
            "reward_risk": 5.0 + 5.0 * clip01((setup.rr - MIN_RR) / 3.0) if isinstance(setup, Setup) else 0.0,
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
        }
        return decide(side, setup, composition, **extra)


CARDWELL_POINTS = {"momentum": 15.0, "neutral": 8.0, "extreme": 3.0}


def latest_crossing(htf: TimeframeFeatures, lines: list[Trendline | None]) -> tuple[Trendline, int] | None:
    """The most recent breaking crossing of either line after its second pivot."""
    best: tuple[Trendline, int] | None = None
    for line in lines:
        row = None if line is None else last_crossing(htf.rsi, line)
        if line is not None and row is not None and (best is None or row > best[1]):
            best = (line, row)
    return best


def confirm_break(htf: TimeframeFeatures, line: Trendline, row: int) -> ConfirmedBreak | str:
    """Apply the margin, fakeout and age rules; the reason to WAIT when one fails."""
    rsi, last = htf.rsi, len(htf) - 1
    ago = last - row
    margin = past_line(rsi, line, row)
    if margin < MIN_MARGIN:
        return f"RSI only {margin:.2f} past the line at the break ({MIN_MARGIN:.0f} needed)"
    held_now = past_line(rsi, line, last) > 0
    held_before = ago == 0 or past_line(rsi, line, last - 1) > 0
    if not (held_now and held_before):
        return "fakeout: RSI fell back through the line"
    if ago <= INITIAL_MAX_AGO:
        return ConfirmedBreak(line, row, "initial", None)
    if ago > RETEST_MAX_AGO:
        return f"continuation: the break was {ago} bars ago"
    return find_retest(htf, line, row)


def find_retest(htf: TimeframeFeatures, line: Trendline, row: int) -> ConfirmedBreak | str:
    """A retest: in the 3 bars before the last, RSI came within 3 points of the line; now it bounces."""
    rsi, last = htf.rsi, len(htf) - 1
    side = side_of(line)
    window = range(max(row + 1, last - 3), last)
    closest = min(past_line(rsi, line, r) for r in window)
    bouncing = sign(side) * float(rsi[last] - rsi[last - 1]) > 0
    if closest <= RETEST_DISTANCE and bouncing:
        return ConfirmedBreak(line, row, "retest", round(closest, 4))
    return f"continuation: the break was {last - row} bars ago and RSI is not retesting the line"


def cardwell_zone(rsi: float, side: Side) -> str | None:
    """Cardwell's range for the side: momentum (60–70 / 30–40), neutral (50–60 / 40–50), extreme
    (beyond 70 / 30); None when RSI is in the other side's range (bull ≥ 50, bear < 50)."""
    distance = sign(side) * (rsi - 50.0)  # how far into the side's own range
    if (side == "LONG" and rsi < 50.0) or (side == "SHORT" and rsi >= 50.0):
        return None
    if distance < 10.0:
        return "neutral"
    return "momentum" if distance <= 20.0 else "extreme"


def retest_points(brk: ConfirmedBreak) -> float:
    """Up to 10 for a retest that came right back to the line (0 at 3 points away); 0 for initial."""
    if brk.kind != "retest" or brk.retest_distance is None:
        return 0.0
    return 10.0 * clip01(1.0 - max(0.0, brk.retest_distance) / RETEST_DISTANCE)


def v2_setup(htf: TimeframeFeatures, brk: ConfirmedBreak) -> Setup | str:
    """Entry at the last close; stop 3 ATR away (1.5 for a retest); target the 50-bar range projected
    from the entry, pushed out to at least 3 R. A SHORT target at or below zero → no setup."""
    atr = atr_at(htf)
    if atr is None:
        return "HTF ATR unavailable"
    s = sign(brk.side)
    entry = float(htf.candles.close[-1])
    risk = STOP_ATR[brk.kind] * atr
    recent = slice(-RANGE_BARS, None)
    extension = float(htf.candles.high[recent].max() - htf.candles.low[recent].min())
    return make_setup(brk.side, entry, entry - s * risk, entry + s * max(extension, MIN_RR * risk))
