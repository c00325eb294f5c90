"""Changes between runs (§14) on hand-built sequences: new, gone, flipped, score up and down."""

from __future__ import annotations

from typing import Any, cast

import pytest

from quantpro.feed.changes import SCORE_STEP, count_changes, diff_runs, signal_rows
from quantpro.feed.types import Signal
from quantpro.store.history import SignalRow


def row(
    symbol: str, action: str, score: float, strategy: str = "breakout", exchange: str = "BYBIT"
) -> SignalRow:
    return SignalRow(exchange, symbol, strategy, action, score, 100.0, 95.0, 110.0, 2.0, 1_000)


def kinds(changes: list[Any]) -> list[tuple[str, str]]:
    return [(c.kind, c.symbol) for c in changes]


def test_a_sequence_of_runs_gives_each_kind() -> None:
    run1 = [row("BTCUSDT", "LONG", 72), row("ETHUSDT", "SHORT", 80), row("SOLUSDT", "LONG", 60)]
    run2 = [row("BTCUSDT", "SHORT", 75), row("SOLUSDT", "LONG", 71), row("XRPUSDT", "LONG", 90)]
    run3 = [row("BTCUSDT", "SHORT", 64), row("SOLUSDT", "LONG", 75), row("XRPUSDT", "LONG", 90)]
    assert kinds(diff_runs(run1, run2)) == [
        ("new", "XRPUSDT"),
        ("gone", "ETHUSDT"),
        ("flipped", "BTCUSDT"),
        ("score_up", "SOLUSDT"),
    ]
    step = diff_runs(run2, run3)
    assert kinds(step) == [("score_down", "BTCUSDT")]  # SOL +4 is below the step
    assert step[0].score_delta == -11.0
    assert count_changes(step) == {"new": 0, "gone": 0, "flipped": 0, "score_up": 0, "score_down": 1}
    assert diff_runs(run3, run3) == []


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (60, 60 + SCORE_STEP, ["score_up"]),
        (60, 60 + SCORE_STEP - 0.01, []),
        (60, 60 - SCORE_STEP, ["score_down"]),
    ],
)
def test_the_score_step_is_inclusive(before: float, after: float, expected: list[str]) -> None:
    changes = diff_runs([row("A", "LONG", before)], [row("A", "LONG", after)])
    assert [c.kind for c in changes] == expected


def test_wait_rows_count_as_not_actionable_and_no_previous_run_makes_everything_new() -> None:
    assert kinds(diff_runs([row("A", "WAIT", 90)], [row("A", "LONG", 50)])) == [("new", "A")]
    assert kinds(diff_runs(None, [row("A", "LONG", 50), row("B", "WAIT", 99)])) == [("new", "A")]


def test_only_the_strategies_both_runs_ran_are_compared() -> None:
    before = [row("A", "LONG", 70, "legacy"), row("A", "LONG", 70, "breakout")]
    after = [row("A", "LONG", 70, "breakout")]
    assert kinds(diff_runs(before, after)) == [("gone", "A")]
    assert diff_runs(before, after, strategies={"breakout"}) == []


def test_same_symbol_on_two_venues_and_strategies_are_separate_signals() -> None:
    before = [row("BTCUSDT", "LONG", 70, exchange="BYBIT")]
    after = [row("BTCUSDT", "LONG", 70, exchange="BYBIT"), row("BTCUSDT", "SHORT", 70, exchange="OKX"),
             row("BTCUSDT", "SHORT", 70, "legacy", exchange="BYBIT")]  # fmt: skip
    assert [(c.kind, c.exchange, c.strategy) for c in diff_runs(before, after)] == [
        ("new", "BYBIT", "legacy"),
        ("new", "OKX", "breakout"),
    ]


def test_signal_rows_keep_only_actionable_signals_with_their_plan() -> None:
    base = {"exchange": "MEXC", "symbol": "BTCUSDT", "strategy_name": "legacy", "score": 81.5,
            "entry": 10.0, "stop_loss": 9.0, "take_profit": 13.0, "rr": 3.0, "calculated_at": 5}  # fmt: skip
    signals = cast(list[Signal], [{**base, "action": "LONG"}, {**base, "symbol": "X", "action": "WAIT"}])
    assert signal_rows(signals) == [
        SignalRow("MEXC", "BTCUSDT", "legacy", "LONG", 81.5, 10.0, 9.0, 13.0, 3.0, 5)
    ]
