"""Each execution rule of §13 on hand-built candles: next open, first touch, both in one candle, the
horizon, the fee, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from quantpro.models import Candles
from quantpro.runs.backtest.execution import EXCLUDED_GAP, Plan, Trade, simulate, trade_dict

from .conftest import TRADE_FIELDS

M = 900_000  # 15m
T0 = 1_768_000_000_000 - (1_768_000_000_000 % M)


def candles(rows: list[tuple[float, float, float, float]]) -> Candles:
    """(open, high, low, close) per 15m candle from T0."""
    a = np.asarray(rows, dtype=np.float64)
    times = T0 + M * np.arange(len(rows), dtype=np.int64)
    return Candles("15m", times, a[:, 0], a[:, 1], a[:, 2], a[:, 3], np.ones(len(rows)))


def plan(side: str = "LONG", stop: float = 95.0, target: float = 110.0, cut_index: int = 1) -> Plan:
    return Plan("EX", "AAAUSDT", "Legacy", side, 72.0, T0 + cut_index * M, 100.0, stop, target)  # type: ignore[arg-type]


def run(
    rows: list[tuple[float, float, float, float]], p: Plan, fee: float = 0.0, horizon_bars: int = 8
) -> Trade:
    made = simulate(candles(rows), p, horizon_ms=horizon_bars * M, fee_pct=fee, end_ms=T0 + len(rows) * M)
    assert isinstance(made, Trade), made
    return made


FLAT = (100.0, 101.0, 99.0, 100.0)


def test_filled_at_the_next_open_and_target_first() -> None:
    t = run([FLAT, (101.0, 102.0, 100.0, 101.0), (101.0, 111.0, 100.5, 110.0), FLAT], plan())
    assert (t.entry_ms, t.entry) == (T0 + M, 101.0)  # the candle opening at the cut
    assert (t.exit_reason, t.exit, t.exit_ms) == ("target", 110.0, T0 + 3 * M)
    assert t.r == pytest.approx((110 - 101) / (101 - 95))
    assert t.r_quoted == pytest.approx((110 - 100) / (100 - 95))


def test_stop_first() -> None:
    t = run([FLAT, FLAT, (99.0, 99.5, 94.0, 95.0), (95.0, 120.0, 95.0, 115.0)], plan())
    assert (t.exit_reason, t.exit) == ("stop", 95.0)
    assert t.r == pytest.approx(-1.0)


def test_both_in_one_candle_is_the_stop() -> None:
    t = run([FLAT, FLAT, (100.0, 112.0, 94.0, 100.0)], plan())
    assert t.exit_reason == "stop"


def test_a_gap_through_the_stop_pays_the_gap() -> None:
    t = run([FLAT, FLAT, (90.0, 91.0, 89.0, 90.0)], plan())
    assert (t.exit_reason, t.exit) == ("stop", 90.0)
    assert t.r == pytest.approx(-2.0)


def test_short_mirrors() -> None:
    t = run([FLAT, FLAT, (100.0, 100.5, 89.0, 90.0)], plan("SHORT", stop=105.0, target=90.0))
    assert (t.exit_reason, t.exit) == ("target", 90.0)
    assert t.r == pytest.approx(2.0)


def test_open_at_the_horizon_is_closed_at_that_close_and_counted_open() -> None:
    rows = [FLAT] + [(100.0, 101.0, 99.0, 100.0 + i) for i in range(1, 12)]
    t = run(rows, plan(), horizon_bars=4)
    assert t.exit_reason == "open"
    assert t.exit_ms == T0 + 5 * M  # fill candle 1, horizon 4 bars: candles 1..4, closed at 5·M
    assert t.exit == 104.0
    assert not t.data_ended


def test_data_ending_before_the_horizon_is_open_and_flagged() -> None:
    t = run([FLAT, FLAT, FLAT], plan(), horizon_bars=20)
    assert t.exit_reason == "open" and t.data_ended


def test_fee_on_both_sides() -> None:
    t = run([FLAT, (100.0, 100.5, 99.5, 100.0), (100.0, 111.0, 100.0, 110.0)], plan(), fee=0.05)
    fees = 0.0005 * (100.0 + 110.0)
    assert t.r == pytest.approx((10.0 - fees) / 5.0)


def test_a_fill_already_past_the_stop_is_no_trade() -> None:
    made = simulate(
        candles([FLAT, (94.0, 95.0, 93.0, 94.0)]), plan(), horizon_ms=8 * M, fee_pct=0.0, end_ms=T0 + 2 * M
    )
    assert made == EXCLUDED_GAP


def test_the_json_trade_has_exactly_the_listed_fields() -> None:
    t = run([FLAT, FLAT, (100.0, 112.0, 94.0, 100.0)], plan())
    assert list(trade_dict(t)) == TRADE_FIELDS
