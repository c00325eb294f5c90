"""The wrapper judges every plan (docs/design.md §12): entry at the current price, each bound named,
no clamping, ticks, fees, stale candles — for any strategy, through ``run_strategy``."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import numpy as np
import pytest

from quantpro.analysis.features import SharedContext
from quantpro.models import Action, Bias, MarketKey, Setup, StrategyResult
from quantpro.runs.analyze import signals_for
from quantpro.settings import load_settings
from quantpro.strategies import PlanRules, Strategy, run_strategy
from quantpro.strategies.plan import PlanTimeframe, round_price

from .builders import build_context, features_with_rsi, flat_ltf, with_htf

PRICE = 100.0


class Planned(Strategy):
    """A plug-in that draws the plan it is given, with the score it is given."""

    name: ClassVar[str] = "Planned"
    strategy_type: ClassVar[str] = "planned"

    def __init__(self, plan: Setup, score: float = 80.0, drawn_on: PlanTimeframe = "htf") -> None:
        self.plan, self.score = plan, score
        self.plan_timeframe = drawn_on  # type: ignore[misc]
        self.calls = 0

    def analyze(self, context: SharedContext) -> StrategyResult:
        self.calls += 1
        side = Action(self.plan.side)
        if self.score < 70.0:
            return StrategyResult(
                Action.WAIT, Bias(side.value), self.score, reason="score low", plan=self.plan
            )
        return StrategyResult(side, Bias(side.value), self.score, setup=self.plan, plan=self.plan)


def market(ltf_atr: float = 0.2, htf_atr: float = 2.0) -> SharedContext:
    """Price 100 on both timeframes; ATR(14) exactly ``ltf_atr`` on the 15m and ``htf_atr`` on the 4h."""
    base = with_htf(build_context(flat_ltf(60)), features_with_rsi(np.full(60, 50.0), atr=htf_atr))
    return replace(base, ltf=features_with_rsi(np.full(60, 50.0), atr=ltf_atr, timeframe="15m"))


def long(sl: float, tp: float, entry: float = PRICE) -> Setup:
    return Setup("LONG", entry=entry, tp=tp, sl=sl, rr=1.0)


def short(sl: float, tp: float) -> Setup:
    return Setup("SHORT", entry=PRICE, tp=tp, sl=sl, rr=1.0)


def judged(plan: Setup, context: SharedContext | None = None, rules: PlanRules | None = None, **kw: object):
    strategy = Planned(plan, **kw)  # type: ignore[arg-type]
    return run_strategy(strategy, context or market(), rules or PlanRules())


def test_a_plan_within_every_bound_is_entered_at_the_current_price() -> None:
    result = judged(long(sl=98.0, tp=104.0, entry=95.0))  # the strategy quoted its own trigger
    assert result.action is Action.LONG
    assert result.setup == Setup("LONG", entry=PRICE, tp=104.0, sl=98.0, rr=2.0)
    assert result.plan == result.setup
    assert result.details["trigger_price"] == 95.0
    assert result.details["reason"] is None


@pytest.mark.parametrize(
    ("plan", "reason"),
    [
        (long(sl=99.8, tp=102.0), "stop 0.20 % away is below 0.3 %"),
        (long(sl=88.0, tp=130.0), "stop 12.0 % away exceeds 10 %"),
        (long(sl=95.0, tp=130.0), "target 30.0 % away exceeds 25 %"),
        (long(sl=95.0, tp=221.3), "target 121.3 % away exceeds 25 %"),
        (long(sl=95.0, tp=118.0), "target 9.0 ATR away exceeds 8 ATR of the 4h"),
        (long(sl=98.0, tp=102.5), "reward/risk 1.25 below 1.5"),
        (long(sl=98.0, tp=99.5), "price already past the target"),
        (long(sl=100.5, tp=104.0), "price already past the stop"),
    ],
)
def test_each_bound_names_itself_and_nothing_is_clamped(plan: Setup, reason: str) -> None:
    result = judged(plan)
    assert result.action is Action.WAIT and result.setup is None and result.plan is None
    assert result.reason == reason
    assert result.details["rejected_plan"] == {"side": "LONG", "sl": plan.sl, "tp": plan.tp}
    assert result.score == 80.0  # the score stays: the market is still ranked


def test_the_stop_needs_half_an_ltf_atr_whatever_the_percent() -> None:
    result = judged(long(sl=99.6, tp=104.0), market(ltf_atr=1.0))
    assert result.reason == "stop 0.40 ATR away is below 0.5 ATR of the 15m"


def test_the_target_is_judged_by_the_atr_of_the_timeframe_the_plan_is_drawn_on() -> None:
    plan = long(sl=99.0, tp=104.0)  # 4 % = 2 ATR of the 4h, 20 ATR of the 15m
    assert judged(plan, drawn_on="htf").action is Action.LONG
    assert judged(plan, drawn_on="ltf").reason == "target 20.0 ATR away exceeds 8 ATR of the 15m"


def test_short_plans_mirror_and_a_target_at_or_below_zero_is_refused() -> None:
    assert judged(short(sl=102.0, tp=95.0)).setup == Setup("SHORT", PRICE, 95.0, 102.0, 2.5)
    result = judged(short(sl=101.0, tp=-5.0))
    assert result.action is Action.WAIT
    assert result.reason == "SHORT target -5 at or below zero"


def test_a_below_threshold_plan_is_judged_too_and_kept_for_the_backtest() -> None:
    kept = judged(long(sl=98.0, tp=104.0), score=60.0)
    assert kept.action is Action.WAIT and kept.setup is None
    assert kept.reason == "score low" and kept.plan == Setup("LONG", PRICE, 104.0, 98.0, 2.0)
    refused = judged(long(sl=98.0, tp=130.0), score=60.0)
    assert refused.plan is None and refused.reason == "target 30.0 % away exceeds 25 %"


def test_the_bounds_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUANTPRO_MAX_TARGET_PCT", "5")
    monkeypatch.setenv("QUANTPRO_MIN_STOP_PCT", "2.5")
    rules = PlanRules.from_settings(load_settings(max_stop_pct=3.0))
    assert (rules.min_stop_pct, rules.max_stop_pct, rules.max_target_pct) == (2.5, 3.0, 5.0)
    assert judged(long(sl=98.0, tp=104.0), rules=rules).reason == "stop 2.00 % away is below 2.5 %"
    assert judged(long(sl=96.5, tp=106.0), rules=rules).reason == "stop 3.50 % away exceeds 3 %"
    assert judged(long(sl=97.0, tp=106.0), rules=rules).reason == "target 6.00 % away exceeds 5 %"


@pytest.mark.parametrize(
    ("plan", "sl", "tp"),
    [
        (long(sl=98.3, tp=104.2), 98.0, 104.0),  # a LONG's stop down (away), its target down (toward)
        (short(sl=101.2, tp=95.8), 101.5, 96.0),  # a SHORT's stop up, its target up
        (long(sl=98.0, tp=104.0), 98.0, 104.0),  # already on the grid: unchanged
    ],
)
def test_prices_are_rounded_to_the_tick_stop_away_target_toward(plan: Setup, sl: float, tp: float) -> None:
    rules = PlanRules(ticks={MarketKey("BINANCE", "TESTUSDT"): 0.5})
    setup = judged(plan, rules=rules).setup
    assert setup is not None and (setup.sl, setup.tp) == (sl, tp)
    assert setup.rr == round(abs(tp - PRICE) / abs(PRICE - sl), 4)  # rr of the rounded prices


def test_a_market_without_a_known_tick_is_not_rounded() -> None:
    rules = PlanRules(ticks={MarketKey("BINANCE", "OTHERUSDT"): 0.5})
    setup = judged(long(sl=98.3, tp=104.2), rules=rules).setup
    assert setup is not None and (setup.sl, setup.tp) == (98.3, 104.2)


def test_a_target_that_rounds_onto_the_price_is_refused() -> None:
    rules = PlanRules(ticks={MarketKey("BINANCE", "TESTUSDT"): 5.0})
    assert judged(long(sl=90.0, tp=104.0), rules=rules).reason == "target within one tick of the price"


@pytest.mark.parametrize(
    ("value", "tick", "up", "expected"),
    [
        (98.37, 0.1, False, 98.3),
        (98.31, 0.1, True, 98.4),
        (0.3, 0.1, False, 0.3),
        (7.1e-06, 1e-07, True, 7.1e-06),
    ],
)
def test_round_price_is_exact_on_the_grid(value: float, tick: float, up: bool, expected: float) -> None:
    assert round_price(value, tick, up=up) == expected


def test_rr_net_pays_the_fee_setting_on_both_sides() -> None:
    context = market()
    strategy = Planned(long(sl=98.0, tp=104.0))
    for fee in (0.05, 0.2):
        (signal,) = signals_for(context, [strategy], "15m", "4h", PlanRules(fee_pct=fee))
        setup = signal["setup"]
        assert setup is not None and setup["rr"] == 2.0
        fees = 2 * fee / 100 * PRICE
        assert setup["rr_net"] == round((4.0 - fees) / (2.0 + fees), 4)


def test_stale_candles_are_wait_without_analysis_unless_allowed() -> None:
    context = replace(market(), stale=True)
    strategy = Planned(long(sl=98.0, tp=104.0))
    result = run_strategy(strategy, context)
    assert (result.action, result.reason, result.score, result.setup) == (
        Action.WAIT,
        "stale candles",
        0.0,
        None,
    )
    assert strategy.calls == 0
    assert run_strategy(strategy, context, PlanRules(allow_stale=True)).action is Action.LONG
