"""Legacy: a textbook pullback reaches its own threshold (the owner's defect), and each rule."""

from __future__ import annotations

import numpy as np
import pytest

from quantpro.models import Action
from quantpro.strategies import Legacy, run_strategy
from quantpro.strategies.legacy import Pullback, find_pullback, legacy_setup

from .builders import H4, M15, build_context, features_with_rsi, frame, path, textbook_pullback


def legacy(ltf, htf):
    return run_strategy(Legacy(), build_context(ltf, htf))


@pytest.mark.parametrize("side", ["LONG", "SHORT"])
def test_textbook_pullback_reaches_70_and_is_actionable(side: str) -> None:
    """The owner's Legacy could never reach its own signal threshold."""
    result = legacy(*textbook_pullback(side))
    assert result.action is Action(side), result.reason
    assert result.score >= 70.0
    comp = result.score_composition
    assert (comp["trend"], comp["structure"], comp["money_flow"], comp["timing"]) == (25.0, 25.0, 15.0, 15.0)
    assert 0.382 <= result.details["pullback_depth"] <= 0.618
    setup = result.setup
    assert setup is not None
    if side == "LONG":
        assert setup.sl < setup.entry < setup.tp
    else:
        assert 0 < setup.tp < setup.entry < setup.sl
    assert setup.rr >= 2.0


def test_pullback_on_heavy_volume_is_not_actionable() -> None:
    result = legacy(*textbook_pullback("LONG", pullback_volume=6000.0))
    assert result.action is Action.WAIT
    assert result.score_composition["timing"] == 0.0
    assert result.score_composition["penalty_obv"] == -10.0  # OBV now against the bias
    assert result.reason is not None and result.reason.startswith("score ")


def test_shallow_pullback_is_wait() -> None:
    _ltf, htf = textbook_pullback("LONG")
    close = path(100.0, (251, 0.0), (25, 0.004), (24, -0.0004))  # gives back ~10 %
    result = legacy(frame(close, M15), htf)
    assert result.action is Action.WAIT
    assert result.reason is not None and result.reason.startswith("no pullback: depth")


def test_no_htf_trend_is_wait() -> None:
    ltf, _ = textbook_pullback("LONG")
    broken = frame(path(50.0, (250, 0.003), (10, -0.03)), H4)  # EMA 50 still above 200, close below
    result = legacy(ltf, broken)
    assert result.action is Action.WAIT
    assert result.reason is not None and result.reason.startswith("no HTF trend")


def test_short_htf_history_is_wait_with_reason() -> None:
    ltf, htf = textbook_pullback("LONG")
    result = legacy(ltf, htf.tail(120))
    assert result.action is Action.WAIT
    assert result.reason == "HTF EMA 200 needs 200 candles (have 120)"


def test_pullback_depth_by_hand() -> None:
    # impulse: low 99.5 at row 10 → high 110.5 at row 30; close 105 → depth 50 %
    close = np.concatenate([np.linspace(100.0, 110.0, 21), np.linspace(109.0, 105.0, 29)])
    features = features_with_rsi(np.full(60, 50.0), close=np.concatenate([np.full(10, 100.0), close]))
    pullback = find_pullback(features, "LONG")
    assert isinstance(pullback, Pullback)
    assert (pullback.origin, pullback.extreme) == (10, 30)
    assert pullback.depth == pytest.approx((110.5 - 105.0) / (110.5 - 99.5))


def test_short_target_never_at_or_below_zero() -> None:
    features = features_with_rsi(np.full(60, 50.0), close=np.full(60, 2.0), atr=5.0)
    setup = legacy_setup(features, Pullback("SHORT", origin=5, extreme=30, depth=0.5))
    assert isinstance(setup, str) and "at or below zero" in setup
