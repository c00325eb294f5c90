"""How a signal becomes a trade (docs/design.md §13), on the LTF candles alone.

- filled at the **next LTF candle's open** after the cut (the candle that opens when T closes the last
  one); the signal's own entry (``quoted_entry``, the close at T) is kept for the quoted-entry figure;
- stop or target by **first touch** on the LTF candles, from the fill candle on; **both in one candle →
  the stop**; a candle that opens beyond the stop exits at its open (the gap is paid); the target fills
  at the target;
- still open when the horizon ends → closed at the close of the last candle inside it, ``open``; a trade
  whose data ends first is closed the same way and also counted ``open``;
- the **fee on both sides** (``fee_pct`` of the notional at entry and at exit), inside ``r``;
- a fill that opens already past the stop or the target is no trade (the plan was gone before anyone
  could enter it): it is excluded and counted, never booked as a free win or loss.

``r`` is the P&L in units of the risk at the fill (``|fill − stop|``); ``r_quoted`` the same exit
measured from the quoted entry and its risk.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from quantpro.candles import closed_count
from quantpro.models import Candles

__all__ = ["EXCLUDED_GAP", "Plan", "Trade", "simulate", "trade_dict"]

ExitReason = Literal["target", "stop", "open"]
EXCLUDED_GAP = "the next open was already past the stop or the target"
EXCLUDED_NO_FILL = "no LTF candle after the cut to fill at"


@dataclass(frozen=True, slots=True)
class Plan:
    """What a signal at ``cut_ms`` asks for: a side, its stop and target, the quoted entry and score."""

    exchange: str
    symbol: str
    strategy: str
    side: Literal["LONG", "SHORT"]
    score: float
    cut_ms: int
    quoted_entry: float
    stop: float
    target: float
    components: tuple[tuple[str, float], ...] = ()  # the score's composition (calibration, §12)


@dataclass(frozen=True, slots=True)
class Trade:
    """One trade, every field a reader needs to check it against the candle files (the JSON report)."""

    exchange: str
    symbol: str
    strategy: str
    side: str
    score: float
    cut_ms: int
    entry_ms: int
    entry: float
    stop: float
    target: float
    exit_ms: int  # the close time of the candle the trade ended in
    exit: float
    exit_reason: ExitReason
    r: float  # after fees, in units of the risk at the fill
    quoted_entry: float
    r_quoted: float  # the same exit from the quoted entry (its risk, its fees)
    data_ended: bool  # closed "open" because the candles ended before the horizon
    components: tuple[tuple[str, float], ...] = ()  # the plan's score composition (not in the JSON)

    @property
    def hold_ms(self) -> int:
        return self.exit_ms - self.entry_ms


_JSON_FIELDS = (
    "exchange",
    "symbol",
    "strategy",
    "side",
    "score",
    "cut_ms",
    "entry_ms",
    "entry",
    "stop",
    "target",
    "exit_ms",
    "exit",
    "exit_reason",
    "r",
    "quoted_entry",
)


def trade_dict(trade: Trade) -> dict[str, Any]:
    """The trade as the JSON report writes it: exactly the fields §13 lists."""
    whole = asdict(trade)
    return {name: whole[name] for name in _JSON_FIELDS}


def _r(side: float, entry: float, exit_price: float, stop: float, fee: float) -> float:
    risk = side * (entry - stop)
    return (side * (exit_price - entry) - fee * (entry + exit_price)) / risk


def _first_exit(candles: Candles, plan: Plan, first: int, last: int) -> tuple[int, float, ExitReason] | None:
    """The candle row, price and reason of the first touch in rows ``first..last`` (inclusive)."""
    long = plan.side == "LONG"
    for row in range(first, last + 1):
        low, high, opened = float(candles.low[row]), float(candles.high[row]), float(candles.open[row])
        if long:
            if low <= plan.stop:
                return row, min(opened, plan.stop) if row > first else plan.stop, "stop"
            if high >= plan.target:
                return row, plan.target, "target"
        else:
            if high >= plan.stop:
                return row, max(opened, plan.stop) if row > first else plan.stop, "stop"
            if low <= plan.target:
                return row, plan.target, "target"
    return None


def simulate(candles: Candles, plan: Plan, *, horizon_ms: int, fee_pct: float, end_ms: int) -> Trade | str:
    """The trade ``plan`` makes on ``candles`` (LTF), using only candles closed by ``end_ms``; or the
    reason it makes none."""
    usable = closed_count(candles, end_ms)
    first = closed_count(candles, plan.cut_ms)  # the candle that opens as the cut's candle closes
    if first >= usable:
        return EXCLUDED_NO_FILL
    side = 1.0 if plan.side == "LONG" else -1.0
    fill = float(candles.open[first])
    if side * (fill - plan.stop) <= 0 or side * (plan.target - fill) <= 0:
        return EXCLUDED_GAP
    entry_ms = int(candles.time[first])
    horizon_end = entry_ms + horizon_ms
    last = min(usable, closed_count(candles, horizon_end)) - 1  # candles closed within the horizon
    last = max(last, first)
    found = _first_exit(candles, plan, first, last)
    reason: ExitReason
    if found is None:
        row, price, reason = last, float(candles.close[last]), "open"
    else:
        row, price, reason = found
    fee = fee_pct / 100.0
    return Trade(
        exchange=plan.exchange,
        symbol=plan.symbol,
        strategy=plan.strategy,
        side=plan.side,
        score=plan.score,
        cut_ms=plan.cut_ms,
        entry_ms=entry_ms,
        entry=fill,
        stop=plan.stop,
        target=plan.target,
        exit_ms=int(candles.time[row]) + candles.interval_ms,
        exit=price,
        exit_reason=reason,
        r=round(_r(side, fill, price, plan.stop, fee), 6),
        quoted_entry=plan.quoted_entry,
        r_quoted=round(_r(side, plan.quoted_entry, price, plan.stop, fee), 6),
        data_ended=found is None and int(candles.time[last]) + candles.interval_ms < horizon_end,
        components=plan.components,
    )
