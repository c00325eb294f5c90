"""The strategy plug-in interface and the safe wrapper every call goes through (docs/architecture.md).

A strategy is pure: it reads a :class:`SharedContext` and returns a :class:`StrategyResult`; it never
mutates the context or its arrays. :func:`run_strategy` is the only way the scanner calls one. It
guarantees the scan's promise that **every market gets one result per strategy**: an exception or an
invalid result is logged as a warning and replaced by a WAIT whose reason starts with
``"strategy error: "`` (score 0), rather than dropping the market's signal.

It is also where every plan is judged (docs/design.md §12, :mod:`quantpro.strategies.plan`): a market
whose candles are stale is WAIT ("stale candles") without being analysed; a plan is entered at the
current price, rounded to the tick, and refused — WAIT naming the bound — when it breaks one.
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from quantpro.analysis.features import SharedContext
from quantpro.errors import StrategyError
from quantpro.jsonsafe import jsonable
from quantpro.models import Action, Bias, Setup, StrategyResult
from quantpro.strategies.plan import DEFAULT_RULES, PlanRules, PlanTimeframe, judge_plan

log = logging.getLogger(__name__)

ACTION_THRESHOLD = 70.0  # the score at which a setup becomes an actionable LONG/SHORT
STALE_REASON = "stale candles"


class Strategy(ABC):
    """A scoring strategy. Subclasses set ``name`` and ``strategy_type`` and implement ``analyze``."""

    name: ClassVar[str]
    strategy_type: ClassVar[str]  # the feed's meta.strategy_type: legacy | breakout | breakout_v2
    #: The timeframe the strategy draws its plans on: their target is judged by its ATR (§12).
    plan_timeframe: ClassVar[PlanTimeframe] = "htf"

    @abstractmethod
    def analyze(self, context: SharedContext) -> StrategyResult:
        """Score one market. Must not mutate ``context``. Called through :func:`run_strategy`."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def run_strategy(
    strategy: Strategy, context: SharedContext, rules: PlanRules = DEFAULT_RULES
) -> StrategyResult:
    """Run ``strategy`` on ``context`` and return a validated, JSON-able result — never raise.

    A market with stale candles is WAIT ``"stale candles"`` (score 0) unless ``rules.allow_stale``.
    A strategy that raises or returns something invalid (NaN score, a LONG whose stop is above its
    entry, a non-JSON detail, …) yields ``WAIT`` with ``reason="strategy error: …"`` and score 0, so the
    market still has its one signal for this strategy and the scan goes on. A plan is judged by
    ``rules`` (:func:`~quantpro.strategies.plan.judge_plan`).
    """
    if context.stale and not rules.allow_stale:
        return stale_result(context)
    try:
        return validate_result(
            strategy.analyze(context), context=context, rules=rules, drawn_on=strategy.plan_timeframe
        )
    except Exception as exc:  # a plug-in must never take the scan down
        log.warning(
            "strategy %s failed on %s %s: %s: %s",
            strategy.name,
            context.exchange,
            context.symbol,
            type(exc).__name__,
            exc,
        )
        return error_result(exc)


def error_result(exc: BaseException) -> StrategyResult:
    """The WAIT that stands in for a failed strategy call."""
    reason = f"strategy error: {type(exc).__name__}: {exc}"
    return StrategyResult(
        action=Action.WAIT, bias=Bias.NONE, score=0.0, reason=reason, details={"reason": reason}
    )


def stale_result(context: SharedContext) -> StrategyResult:
    """The WAIT of a market whose candles are stale at the run's moment (docs/design.md §12)."""
    candles = context.ltf.candles
    age_s = None
    if len(candles):
        age_s = round((context.scan_time_ms - int(candles.time[-1]) - candles.interval_ms) / 1000.0, 3)
    details = {"reason": STALE_REASON, "candles_age_s": age_s}
    return StrategyResult(
        action=Action.WAIT, bias=Bias.NONE, score=0.0, reason=STALE_REASON, details=details, json_ready=True
    )


