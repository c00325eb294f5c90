"""Contract tests parametrized over the strategy registry (docs/architecture.md), the registry itself
and the safe wrapper."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import ClassVar

import numpy as np
import pytest

from quantpro.analysis.features import SharedContext
from quantpro.errors import ConfigError
from quantpro.models import Action, Bias, MarketData, Setup, StrategyResult, neutral_market_data
from quantpro.strategies import STRATEGIES, Strategy, get_strategies, run_strategy

from .builders import END_MS, M15, build_context, flat_ltf, frame, path, textbook_context

NAMES = sorted(STRATEGIES)


def result_json(result: StrategyResult) -> str:
    """The result as strict JSON (fails on NaN/Infinity or non-JSON objects)."""
    data = asdict(result)
    return json.dumps(data, allow_nan=False, default=str)


def assert_valid(result: StrategyResult) -> None:
    assert isinstance(result.action, Action) and isinstance(result.bias, Bias)
    assert 0.0 <= result.score <= 100.0
    if result.action is Action.WAIT:
        assert result.setup is None and result.reason
    else:
        assert result.setup is not None and result.setup.side == result.action.value
    result_json(result)


def fingerprint(context: SharedContext) -> str:
    """A hash of every array and the external data of a context."""
    digest = hashlib.sha256()
    for tf in (context.ltf, context.htf):
        for name in ("time", "open", "high", "low", "close", "volume"):
            digest.update(getattr(tf.candles, name).tobytes())
        for name in (
            "rsi",
            "ema50",
            "ema200",
            "adx",
            "plus_di",
            "minus_di",
            "atr",
            "bb_upper",
            "bb_middle",
            "bb_lower",
            "obv",
            "volume_sma",
        ):
            digest.update(getattr(tf, name).tobytes())
    digest.update(json.dumps(context.external_data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


# --- the registry --------------------------------------------------------------------------------


def test_registry_holds_exactly_the_three_strategies() -> None:
    assert set(STRATEGIES) == {"Legacy", "Breakout", "BreakoutV2"}
    assert {cls.strategy_type for cls in STRATEGIES.values()} == {"legacy", "breakout", "breakout_v2"}
    assert all(name == cls.name for name, cls in STRATEGIES.items())


def test_get_strategies_all_and_lists() -> None:
    assert [s.name for s in get_strategies()] == ["Legacy", "Breakout", "BreakoutV2"]
    assert [s.name for s in get_strategies("ALL")] == ["Legacy", "Breakout", "BreakoutV2"]
    assert [s.name for s in get_strategies("breakoutv2, legacy,Legacy")] == ["BreakoutV2", "Legacy"]


@pytest.mark.parametrize("spec", ["Momentum", "Legacy,Nope", ""])
def test_unknown_strategy_names_the_valid_ones(spec: str) -> None:
    with pytest.raises(ConfigError) as info:
        get_strategies(spec)
    bad = spec.rsplit(",", maxsplit=1)[-1].strip()
    assert str(info.value) == f"unknown strategy {bad!r}; valid names are Breakout, BreakoutV2, Legacy"


# --- every strategy ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_neutral_context_gives_a_valid_result(name: str) -> None:
    context = build_context(flat_ltf(), None, neutral_market_data())
    result = run_strategy(STRATEGIES[name](), context)
    assert_valid(result)
    assert not (result.reason or "").startswith("strategy error")


@pytest.mark.parametrize("name", NAMES)
def test_textbook_setup_reaches_70_and_is_actionable(name: str) -> None:
    result = run_strategy(STRATEGIES[name](), textbook_context(name))
    assert_valid(result)
    assert result.score >= 70.0
    assert result.action is Action.LONG
    assert result.score_composition["derivatives_oi"] == 10.0
    assert sum(result.score_composition.values()) == pytest.approx(result.score, abs=0.01)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_not_mutated(name: str) -> None:
    context = textbook_context(name)
    before = fingerprint(context)
    for _ in range(2):
        run_strategy(STRATEGIES[name](), context)
    assert fingerprint(context) == before


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("ltf_bars", [60, 4000])
def test_missing_htf_file_never_crashes(name: str, ltf_bars: int) -> None:
    """The owner's BreakoutV2 crashed without an HTF file and lost the signal; the HTF is resampled."""
    close = path(100.0, (ltf_bars, 0.0005)) * (1 + 0.01 * np.sin(np.arange(ltf_bars) / 7.0))
    context = build_context(frame(close, M15), None)
    assert context.htf_resampled
    result = STRATEGIES[name]().analyze(context)  # called bare: an exception would surface here
    assert_valid(run_strategy(STRATEGIES[name](), context))
    assert not (result.reason or "").startswith("strategy error")


def _market(values: list[float] | None, status: str = "resolved", degraded: bool = False) -> MarketData:
    scan_s = END_MS // 1000
    first = scan_s - 900 * len(values or [])
    return {
        "oi_history": [{"timestamp": first + 900 * i, "value": v} for i, v in enumerate(values or [])],
        "funding_rate": None,
        "ls_ratio": None,
        "liquidations": None,
        "oi_status": status,  # type: ignore[typeddict-item]
        "coinalyze_symbol": None if status == "neutral" else "TESTUSDT_PERP.A",
        "oi_metadata": {"degraded": degraded, "reason": "HTTP 503" if degraded else None},
    }


