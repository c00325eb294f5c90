"""The strategy plug-in interface and the safe wrapper every call goes through (docs/architecture.md).

A strategy is pure: it reads a :class:`SharedContext` and returns a :class:`StrategyResult`; it never
mutates the context or its arrays. :func:`run_strategy` is the only way the scanner calls one. It
guarantees the scan's promise that **every market gets one result per strategy**: an exception or an
invalid result is logged as a warning and replaced by a WAIT whose reason starts with
``"strategy error: "`` (score 0), rather than dropping the market's signal.
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

log = logging.getLogger(__name__)

ACTION_THRESHOLD = 70.0  # the score at which a setup becomes an actionable LONG/SHORT


class Strategy(ABC):
    """A scoring strategy. Subclasses set ``name`` and ``strategy_type`` and implement ``analyze``."""

    name: ClassVar[str]
    strategy_type: ClassVar[str]  # the feed's meta.strategy_type: legacy | breakout | breakout_v2

    @abstractmethod
    def analyze(self, context: SharedContext) -> StrategyResult:
        """Score one market. Must not mutate ``context``. Called through :func:`run_strategy`."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def run_strategy(strategy: Strategy, context: SharedContext) -> StrategyResult:
    """Run ``strategy`` on ``context`` and return a validated, JSON-able result — never raise.

    A strategy that raises or returns something invalid (NaN score, a LONG whose stop is above its
    entry, a non-JSON detail, …) yields ``WAIT`` with ``reason="strategy error: …"`` and score 0, so the
    market still has its one signal for this strategy and the scan goes on.
    """
    try:
        return validate_result(strategy.analyze(context))
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


def validate_result(result: StrategyResult) -> StrategyResult:
    """The one validation of a strategy result: check its invariants and return a clean copy (score
    clamped to 0–100 and rounded, setup prices finite and ordered, every dict plain JSON, marked
    ``json_ready`` so nothing downstream checks or converts it again).

    Raises :class:`StrategyError` when the result cannot be trusted.
    """
    if not isinstance(result, StrategyResult):
        raise StrategyError(f"analyze returned {type(result).__name__}, not StrategyResult")
    action, bias = Action(result.action), Bias(result.bias)
    score = _finite_number(result.score, "score")
    _check_setup(action, result.setup)
    if action is Action.WAIT and not result.reason:
        raise StrategyError("a WAIT must say why (reason)")
    composition = {
        str(key): _finite_number(value, f"score_composition[{key}]")
        for key, value in result.score_composition.items()
    }
    details = dict(to_jsonable(result.details))
    details["reason"] = result.reason  # the documented field wins over a strategy's own
    return StrategyResult(
        action=action,
        bias=bias,
        score=round(min(100.0, max(0.0, score)), 2),
        setup=result.setup,
        reason=result.reason,
        details=details,
        htf=dict(to_jsonable(result.htf)),
        ltf=dict(to_jsonable(result.ltf)),
        score_composition=composition,
        rsi_visuals=dict(to_jsonable(result.rsi_visuals)),
        json_ready=True,
    )


def _check_setup(action: Action, setup: Setup | None) -> None:
    """WAIT has no setup; LONG/SHORT have one on their side with prices in the right order."""
    if action is Action.WAIT:
        if setup is not None:
            raise StrategyError("a WAIT must not carry a setup")
        return
    if setup is None:
        raise StrategyError(f"action {action.value} without a setup")
    if setup.side != action.value:
        raise StrategyError(f"action {action.value} with a {setup.side} setup")
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
