"""Trade plans a trader can act on (docs/design.md §12): the rules every plan is judged by, in one place.

A strategy draws a plan — a side, a stop and a target — and the shared wrapper
(:func:`quantpro.strategies.base.run_strategy`) judges it here with :func:`judge_plan`:

- the **entry is the current price**, the last closed LTF close; the stop and the target are judged
  from it, and a plan whose price has already passed its target or its stop is refused;
- prices are **rounded to the market's tick** when it is known: the stop away from the entry, the
  target toward it;
- the **bounds**: a stop at least ``min_stop_pct`` and 0.5 ATR(14) of the LTF away, at most
  ``max_stop_pct``; a target at most ``max_target_pct`` and 8 ATR(14) of the timeframe the plan is
  drawn on away; reward/risk at least 1.5.

A plan outside them is refused with the bound it breaks (``"target 121.3 % away exceeds 25 %"``), never
clamped into them: a plan is right or it is not shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from quantpro.analysis.features import SharedContext, TimeframeFeatures
from quantpro.models import MarketKey, Setup

if TYPE_CHECKING:
    from quantpro.settings import Settings

__all__ = ["DEFAULT_RULES", "PlanRules", "PlanTimeframe", "current_price", "judge_plan", "round_price"]

#: The timeframe a strategy draws its plan on: its target is judged against that timeframe's ATR.
PlanTimeframe = Literal["ltf", "htf"]

#: Fixed by docs/design.md §12 (the percentages and the fee are settings).
MIN_STOP_ATR = 0.5  # × ATR(14) of the LTF: a stop inside one bar's noise is no stop
MAX_TARGET_ATR = 8.0  # × ATR(14) of the plan's timeframe: a target the move can reach
MIN_RR = 1.5


@dataclass(frozen=True)
class PlanRules:
    """The §12 rules of one run, made once from the settings and given to every strategy call.

    ``ticks`` holds the tick size of each market known from ``DATA_DIR/markets.json``;
    ``allow_stale`` (``scan --allow-stale``) lets markets with stale candles be analysed as in part one.
    """

    min_stop_pct: float = 0.3
    max_stop_pct: float = 10.0
    max_target_pct: float = 25.0
    fee_pct: float = 0.05
    allow_stale: bool = False
    min_stop_atr: float = MIN_STOP_ATR
    max_target_atr: float = MAX_TARGET_ATR
    min_rr: float = MIN_RR
    ticks: Mapping[MarketKey, float] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        ticks: Mapping[MarketKey, float] | None = None,
        *,
        allow_stale: bool | None = None,
    ) -> PlanRules:
        """The rules ``settings`` give (``QUANTPRO_MIN_STOP_PCT``, …); ``allow_stale`` overrides theirs."""
        return cls(
            min_stop_pct=settings.min_stop_pct,
            max_stop_pct=settings.max_stop_pct,
            max_target_pct=settings.max_target_pct,
            fee_pct=settings.fee_pct,
            allow_stale=settings.allow_stale if allow_stale is None else allow_stale,
            ticks=dict(ticks or {}),
        )

    def tick_for(self, exchange: str, symbol: str) -> float | None:
        return self.ticks.get(MarketKey(exchange, symbol))


DEFAULT_RULES = PlanRules()


def current_price(context: SharedContext) -> float:
    """The entry of every plan: the last closed LTF close."""
    return float(context.ltf.candles.close[-1])


def round_price(value: float, tick: float, *, up: bool) -> float:
    """``value`` on the tick grid, rounded up or down, printed without float dust (0.1 + 0.2 → 0.3)."""
    steps = value / tick
    nearest = round(steps)
    if math.isclose(steps, nearest, rel_tol=0.0, abs_tol=1e-9):
        count = nearest  # already on the grid: float noise must not move it a whole tick
    else:
        count = math.ceil(steps) if up else math.floor(steps)
    exponent = Decimal(repr(tick)).normalize().as_tuple().exponent
    digits = max(0, -exponent) if isinstance(exponent, int) else 0
    return round(count * tick, digits)


def _pct(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _atr(features: TimeframeFeatures) -> float | None:
    if len(features) == 0:
        return None
    value = float(features.atr[-1])
    return value if math.isfinite(value) and value > 0 else None


def _on_ticks(setup: Setup, tick: float | None) -> tuple[float, float]:
    """The stop rounded away from the entry and the target toward it (a LONG: both down)."""
    if tick is None:
        return setup.sl, setup.tp
    long = setup.side == "LONG"
    return round_price(setup.sl, tick, up=not long), round_price(setup.tp, tick, up=not long)


def judge_plan(
    plan: Setup, context: SharedContext, rules: PlanRules = DEFAULT_RULES, drawn_on: PlanTimeframe = "htf"
) -> Setup | str:
    """The plan as a trader gets it — entered at the current price, on the tick, within every bound —
    or the reason it cannot be shown."""
    price = current_price(context)
    if not all(math.isfinite(value) for value in (price, plan.sl, plan.tp)) or price <= 0:
        return "setup prices are not finite"
    s = 1.0 if plan.side == "LONG" else -1.0
    if s * (plan.tp - price) <= 0:
        return "price already past the target"
    if s * (price - plan.sl) <= 0:
        return "price already past the stop"
    if plan.tp <= 0:
        return f"SHORT target {plan.tp:.6g} at or below zero"
    sl, tp = _on_ticks(plan, rules.tick_for(context.exchange, context.symbol))
    if s * (tp - price) <= 0 or tp <= 0:
        return "target within one tick of the price"
    risk, reward = s * (price - sl), s * (tp - price)
    problem = _bound_broken(risk, reward, price, context, rules, drawn_on)
    if problem is not None:
        return problem
    return Setup(side=plan.side, entry=price, tp=tp, sl=sl, rr=round(reward / risk, 4))


def _bound_broken(
    risk: float,
    reward: float,
    price: float,
    context: SharedContext,
    rules: PlanRules,
    drawn_on: PlanTimeframe,
) -> str | None:
    """The first §12 bound the plan breaks, named with its figures; None when it keeps them all."""
    stop_pct, target_pct = 100.0 * risk / price, 100.0 * reward / price
    ltf_atr = _atr(context.ltf)
    frame = context.ltf if drawn_on == "ltf" else context.htf
    frame_atr = _atr(frame)
    ltf_name, frame_name = context.ltf.candles.timeframe, frame.candles.timeframe
    if stop_pct < rules.min_stop_pct:
        return f"stop {_pct(stop_pct)} % away is below {rules.min_stop_pct:g} %"
    if ltf_atr is None:
        return f"no {ltf_name} ATR to judge the stop by"
    if risk < rules.min_stop_atr * ltf_atr:
        return f"stop {risk / ltf_atr:.2f} ATR away is below {rules.min_stop_atr:g} ATR of the {ltf_name}"
    if stop_pct > rules.max_stop_pct:
        return f"stop {_pct(stop_pct)} % away exceeds {rules.max_stop_pct:g} %"
    if target_pct > rules.max_target_pct:
        return f"target {_pct(target_pct)} % away exceeds {rules.max_target_pct:g} %"
    if frame_atr is None:
        return f"no {frame_name} ATR to judge the target by"
    if reward > rules.max_target_atr * frame_atr:
        atrs = reward / frame_atr
        return f"target {atrs:.1f} ATR away exceeds {rules.max_target_atr:g} ATR of the {frame_name}"
    if reward / risk < rules.min_rr:
        return f"reward/risk {reward / risk:.2f} below {rules.min_rr:g}"
    return None
