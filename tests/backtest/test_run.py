"""The run: all cores give the same report as one; one trade at a time; below-threshold plans evaluated."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from quantpro.runs.backtest.report import report_document
from quantpro.runs.backtest.run import BacktestRequest, parse_duration, run_backtest
from quantpro.settings import Settings


def _doc(demo_dir: Path, workers: int, **kw: object) -> dict[str, object]:
    result = run_backtest(Settings(), BacktestRequest(demo_dir, workers=workers, **kw))  # type: ignore[arg-type]
    document = report_document(result)
    document.pop("duration_s")
    document["params"].pop("workers")  # type: ignore[attr-defined]
    return document


def test_workers_do_not_change_the_report(demo_dir: Path) -> None:
    hourly = parse_duration("1h")
    assert _doc(demo_dir, 1, min_score=60.0, every_ms=hourly) == _doc(
        demo_dir, 2, min_score=60.0, every_ms=hourly
    )


def test_one_trade_at_a_time_and_every_plan_judged(demo_dir: Path) -> None:
    result = run_backtest(Settings(), BacktestRequest(demo_dir, workers=1, every_ms=parse_duration("30m")))
    for outcome in result.outcomes:
        for book in (outcome.trades, outcome.all_trades):
            by_strategy: dict[str, list[tuple[int, int]]] = {}
            for t in book:
                by_strategy.setdefault(t.strategy, []).append((t.cut_ms, t.exit_ms))
            for spans in by_strategy.values():
                spans.sort()
                assert all(later[0] >= earlier[1] for earlier, later in pairwise(spans))
    assert all(t.score >= 70 for t in result.trades)
    every = [t for o in result.outcomes for t in o.all_trades]
    assert any(t.score < 70 for t in every)  # the threshold itself is judged
    assert "<50" in str(result.summary["by_bucket"]) or "60-70" in str(result.summary["by_bucket"])


def test_every_cuts_fewer_moments(demo_dir: Path) -> None:
    hourly = run_backtest(Settings(), BacktestRequest(demo_dir, workers=1, every_ms=parse_duration("1h")))
    four = run_backtest(Settings(), BacktestRequest(demo_dir, workers=1, every_ms=parse_duration("4h")))
    assert 3.5 < hourly.summary["cuts"]["market_cuts"] / four.summary["cuts"]["market_cuts"] < 4.5