def validate_result(
    result: StrategyResult,
    *,
    context: SharedContext | None = None,
    rules: PlanRules = DEFAULT_RULES,
    drawn_on: PlanTimeframe = "htf",
) -> StrategyResult:
    """The one validation of a strategy result: check its invariants and return a clean copy (score
    clamped to 0–100 and rounded, setup prices finite and ordered, every dict plain JSON, marked
    ``json_ready`` so nothing downstream checks or converts it again).

    Given the ``context`` it was computed on, the result's plan is also judged by ``rules``
    (:func:`~quantpro.strategies.plan.judge_plan`): entered at the current price, on the tick, within
    the bounds — or the result becomes a WAIT naming what the plan breaks, its score kept.

    Raises :class:`StrategyError` when the result cannot be trusted.
    """
    if not isinstance(result, StrategyResult):
        raise StrategyError(f"analyze returned {type(result).__name__}, not StrategyResult")
    action, bias = Action(result.action), Bias(result.bias)
    score = _finite_number(result.score, "score")
    if action is Action.WAIT and not result.reason:
        raise StrategyError("a WAIT must say why (reason)")
    _check_shape(action, result.setup, result.plan)
    details = dict(to_jsonable(result.details))
    setup, plan, reason = result.setup, result.setup or result.plan, result.reason
    if context is not None and plan is not None:
        verdict = judge_plan(plan, context, rules, drawn_on)
        details.setdefault("trigger_price", plan.entry)
        if isinstance(verdict, str):
            details["rejected_plan"] = {"side": plan.side, "sl": plan.sl, "tp": plan.tp}
            action, setup, plan, reason = Action.WAIT, None, None, verdict
        else:
            setup, plan = (None if action is Action.WAIT else verdict), verdict
    _check_setup(action, setup)
    if plan is not None:
        _check_setup(Action(plan.side), plan)
    composition = {
        str(key): _finite_number(value, f"score_composition[{key}]")
        for key, value in result.score_composition.items()
    }
    details["reason"] = reason  # the documented field wins over a strategy's own
    return StrategyResult(
        action=action,
        bias=bias,
        score=round(min(100.0, max(0.0, score)), 2),
        setup=setup,
        reason=reason,
        details=details,
        htf=dict(to_jsonable(result.htf)),
        ltf=dict(to_jsonable(result.ltf)),
        score_composition=composition,
        rsi_visuals=dict(to_jsonable(result.rsi_visuals)),
        plan=plan,
        json_ready=True,
    )


def _check_shape(action: Action, setup: Setup | None, plan: Setup | None) -> None:
    """WAIT has no setup (its plan, if any, is a below-threshold one); LONG/SHORT have one on their side."""
    if action is Action.WAIT:
        if setup is not None:
            raise StrategyError("a WAIT must not carry a setup")
        return
    if setup is None:
        raise StrategyError(f"action {action.value} without a setup")
    if setup.side != action.value:
        raise StrategyError(f"action {action.value} with a {setup.side} setup")
    if plan is not None and plan != setup:
        raise StrategyError("a LONG/SHORT's plan is its setup")


def _check_setup(action: Action, setup: Setup | None) -> None:
    """A LONG/SHORT setup's prices are finite, positive and in the right order."""
    if action is Action.WAIT or setup is None:
        return
    for name in ("entry", "tp", "sl", "rr"):
        number = _finite_number(getattr(setup, name), f"setup.{name}")
        if number <= 0:
            raise StrategyError(f"setup {name} is {number!r}: prices and rr must be > 0")
    ordered = (
        setup.sl < setup.entry < setup.tp if action is Action.LONG else setup.tp < setup.entry < setup.sl
    )
    if not ordered:
        raise StrategyError(f"{action.value} setup prices out of order: {setup}")


def _finite_number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise StrategyError(f"{what} is not a number: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise StrategyError(f"{what} is not finite: {number}")
    return number


def to_jsonable(value: Any) -> Any:
    """A JSON-able copy (see :func:`quantpro.jsonsafe.jsonable`); anything else is a StrategyError."""
    try:
        return jsonable(value)
    except TypeError as exc:
        raise StrategyError(f"result is not JSON-able ({exc})") from exc
