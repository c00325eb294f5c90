"""Every trade of a backtest checked against the candle files by an independent walk (docs/design.md §13):
the fill is the open after the cut, nothing touched before the exit, the exit is the rule's, R is
the fee-paid move over the risk at the fill."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from quantpro.runs.backtest.execution import trade_dict
from quantpro.runs.backtest.run import BacktestRequest, run_backtest
from quantpro.settings import Settings

M = 900_000
HORIZON = 24 * 3_600_000


def _rows(demo_dir: Path, trade: dict[str, Any]) -> list[dict[str, float]]:
    rows: list[dict[str, float]] = json.loads(
        (demo_dir / f"{trade['exchange']}_{trade['symbol']}_15m.json").read_text()
    )
    return rows


def _check(trade: dict[str, Any], rows: list[dict[str, float]], fee: float) -> None:
    long = trade["side"] == "LONG"
    after = [r for r in rows if r["time"] >= trade["cut_ms"]]
    fill = after[0]
    assert (fill["time"], fill["open"]) == (trade["entry_ms"], trade["entry"])
    stop, target = trade["stop"], trade["target"]
    walked = [r for r in after if r["time"] + M <= trade["exit_ms"]]
    for candle in walked[:-1]:  # nothing touched before the exit candle
        assert (
            (candle["low"] > stop and candle["high"] < target)
            if long
            else (candle["high"] < stop and candle["low"] > target)
        ), f"a touch before the recorded exit: {trade}"
    last = walked[-1]
    stop_hit = last["low"] <= stop if long else last["high"] >= stop
    target_hit = last["high"] >= target if long else last["low"] <= target
    if trade["exit_reason"] == "stop":
        assert stop_hit
        gapped = last["open"] < stop if long else last["open"] > stop
        assert trade["exit"] == (last["open"] if gapped and last is not fill else stop)  # a gap is paid
    elif trade["exit_reason"] == "target":
        assert target_hit and not stop_hit  # both in one candle would be the stop
        assert trade["exit"] == target
    else:
        assert not stop_hit and not target_hit
        assert trade["exit"] == last["close"]
        assert trade["exit_ms"] - trade["entry_ms"] <= HORIZON
    s = 1.0 if long else -1.0
    expected_r = (s * (trade["exit"] - trade["entry"]) - fee * (trade["entry"] + trade["exit"])) / (
        s * (trade["entry"] - stop)
    )
    assert trade["r"] == pytest.approx(expected_r, abs=1e-5)


def test_every_trade_checks_out_against_the_files(demo_dir: Path) -> None:
    result = run_backtest(
        Settings(), BacktestRequest(demo_dir, workers=1, min_score=0.0, horizon_ms=HORIZON, fee_pct=0.1)
    )
    trades = [trade_dict(t) for t in result.trades]
    assert len(trades) > 20
    reasons = {t["exit_reason"] for t in trades}
    assert {"stop", "target"} <= reasons
    cache: dict[str, list[dict[str, float]]] = {}
    for trade in trades:
        key = f"{trade['exchange']}_{trade['symbol']}"
        cache.setdefault(key, _rows(demo_dir, trade))
        _check(trade, cache[key], fee=0.001)
