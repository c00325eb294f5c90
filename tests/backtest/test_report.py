"""The report: JSON with every trade, a self-contained HTML page, the CLI's flags, the track record."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from quantpro import cli
from quantpro.clock import FakeClock
from quantpro.feed import load_schema
from quantpro.runs.backtest.report import REPORT_SCHEMA_VERSION, track_record_for
from quantpro.runs.backtest.run import BacktestRequest, run_backtest
from quantpro.runs.backtest.summary import SUMMARY_KEYS
from quantpro.runs.scan import run_scan
from quantpro.settings import Settings

from .conftest import TRADE_FIELDS


@pytest.fixture(scope="module")
def report(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("report")
    code = cli.main(
        [
            "backtest",
            str(demo_dir),
            "--min-score",
            "50",
            "--workers",
            "1",
            "--output",
            str(out / "bt.json"),
            "--html",
            str(out / "bt.html"),
            "--horizon",
            "24h",
        ]
    )
    assert code == 0
    document: dict[str, Any] = json.loads((out / "bt.json").read_text())
    document["_html"] = (out / "bt.html").read_text()
    return document


def test_json_report_shape(report: dict[str, Any]) -> None:
    assert report["schema_version"] == REPORT_SCHEMA_VERSION
    assert report["params"]["min_score"] == 50 and report["params"]["horizon_ms"] == 24 * 3_600_000
    assert set(SUMMARY_KEYS) <= set(report["summary"])
    assert report["trades"], "the demo sample makes trades"
    for trade in report["trades"]:
        assert list(trade) == TRADE_FIELDS
        assert trade["score"] >= 50
        assert trade["exit_reason"] in ("target", "stop", "open")
        assert trade["entry_ms"] > trade["cut_ms"] - 1 and trade["exit_ms"] > trade["entry_ms"]


def test_trades_can_be_checked_against_the_candle_files(report: dict[str, Any], demo_dir: Path) -> None:
    for trade in report["trades"][:20]:
        rows = json.loads((demo_dir / f"{trade['exchange']}_{trade['symbol']}_15m.json").read_text())
        fill = next(r for r in rows if r["time"] == trade["entry_ms"])
        assert fill["open"] == trade["entry"]  # the next open after the cut
        assert trade["entry_ms"] == trade["cut_ms"]  # no gaps in the demo: the candle opening at T


def test_html_is_self_contained_with_the_three_plots(report: dict[str, Any]) -> None:
    page = report["_html"]
    assert page.count("<svg") >= 3
    assert "Equity curves" in page and "R histogram" in page and "score bucket" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched from anywhere
    assert "<script" not in page


def test_track_record_reaches_the_feed(demo_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    result = run_backtest(Settings(), BacktestRequest(data, workers=1, min_score=0))
    from quantpro.runs.backtest.report import report_document, write_report

    document = report_document(result)
    write_report(data / "backtest.json", document)
    outcome = run_scan(
        Settings(), data, output=tmp_path / "feed.json", as_of_ms=1_768_842_000_000, clock=FakeClock()
    )
    with_record = [s for s in outcome.signals if s["track_record"] is not None]
    assert with_record
    for signal in with_record:
        assert signal["track_record"] == track_record_for(document, signal["strategy_name"], signal["score"])
    errors = list(
        Draft202012Validator(load_schema()).iter_errors(json.loads((tmp_path / "feed.json").read_text()))
    )
    assert not errors, errors[:3]


def test_a_broken_report_is_no_track_record(demo_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    (data / "backtest.json").write_text("{not json")
    outcome = run_scan(
        Settings(), data, output=tmp_path / "feed.json", as_of_ms=1_768_842_000_000, clock=FakeClock()
    )
    assert all(s["track_record"] is None for s in outcome.signals)


def test_bad_flags_are_usage_errors(demo_dir: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "x.json")
    assert cli.main(["backtest", str(demo_dir), "--every", "soon", "--output", out]) == 2
    assert (
        cli.main(["backtest", str(demo_dir), "--from", "2026-01-19", "--to", "2026-01-18", "--output", out])
        == 2
    )
    assert cli.main(["backtest", str(demo_dir), "--strategy", "Nope", "--output", out]) == 2
