"""Breakout: a hand-built RSI trendline break, with entry, stop and target checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from quantpro.models import Action
from quantpro.strategies import Breakout, run_strategy

from .builders import build_context, features_with_rsi, flat_ltf, rsi_with_line, with_htf

N = 100
LAST = N - 1


def breakout_context(rsi: np.ndarray, close: np.ndarray | None = None, **kwargs: float):
    return with_htf(build_context(flat_ltf(60)), features_with_rsi(rsi, close=close, **kwargs))


def rally_close() -> np.ndarray:
    """Flat at 100, then 101 on the break bar (row 98) and 102 on the last."""
    close = np.full(N, 100.0)
    close[LAST - 1], close[LAST] = 101.0, 102.0
    return close


def test_known_break_one_bar_ago() -> None:
    rsi = rsi_with_line(N, tail={LAST - 1: 3.0, LAST: 6.0})  # line 40→80, broken at row 98
    result = run_strategy(Breakout(), breakout_context(rsi, rally_close()))
    assert result.action is Action.LONG, result.reason
    assert result.rsi_visuals["resistance"]["pivot_rows"] == [40, 80]
    assert result.rsi_visuals["resistance"]["touch_rows"] == [40, 60, 80]
    assert result.rsi_visuals["break_row"] == LAST - 1
    setup = result.setup
    assert setup is not None
    assert setup.entry == 101.0  # the break's close
    assert setup.sl == pytest.approx(99.5 - 0.5)  # the last 5 bars' low − 0.5 ATR (within 2.5 ATR)
    assert setup.tp == pytest.approx(101.0 + 1.618 * (101.5 - 99.5))  # 1.618 × pattern height
    assert setup.rr == pytest.approx(1.618 * 2.0 / 2.0, abs=1e-3)
    comp = result.score_composition
    assert comp["line_touches"] == 10.0 and comp["line_span"] == 10.0
    assert comp["rsi_margin"] == 10.0 and comp["rsi_side"] == 5.0 and comp["price_momentum"] == 10.0
    assert result.score == 75.0


def test_stop_never_wider_than_2_5_atr() -> None:
    rsi = rsi_with_line(N, tail={LAST - 1: 3.0, LAST: 6.0})
    context = breakout_context(rsi, rally_close())
    context.htf.candles.low[LAST - 3] = 90.0  # a deep wick in the last 5 bars (our own copy)
    result = run_strategy(Breakout(), context)
    assert result.setup is not None
    assert result.setup.sl == pytest.approx(101.0 - 2.5)


def test_break_older_than_3_bars_is_not_taken() -> None:
    tail = dict.fromkeys(range(LAST - 4, N), 6.0)  # crossed at row 95: 4 bars ago
    result = run_strategy(Breakout(), breakout_context(rsi_with_line(N, tail=tail), rally_close()))
    assert result.action is Action.WAIT
    assert result.reason == "no RSI trendline break in the last 3 closed bars"


def test_failed_break_is_wait() -> None:
    rsi = rsi_with_line(N, tail={LAST - 2: 4.0, LAST - 1: 3.0, LAST: -2.0})
    result = run_strategy(Breakout(), breakout_context(rsi, rally_close()))
    assert result.action is Action.WAIT
    assert result.reason == "break failed: RSI is back through the line"


def test_no_line_no_break() -> None:
    result = run_strategy(Breakout(), breakout_context(np.full(N, 50.0)))
    assert result.action is Action.WAIT and result.setup is None


def test_short_whose_target_would_cross_zero_is_wait() -> None:
    """A 1.618 × height target below a crashed price would be negative: no setup, WAIT with reason."""
    rsi = 100.0 - rsi_with_line(N, tail={LAST - 1: 3.0, LAST: 6.0})  # support 40→80 broken at row 98
    close = np.linspace(100.0, 6.0, N)  # the pattern's height ≈ 80, the price ≈ 6
    result = run_strategy(Breakout(), breakout_context(rsi, close, atr=0.5))
    assert result.action is Action.WAIT
    assert result.setup is None
    assert result.reason is not None and "at or below zero" in result.reason


def test_short_break_with_room_below_is_short() -> None:
    rsi = 100.0 - rsi_with_line(N, tail={LAST - 1: 3.0, LAST: 6.0})
    close = np.full(N, 100.0)
    close[LAST - 1], close[LAST] = 99.0, 98.0
    result = run_strategy(Breakout(), breakout_context(rsi, close))
    assert result.action is Action.SHORT, result.reason
    setup = result.setup
    assert setup is not None and 0 < setup.tp < setup.entry < setup.sl
    assert setup.entry == 99.0 and setup.sl == pytest.approx(100.5 + 0.5)
