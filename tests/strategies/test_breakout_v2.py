"""BreakoutV2: hand-built RSI breaks — initial, retest, fakeout, continuation, no crossing — and the
Cardwell, OBV and zero-target rules."""

from __future__ import annotations

import numpy as np
import pytest

from quantpro.models import Action
from quantpro.strategies import BreakoutV2, run_strategy
from quantpro.strategies.breakout_v2 import cardwell_zone
from quantpro.strategies.common import divergence, obv_strength

from .builders import (
    M15,
    breakout_htf,
    build_context,
    features_with_rsi,
    frame,
    path,
    rising_ltf,
    rsi_with_line,
    with_htf,
)

N = 100
LAST = N - 1


def falling_ltf() -> object:
    return frame(path(100.0, (300, 0.0), (40, -0.002)), M15)


def v2(rsi: np.ndarray, *, ltf: object = None, close: np.ndarray | None = None, atr: float = 1.0):
    """Run BreakoutV2 on a dictated HTF RSI (flat price 100, ATR 1) and a rising LTF."""
    context = build_context(ltf if ltf is not None else rising_ltf())
    return run_strategy(BreakoutV2(), with_htf(context, features_with_rsi(rsi, close=close, atr=atr)))


def test_initial_break_is_long_with_a_3_atr_stop() -> None:
    result = v2(rsi_with_line(N, tail={LAST - 1: 2.0, LAST: 3.0}))  # broken 1 bar ago, RSI 68.25
    assert result.action is Action.LONG, result.reason
    assert result.details["break_kind"] == "initial"
    assert result.details["cardwell_zone"] == "momentum"
    assert result.rsi_visuals["resistance"]["pivot_rows"] == [40, 80]
    setup = result.setup
    assert setup is not None
    assert (setup.entry, setup.sl, setup.tp, setup.rr) == (100.0, 97.0, 109.0, 3.0)  # 3 ATR; 3 R ≥ range 1.0
    comp = result.score_composition
    assert comp["base"] == 30.0 and comp["obv_strength"] == 15.0 and comp["cardwell"] == 15.0
    assert comp["reward_risk"] == 5.0 and comp["retest_quality"] == 0.0
    assert result.score == 75.0


def test_no_crossing_found_is_wait_without_a_setup() -> None:
    """The owner's first version still produced a setup when no crossing was found."""
    result = v2(rsi_with_line(N))
    assert result.action is Action.WAIT
    assert result.setup is None
    assert result.reason == "no crossing found"


def test_fakeout_is_wait() -> None:
    result = v2(rsi_with_line(N, tail={LAST - 3: 3.0, LAST - 2: 3.0, LAST - 1: 2.0, LAST: -1.0}))
    assert result.action is Action.WAIT
    assert result.reason == "fakeout: RSI fell back through the line"


def test_break_by_less_than_one_point_is_wait() -> None:
    result = v2(rsi_with_line(N, tail={LAST - 1: 0.5, LAST: 3.0}))
    assert result.action is Action.WAIT
    assert result.reason == "RSI only 0.50 past the line at the break (1 needed)"


def test_retest_is_long_with_a_1_5_atr_stop() -> None:
    tail = dict.fromkeys(range(88, 96), 8.0)  # broken 11 bars ago, ran away
    tail |= {96: 5.0, 97: 3.0, 98: 1.5, 99: 4.0}  # came back to 1.5 points above the line, bounced
    result = v2(rsi_with_line(N, tail=tail))
    assert result.action is Action.LONG, result.reason
    assert result.details["break_kind"] == "retest"
    assert result.details["retest_distance"] == 1.5
    setup = result.setup
    assert setup is not None
    assert (setup.sl, setup.tp, setup.rr) == (98.5, 104.5, 3.0)
    assert result.score_composition["retest_quality"] == pytest.approx(5.0)
    assert result.score == 80.0


@pytest.mark.parametrize(
    ("n", "reason"),
    [
        (N, "continuation: the break was 15 bars ago and RSI is not retesting the line"),
        (N + 10, "continuation: the break was 25 bars ago"),
    ],
)
def test_continuation_is_wait(n: int, reason: str) -> None:
    result = v2(rsi_with_line(n, tail=dict.fromkeys(range(84, n), 8.0)))  # broken at row 84, ran away
    assert result.action is Action.WAIT
    assert result.reason == reason


