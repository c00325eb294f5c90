"""Breakout: a hand-built RSI trendline break, with entry, stop and target checked by hand, and the
defects of part one's geometry measured on the real sample (docs/design.md §12)."""

from __future__ import annotations

import numpy as np
import pytest

from quantpro.models import Action
from quantpro.strategies import Breakout, run_strategy

from .builders import build_context, features_with_rsi, flat_ltf, rsi_with_line, with_htf

N = 100
LAST = N - 1
BREAK = {LAST - 1: 3.0, LAST: 6.0}  # the line 40→80 broken at row 98, RSI 6 points past it now


def breakout_context(
    rsi: np.ndarray, close: np.ndarray | None = None, *, price: float | None = None, **kw: float
):
    """A dictated HTF (ATR 1, wicks ±0.5) and a quiet LTF ending at ``price`` (the HTF's last close)."""
    htf = features_with_rsi(rsi, close=close, **kw)
    end = float(htf.candles.close[-1]) if price is None else price
    return with_htf(build_context(flat_ltf(60, end)), htf)


def rally_close(peak: float = 107.0) -> np.ndarray:
    """Flat at 100 with one earlier swing high (row 60, the pattern's top), then 101 on the break bar
    (row 98) and 102 on the last."""
    close = np.full(N, 100.0)
    close[60] = peak
    close[LAST - 1], close[LAST] = 101.0, 102.0
    return close


def test_known_break_one_bar_ago() -> None:
    result = run_strategy(Breakout(), breakout_context(rsi_with_line(N, tail=BREAK), rally_close()))
    assert result.action is Action.LONG, result.reason
    assert result.rsi_visuals["resistance"]["pivot_rows"] == [40, 80]
    assert result.rsi_visuals["resistance"]["touch_rows"] == [40, 60, 80]
    assert result.rsi_visuals["break_row"] == LAST - 1
    setup = result.setup
    assert setup is not None
    assert setup.entry == 102.0  # the current price
    assert result.details["trigger_price"] == 101.0  # the break's close
    assert setup.sl == pytest.approx(99.5 - 0.5)  # the swing since the bar before the break − 0.5 ATR
    assert setup.tp == pytest.approx(107.5)  # the pattern's top: the highest high since the line began
    assert setup.rr == pytest.approx(5.5 / 3.0, abs=1e-4)
    comp = result.score_composition
    assert comp["line_touches"] == 10.0 and comp["line_span"] == 10.0
    assert comp["rsi_margin"] == 10.0 and comp["rsi_side"] == 5.0 and comp["price_momentum"] == 10.0
    assert result.score == 75.0


def test_the_stop_is_beyond_the_swing_however_far_and_the_bound_judges_it() -> None:
    """Part one capped the stop at 2.5 ATR, inside the structure; now the plan is refused instead."""
    context = breakout_context(rsi_with_line(N, tail=BREAK), rally_close())
    context.htf.candles.low[LAST - 2] = 90.0  # a deep wick on the bar before the break (our own copy)
    result = run_strategy(Breakout(), context)
    assert result.action is Action.WAIT and result.setup is None
    assert result.reason == "stop 12.3 % away exceeds 10 %"  # 102 → 89.5
    assert result.details["rejected_plan"]["sl"] == pytest.approx(89.5)
    assert result.score == 75.0  # the score is kept: the near miss stays visible


def test_a_stop_close_to_the_swing_is_at_least_one_atr_away() -> None:
    close = rally_close()
    close[LAST - 4 : LAST] = 101.6  # the swing since the bar before the break: 101.1 → stop 100.6
    result = run_strategy(Breakout(), breakout_context(rsi_with_line(N, tail=BREAK), close))
    plan = result.setup or result.plan
    assert plan is not None and plan.sl == pytest.approx(100.6), result.reason
    close[LAST - 4 : LAST] = 102.2  # swing 101.7 → 101.2, inside one ATR: the stop goes to 1 ATR, 101.0
    result = run_strategy(Breakout(), breakout_context(rsi_with_line(N, tail=BREAK), close))
    plan = result.setup or result.plan
    assert plan is not None and plan.sl == pytest.approx(101.0), result.reason


def test_entry_is_the_current_price_not_the_break_bar_close() -> None:
    """Part one quoted the break bar's close as the entry after price had moved up to 27 % further."""
    context = breakout_context(rsi_with_line(N, tail=BREAK), rally_close(peak=120.0), price=106.0, atr=2.0)
    result = run_strategy(Breakout(), context)
    plan = result.setup or result.plan
    assert plan is not None, result.reason
    assert plan.entry == 106.0  # the last closed LTF close, 5 % above the break's close
    assert result.details["trigger_price"] == 101.0
    assert plan.sl == pytest.approx(98.5) and plan.tp == pytest.approx(120.5)
    assert plan.rr == pytest.approx(14.5 / 7.5, abs=1e-4)  # judged from the entry, not the trigger


def test_price_already_past_the_target_is_wait() -> None:
    context = breakout_context(rsi_with_line(N, tail=BREAK), rally_close(peak=107.0), price=108.0)
    result = run_strategy(Breakout(), context)
    assert result.action is Action.WAIT and result.setup is None and result.plan is None
    assert result.reason is not None and result.reason.startswith("price already past the target")


def test_target_is_a_level_the_pattern_reached_not_a_multiple_of_its_height() -> None:
    """Part one aimed at 1.618 × the pattern's height (+40 % median, +332 % worst on the real sample):
    here a 60-bar slide of 40 % is broken; the target is the slide's top, judged by the bounds."""
    close = np.full(N, 100.0)
    close[40:70] = np.linspace(160.0, 100.0, 30)
    close[LAST - 1], close[LAST] = 101.0, 102.0
    result = run_strategy(Breakout(), breakout_context(rsi_with_line(N, tail=BREAK), close, atr=2.0))
    assert result.action is Action.WAIT and result.setup is None
    assert result.reason == "target 57.4 % away exceeds 25 %"  # 102 → 160.5
    assert result.details["rejected_plan"]["tp"] == pytest.approx(160.5)
    close[40:70] = np.linspace(112.0, 100.0, 30)  # a 10 % slide: its top is a reachable target
    result = run_strategy(Breakout(), breakout_context(rsi_with_line(N, tail=BREAK), close, atr=2.0))
    assert result.action is Action.LONG, result.reason
    assert result.setup is not None and result.setup.tp == pytest.approx(112.5)
    assert 100 * (result.setup.tp - 102.0) / 102.0 <= 25.0


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


def test_short_break_with_room_below_is_short() -> None:
    rsi = 100.0 - rsi_with_line(N, tail=BREAK)  # support 40→80 broken at row 98
    close = 200.0 - rally_close()  # a swing low of 93 at row 60; 99 on the break bar, 98 now
    result = run_strategy(Breakout(), breakout_context(rsi, close))
    assert result.action is Action.SHORT, result.reason
    setup = result.setup
    assert setup is not None and 0 < setup.tp < setup.entry < setup.sl
    assert (setup.entry, setup.sl, setup.tp) == (98.0, pytest.approx(101.0), pytest.approx(92.5))
    assert result.details["trigger_price"] == 99.0
