"""Every scan is recorded (§14): runs, actionable signals, retention, changes in the feed, degrading."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson
import pytest

from quantpro.clock import FakeClock
from quantpro.runs.scan import run_scan
from quantpro.store.history import HistoryStore, RunRecord, SignalRow

from .conftest import sim_settings


def test_each_scan_is_recorded_with_its_actionable_signals_and_changes(
    demo_dir: Path, sim: Any, clock: FakeClock
) -> None:
    settings = sim_settings(sim)
    first = run_scan(settings, demo_dir, clock=clock)
    actionable = [s for s in first.signals if s["action"] != "WAIT"]
    assert actionable, "the demo universe should give some actionable signal"
    feed = orjson.loads((demo_dir / "master_feed.json").read_bytes())
    assert feed["run"]["changes"]["new"] == len(actionable)  # nothing before: every one is new
    clock.advance(60)
    second = run_scan(settings, demo_dir, clock=clock)
    assert second.run.changes == {"new": 0, "gone": 0, "flipped": 0, "score_up": 0, "score_down": 0}
    assert second.run_id is not None and first.run_id is not None and second.run_id > first.run_id

    with HistoryStore.open(settings.store_file(demo_dir)) as history:
        assert history.count("runs") == 2
        run = history.run(second.run_id)
        assert run is not None and run.origin == "scan" and run.markets == 6
        assert run.actionable == len(actionable) and run.signals == len(second.signals)
        rows = history.signals_of(second.run_id)
    assert {(r.exchange, r.symbol, r.strategy, r.action) for r in rows} == {
        (s["exchange"], s["symbol"], s["strategy_name"], s["action"]) for s in actionable
    }
    ordered = sorted(actionable, key=lambda s: (s["exchange"], s["symbol"], s["strategy_name"]))
    assert [r.calculated_at for r in rows] == [s["calculated_at"] for s in ordered]


def test_a_store_that_cannot_be_opened_degrades_with_a_warning(
    demo_dir: Path, sim: Any, clock: FakeClock, tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings = sim_settings(sim, store_path=blocker / "quantpro.sqlite")
    outcome = run_scan(settings, demo_dir, clock=clock)
    assert outcome.exit_code == 0 and outcome.run_id is None
    assert (demo_dir / "master_feed.json").is_file()
    warned = [r for r in logs.records if r.levelno == logging.WARNING and "history store" in r.message]
    assert warned and "not recorded" in warned[0].message


def test_runs_older_than_history_days_are_pruned(tmp_path: Path) -> None:
    day = 86_400_000
    with HistoryStore.open(tmp_path / "h.sqlite") as history:
        for n in range(5):
            record = RunRecord("/d", n * day, "watch", "ok", 1, 1, 0, 0, 0, 0, 0, 0.1, ("legacy",))
            row = SignalRow("BYBIT", "BTCUSDT", "legacy", "LONG", 70, None, None, None, None, n)
            history.record_run(record, [row], history_days=2)
        assert [r.time_ms // day for r in history.runs_since("/d", 0)] == [2, 3, 4]
        assert history.count("signals") == 3  # the pruned runs' signals go with them
