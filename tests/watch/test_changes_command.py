"""``quantpro changes``: the newest run by default, every run with --since, JSON, nothing recorded."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from quantpro.cli.main import main
from quantpro.clock import SystemClock
from quantpro.feed.changes import data_dir_key
from quantpro.settings import load_settings
from quantpro.store.history import HistoryStore, RunRecord, SignalRow

HOUR_MS = 3_600_000


def _record(data_dir: Path, hours_ago: float, rows: list[SignalRow]) -> None:
    now = int(SystemClock().now() * 1000)
    path = load_settings().store_file(data_dir)
    with HistoryStore.open(path) as history:
        run = RunRecord(data_dir_key(data_dir), now - int(hours_ago * HOUR_MS), "watch", "ok", 3, 9, 0, 0, 0,
                        0, 0, 1.0, ("breakout", "legacy"))  # fmt: skip
        history.record_run(run, rows, history_days=90)


def _row(symbol: str, action: str, score: float) -> SignalRow:
    return SignalRow("BYBIT", symbol, "breakout", action, score, 100.0, 95.0, 112.5, 2.5, 1)


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    _record(data_dir, 3, [_row("BTCUSDT", "LONG", 70), _row("ETHUSDT", "LONG", 70)])
    _record(data_dir, 2, [_row("BTCUSDT", "SHORT", 72), _row("SOLUSDT", "LONG", 81)])
    _record(data_dir, 1, [_row("BTCUSDT", "SHORT", 85), _row("SOLUSDT", "LONG", 81)])
    return data_dir


def test_the_newest_run_against_the_one_before(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["changes", str(recorded)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "run 3 (ok, 3 markets, 2 actionable) against run 2: 0 new, 0 gone, 0 flipped, 1 score up" in out[0]
    assert out[1].split() == [
        "score_up",
        "BYBIT",
        "BTCUSDT",
        "breakout",
        "SHORT",
        "72.0",
        "→",
        "85.0",
        "(+13.0)",
    ]
    assert len(out) == 2


def test_since_lists_every_run_each_against_its_predecessor(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["changes", str(recorded), "--since", "150m", "--json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in document["runs"]] == [2, 3]
    first = document["runs"][0]
    assert first["previous_run_id"] == 1
    assert first["counts"] == {"new": 1, "gone": 1, "flipped": 1, "score_up": 0, "score_down": 0}
    kinds = {c["kind"]: c for c in first["changes"]}
    assert kinds["flipped"]["before"]["action"] == "LONG" and kinds["flipped"]["after"]["action"] == "SHORT"
    assert kinds["gone"]["after"] is None and kinds["new"]["symbol"] == "SOLUSDT"


def test_nothing_recorded_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    assert main(["changes", str(data_dir)]) == 0
    assert "no run of" in capsys.readouterr().err
    assert list(data_dir.iterdir()) == []


@pytest.mark.parametrize("since", ["yesterday", "-2h", "2026-13-40"])
def test_a_bad_since_is_a_usage_error(tmp_path: Path, since: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["changes", str(tmp_path), "--since", since]) == 2
    assert "--since" in capsys.readouterr().err