@pytest.mark.parametrize("name", NAMES)
def test_neutral_rule_is_applied(name: str) -> None:
    """Neutral, failed and missing-data markets score oi 10 and exactly what a flat-OI market scores."""
    flat = run_strategy(STRATEGIES[name](), textbook_context(name, _market([100.0] * 40)))
    others = [
        _market(None, status="neutral"),
        _market(None, degraded=True),
        _market([]),
        _market([100.0] * 5 + [200.0]),  # too few buckets
    ]
    for data in others:
        result = run_strategy(STRATEGIES[name](), textbook_context(name, data))
        assert result.score_composition["derivatives_oi"] == 10.0
        assert result.score == flat.score
    rising = run_strategy(STRATEGIES[name](), textbook_context(name, _market([100.0] * 29 + [130.0])))
    assert rising.score_composition["derivatives_oi"] == 30.0
    assert rising.score == pytest.approx(min(100.0, flat.score + 20.0))


@pytest.mark.parametrize("name", NAMES)
def test_funding_changes_the_score(name: str) -> None:
    """The owner read funding from a field that does not exist: here `funding_rate` moves the score."""
    base = run_strategy(STRATEGIES[name](), textbook_context(name))
    data = neutral_market_data(None)
    data.update(oi_status="resolved", coinalyze_symbol="TESTUSDT_PERP.A", funding_rate=0.09)
    crowded = run_strategy(STRATEGIES[name](), textbook_context(name, data))
    assert crowded.score_composition["derivatives_funding"] == -3.0
    assert crowded.score == pytest.approx(base.score - 3.0)


# --- the safe wrapper ----------------------------------------------------------------------------


class _Broken(Strategy):
    name: ClassVar[str] = "Broken"
    strategy_type: ClassVar[str] = "broken"

    def __init__(self, result: StrategyResult | None = None) -> None:
        self.result = result

    def analyze(self, context: SharedContext) -> StrategyResult:
        if self.result is None:
            raise ZeroDivisionError("boom")
        return self.result


def test_an_exception_becomes_a_wait_with_the_reason(caplog: pytest.LogCaptureFixture) -> None:
    result = run_strategy(_Broken(), build_context(flat_ltf(60)))
    assert result.action is Action.WAIT and result.setup is None and result.score == 0.0
    assert result.reason == "strategy error: ZeroDivisionError: boom"
    assert "Broken failed on BINANCE TESTUSDT" in caplog.text


@pytest.mark.parametrize(
    "bad",
    [
        StrategyResult(Action.LONG, Bias.LONG, 80.0, None),
        StrategyResult(Action.SHORT, Bias.SHORT, 80.0, Setup("LONG", entry=100.0, tp=110.0, sl=98.0, rr=5.0)),
        StrategyResult(
            Action.LONG,
            Bias.LONG,
            80.0,
            Setup("LONG", entry=100.0, tp=104.0, sl=98.0, rr=2.0),
            plan=Setup("LONG", entry=100.0, tp=110.0, sl=98.0, rr=5.0),
        ),
        StrategyResult(
            Action.WAIT, Bias.NONE, 10.0, Setup("LONG", entry=100.0, tp=110.0, sl=90.0, rr=1.0), "x"
        ),
        StrategyResult(Action.WAIT, Bias.NONE, float("nan"), None, "x"),
        StrategyResult(Action.WAIT, Bias.NONE, 10.0, None, None),
        StrategyResult(Action.WAIT, Bias.NONE, 10.0, None, "x", details={"obj": object()}),
        StrategyResult(Action.WAIT, Bias.NONE, 10.0, None, "x", score_composition={"a": float("inf")}),
    ],
)
def test_invalid_results_become_a_wait(bad: StrategyResult) -> None:
    result = run_strategy(_Broken(bad), build_context(flat_ltf(60)))
    assert result.action is Action.WAIT and result.setup is None
    assert (result.reason or "").startswith("strategy error: StrategyError")


@pytest.mark.parametrize(
    ("plan", "reason"),
    [
        (Setup("LONG", entry=100.0, tp=110.0, sl=101.0, rr=2.0), "price already past the stop"),
        (Setup("SHORT", entry=100.0, tp=-5.0, sl=101.0, rr=2.0), "SHORT target -5 at or below zero"),
    ],
)
def test_plans_on_the_wrong_side_of_the_price_become_a_wait_saying_so(plan: Setup, reason: str) -> None:
    """Judged from the current price (docs/design.md §12): the owner's SHORT target below zero too."""
    action = Action(plan.side)
    result = run_strategy(
        _Broken(StrategyResult(action, Bias(plan.side), 80.0, plan)), build_context(flat_ltf(60))
    )
    assert result.action is Action.WAIT and result.setup is None
    assert result.reason == reason


def test_results_are_cleaned_and_clamped() -> None:
    raw = StrategyResult(
        Action.WAIT,
        Bias.NONE,
        130.0,
        None,
        "x",
        details={"v": np.float64("nan"), "n": np.int64(3), "t": (1, 2)},
    )
    result = run_strategy(_Broken(raw), build_context(flat_ltf(60)))
    assert result.score == 100.0
    assert result.details == {"v": None, "n": 3, "t": [1, 2], "reason": "x"}
