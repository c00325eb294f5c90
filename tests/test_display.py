"""What the CLI prints after a scan: the summary and the top-signals table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from quantpro.cli.views import render_outcome
from quantpro.feed import RunSummary
from quantpro.runs.scan import ScanOutcome


def _signal(symbol: str, action: str, score: float, *, stale: bool) -> dict[str, Any]:
    trade = action != "WAIT"
    return {
        "strategy_name": "Legacy",
        "exchange": "MEXC",
        "symbol": symbol,
        "action": action,
        "score": score,
        "entry": 1.0 if trade else None,
        "stop_loss": 0.9 if trade else None,
        "take_profit": 1.3 if trade else None,
        "rr": 3.0 if trade else None,
        "meta": {"stale": stale},
        "oi_metadata": {"status": "aggregated"},
    }


def _render(signals: list[dict[str, Any]], stale: int) -> str:
    run = RunSummary(markets=len(signals), stale_markets=stale)
    outcome = ScanOutcome(feed_path=Path("feed.json"), feed={}, run=run, exit_code=0, signals=signals)
    console = Console(record=True, width=160)
    render_outcome(outcome, console)
    return console.export_text()


def test_stale_markets_are_marked_and_explained() -> None:
    text = _render(
        [_signal("OLDUSDT", "LONG", 80.0, stale=True), _signal("NEWUSDT", "SHORT", 75.0, stale=False)], 1
    )
    assert "OLDUSDT*" in text and "NEWUSDT*" not in text and "NEWUSDT" in text
    assert "stale market" in text


def test_fresh_table_has_no_stale_note_and_wait_is_not_listed() -> None:
    text = _render(
        [_signal("NEWUSDT", "LONG", 80.0, stale=False), _signal("IDLEUSDT", "WAIT", 0.0, stale=False)], 0
    )
    assert "NEWUSDT" in text and "IDLEUSDT" not in text and "stale market" not in text


def test_no_actionable_signal_says_so() -> None:
    text = _render([_signal("IDLEUSDT", "WAIT", 0.0, stale=False)], 0)
    assert "No actionable signal" in text