def test_cardwell_bear_range_blocks_a_long() -> None:
    result = v2(rsi_with_line(N, slope=-1.0, tail={LAST - 1: 3.0, LAST: 5.0}))  # RSI ≈ 26 after the break
    assert result.action is Action.WAIT
    assert result.reason == "Cardwell range is against a LONG"


@pytest.mark.parametrize(
    ("rsi", "side", "zone"),
    [
        (65.0, "LONG", "momentum"),
        (55.0, "LONG", "neutral"),
        (75.0, "LONG", "extreme"),
        (45.0, "LONG", None),
        (35.0, "SHORT", "momentum"),
        (45.0, "SHORT", "neutral"),
        (25.0, "SHORT", "extreme"),
        (50.0, "SHORT", None),
    ],
)
def test_cardwell_zones(rsi: float, side: str, zone: str | None) -> None:
    assert cardwell_zone(rsi, side) == zone  # type: ignore[arg-type]


def test_obv_against_the_side_is_wait() -> None:
    result = v2(rsi_with_line(N, tail={LAST - 1: 2.0, LAST: 3.0}), ltf=falling_ltf())
    assert result.action is Action.WAIT
    assert result.reason == "LTF OBV slope does not agree with a LONG"


def test_obv_strength_is_unitless() -> None:
    """The owner scored raw OBV units; scaling every volume by 1e6 must leave the score unchanged."""
    steps = [(1, 0.003) if i % 2 == 0 else (1, -0.002) for i in range(40)]
    close = path(100.0, (300, 0.0), *steps)
    volume = np.where(np.arange(340) % 2 == 0, 1200.0, 800.0)
    results = []
    for scale in (1.0, 1e6):
        context = build_context(frame(close, M15, volume=volume * scale), breakout_htf())
        results.append(run_strategy(BreakoutV2(), context))
    small, large = results
    assert 0.0 < small.score_composition["obv_strength"] < 15.0  # not clipped: the scale would show
    assert large.score_composition == pytest.approx(small.score_composition)
    assert large.score == small.score


def test_obv_strength_by_hand() -> None:
    features = features_with_rsi(np.full(30, 50.0))  # volume 1000 a bar, OBV +1000 a bar
    assert obv_strength(features) == pytest.approx(1.0)
    scaled = features_with_rsi(np.full(30, 50.0))
    object.__setattr__(scaled, "obv", np.arange(30) * 100.0)
    assert obv_strength(scaled) == pytest.approx(0.1)


def test_short_whose_target_would_cross_zero_is_wait() -> None:
    rsi = 100.0 - rsi_with_line(N, tail={LAST - 1: 2.0, LAST: 3.0})  # support broken, RSI 31.75
    close = np.linspace(100.0, 6.0, N)  # the 50-bar range (≈ 47) projected below 6
    result = v2(rsi, ltf=falling_ltf(), close=close, atr=0.5)
    assert result.action is Action.WAIT
    assert result.setup is None
    assert result.reason is not None and "at or below zero" in result.reason


def test_short_break_with_room_is_short() -> None:
    rsi = 100.0 - rsi_with_line(N, tail={LAST - 1: 2.0, LAST: 3.0})
    result = v2(rsi, ltf=falling_ltf())
    assert result.action is Action.SHORT, result.reason
    assert result.setup is not None
    assert (result.setup.entry, result.setup.sl, result.setup.tp) == (100.0, 103.0, 91.0)


def test_hidden_divergence_by_hand() -> None:
    # price: higher low at row 30 than at row 15; RSI: lower low → hidden bullish divergence
    low = np.full(50, 100.0)
    low[15], low[30] = 90.0, 95.0
    rsi = np.full(50, 50.0)
    rsi[15], rsi[30] = 35.0, 30.0
    features = features_with_rsi(rsi, close=low + 0.5)
    assert divergence(features, "LONG", "hidden")
    assert not divergence(features, "LONG", "regular")
    assert not divergence(features, "SHORT", "hidden")
