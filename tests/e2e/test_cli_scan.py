"""``quantpro scan`` through :func:`quantpro.cli.main`, in-process, against the simulator (docs/design.md §2).

The CLI runs on the real clock; the one test whose retries would sleep for real (the API down) gives
:class:`quantpro.clock.SystemClock` a fake's time, so its backoff passes instantly.
"""

from __future__ import annotations

import io
import re
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from quantpro import cli
from quantpro.clock import FakeClock, SystemClock, now_ms
from quantpro.demo.universe import generate_demo_universe

from .conftest import read_feed, validate

MARKETS = 12
STRATEGIES = {"Legacy", "Breakout", "BreakoutV2"}


class _Terminal(io.StringIO):
    """A captured stream that says it is a terminal, so rich draws its live progress into it."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    generate_demo_universe(directory, MARKETS, now_ms=now_ms(SystemClock()))
    return directory


@contextmanager
def streams() -> Iterator[tuple[io.StringIO, _Terminal]]:
    """stdout a pipe, stderr a terminal: the progress bar has every reason to draw, on stderr only.

    Set inside the test body: pytest's own capture re-installs its streams between fixture set-up and
    the call.
    """
    out, err = io.StringIO(), _Terminal()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdout", out)
        mp.setattr(sys, "stderr", err)
        yield out, err


def _feed_signals(path: Path) -> list[dict[str, Any]]:
    signals: list[dict[str, Any]] = read_feed(path)["signals"]
    return signals


def test_scan_all_exits_0_with_summary_and_table_on_stdout_and_progress_on_stderr(
    cli_sim: Any, data_dir: Path, feed_validator: Draft202012Validator
) -> None:
    with streams() as (out, err):
        code = cli.main(["scan", str(data_dir), "--strategy", "all"])
    assert code == 0
    stdout, stderr = out.getvalue(), err.getvalue()
    feed_path = data_dir / "master_feed.json"
    assert stdout.startswith(f"Feed: {feed_path}  status=ok  markets={MARKETS}  signals={3 * MARKETS}")
    assert "units spent=" in stdout and "Top signals" in stdout
    for column in ("score", "strategy", "exchange", "symbol", "action", "entry", "stop", "target"):
        assert column in stdout
    assert "ETA" not in stdout and "Coinalyze batch" not in stdout.replace("\n", " ")
    assert "INFO" not in stdout, stdout
    assert "BATCH" in stderr and "Units spent" in stderr  # logs on stderr only
    feed = read_feed(feed_path)
    validate(feed_validator, feed)
    assert len(feed["signals"]) == 3 * MARKETS
    lines = stdout.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("───"))
    table_rows = [line for line in lines[rule + 1 :] if re.match(r"^\s*\d+\.\d ", line)]
    actionable = [s for s in feed["signals"] if s["action"] != "WAIT"]
    assert len(table_rows) == min(15, len(actionable)) > 0
    assert f"{actionable[0]['score']:.1f}" in table_rows[0] and actionable[0]["symbol"] in table_rows[0]


def test_strategy_list_selects_exactly_those(cli_sim: Any, data_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "elsewhere" / "feed.json"
    code = cli.main(["scan", str(data_dir), "--strategy", "Breakout,Legacy", "--output", str(output)])
    assert code == 0
    assert output.is_file() and not (data_dir / "master_feed.json").exists()
    signals = _feed_signals(output)
    assert {s["strategy_name"] for s in signals} == {"Breakout", "Legacy"}
    assert set(Counter((s["exchange"], s["symbol"]) for s in signals).values()) == {2}
    assert len(signals) == 2 * MARKETS


def test_htf_option_is_respected(cli_sim: Any, data_dir: Path) -> None:
    assert cli.main(["scan", str(data_dir), "--htf", "1h"]) == 0
    feed = read_feed(data_dir / "master_feed.json")
    assert len(feed["signals"]) == 3 * MARKETS
    for s in feed["signals"]:
        assert s["meta"]["htfInterval"] == "1h" and s["meta"]["ltfInterval"] == "15m"
        assert s["meta"]["htf_resampled"] is True  # there is no 1h file: resampled from 15m
    assert all("not used by this scan" in s["reason"] for s in feed["run"]["skipped_files"])


def test_ltf_option_is_respected(cli_sim: Any, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # No 5m files: no market, so no feed (exit 1), and the 15m/4h files are named as unused.
    assert cli.main(["scan", str(data_dir), "--ltf", "5m", "--htf", "1h"]) == 1
    assert not (data_dir / "master_feed.json").exists()
    assert "no valid market" in capsys.readouterr().err


def test_unknown_strategy_exits_2_and_lists_the_valid_names(
    cli_sim: Any, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["scan", str(data_dir), "--strategy", "Legacy,Nope"]) == 2
    err = capsys.readouterr().err
    assert "Nope" in err and all(name in err for name in STRATEGIES)
    assert not (data_dir / "master_feed.json").exists()
    assert cli_sim.log == []  # nothing was sent


def test_missing_data_dir_exits_2(cli_sim: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scan", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert cli_sim.log == []


def test_no_api_key_exits_2_before_any_request(
    cli_sim: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COINALYZE_API_KEY")
    assert cli.main(["scan", str(data_dir)]) == 2
    assert "COINALYZE_API_KEY" in capsys.readouterr().err
    assert cli_sim.log == []
    assert not (data_dir / "master_feed.json").exists()


def test_no_valid_market_exits_1(cli_sim: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not candles")
    (empty / "MEXC_BTCUSDT_15m.json").write_text("[]")
    assert cli.main(["scan", str(empty)]) == 1
    assert not (empty / "master_feed.json").exists()


def test_api_down_writes_the_feed_and_exits_3(
    cli_sim: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeClock(start=SystemClock().now())  # backoff sleeps pass instantly
    monkeypatch.setattr(SystemClock, "now", lambda self: fake.now())
    monkeypatch.setattr(SystemClock, "sleep", lambda self, seconds: fake.sleep(seconds))
    cli_sim.set_down(True)
    assert cli.main(["scan", str(data_dir), "--strategy", "all"]) == 3
    feed = read_feed(data_dir / "master_feed.json")
    assert feed["run"]["status"] == "failed"
    assert feed["run"]["degraded_markets"] == MARKETS
    assert len(feed["signals"]) == 3 * MARKETS
    assert all(s["oi_metadata"]["oi_score"] == 10.0 for s in feed["signals"])
    assert fake.sleeps  # it did retry before giving up
    assert all(record.status == 503 for record in cli_sim.log)


def test_the_progress_display_draws_on_the_console_it_is_given() -> None:
    """The CLI hands :class:`ApiProgress` the stderr console; it draws there and nowhere else."""
    from rich.console import Console

    from quantpro.cli.views import ApiProgress
    from quantpro.sources.base import FetchProgress

    drawn = io.StringIO()
    progress = ApiProgress(Console(file=drawn, force_terminal=True, width=120), calls=40, period=60.0)
    with streams() as (out, err), progress.running():
        progress(FetchProgress(1, 4, 20, 100, "oi_history"))
        progress(FetchProgress(2, 4, 40, 100, "funding_rate"))
    assert out.getvalue() == "" and err.getvalue() == ""
    text = drawn.getvalue()
    assert "batch 2/4 funding_rate" in text and "40/100" in text
    assert "ETA 2m00s" in text  # 60 units left at 40 per minute, the window busy
