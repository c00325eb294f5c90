"""The log a trader, cron or journald reads (docs/design.md §16): times off a terminal, one line per
kind of skip with its count (each file at -v), one duration form, the reference design's own lines in
their words with a readable time after ``Last Updated``, ``--log-file``, no forged lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from quantpro import cli

from .conftest import KEY, streams

TIMED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) +\[[A-Z0-9_]+\] ")
REFERENCE_LINES = ("Processing ", "Resolved: ", "Fetching batch ", "Saved ", "Last Updated: ")


def _scan(
    data_dir: Path, *options: str, before: tuple[str, ...] = (), err_tty: bool = False
) -> tuple[int, str, str]:
    with streams(err_tty=err_tty) as (out, err):
        code = cli.main([*before, "scan", str(data_dir), *options])
    return code, out.getvalue(), err.getvalue()


def test_off_a_terminal_every_line_has_its_utc_time_and_the_reference_lines_keep_their_words(
    cli_sim: Any, demo_dir: Path
) -> None:
    code, _out, err = _scan(demo_dir)
    assert code == 0
    lines = err.splitlines()
    assert lines and all(TIMED.match(line) for line in lines), [ln for ln in lines if not TIMED.match(ln)][:3]
    stamp = datetime.strptime(lines[0][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    assert abs(stamp.timestamp() - datetime.now(UTC).timestamp()) < 120  # UTC, not local time
    messages = [TIMED.sub("", line) for line in lines]
    assert "Processing 8 symbols" in messages
    assert any(re.fullmatch(r"Resolved: \d+ \| Aggregated: \d+ \| Neutral: \d+", m) for m in messages)
    assert any(re.fullmatch(r"Fetching batch 1/\d+ \(\d+ symbols\) — \w+", m) for m in messages)
    assert f"Saved 24 signals to {demo_dir / 'master_feed.json'}" in messages
    updated = next(m for m in messages if m.startswith("Last Updated: "))
    found = re.fullmatch(r"Last Updated: (\d+) \((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC\)", updated)
    assert found is not None, updated
    feed = orjson.loads((demo_dir / "master_feed.json").read_bytes())
    assert int(found[1]) == feed["last_updated"]
    when = datetime.fromtimestamp(feed["last_updated"] / 1000, tz=UTC)
    assert found[2] == when.strftime("%Y-%m-%d %H:%M:%S")
    # one duration form: "about 0s", never "2580 s" nor "0.40s" beside "43m00s"
    plan = next(m for m in messages if m.startswith("Plan: "))
    assert re.search(r"at \d+ units per 10s that takes about \d+(\.\d)?s$", plan), plan
    assert not any(re.search(r"\d s\b|\d\.\d\ds\b|Retry-After None", m) for m in messages)
    # "markets" where markets are meant: a count of symbols only in the reference lines or as Coinalyze's
    for message in messages:
        if re.search(r"\d+ symbols", message) and not message.startswith(REFERENCE_LINES):
            assert "Coinalyze symbols" in message, message
    assert KEY not in err


def test_on_a_terminal_lines_carry_no_time(cli_sim: Any, demo_dir: Path) -> None:
    code, _out, err = _scan(demo_dir, err_tty=True)
    assert code == 0
    assert "[SCAN]" in err and "Saved 24 signals" in err
    assert not re.search(r"^\d{4}-\d\d-\d\dT", err, re.M)


def _wrong_ltf_dir(tmp_path: Path, markets: int) -> Path:
    from quantpro.clock import SystemClock, now_ms
    from quantpro.demo.universe import generate_demo_universe

    directory = tmp_path / "wrong-ltf"
    generate_demo_universe(directory, markets, now_ms=now_ms(SystemClock()))
    return directory


def test_one_warning_per_skip_reason_with_its_count_and_each_file_at_v(cli_sim: Any, tmp_path: Path) -> None:
    directory = _wrong_ltf_dir(tmp_path, 30)
    ltf_files = sorted(p.name for p in directory.glob("*_15m.json"))
    htf_files = sorted(p.name for p in directory.glob("*_4h.json"))
    assert len(ltf_files) == 30 and htf_files
    code, _out, err = _scan(directory, "--ltf", "1h")
    assert code == 1, err  # no market at 1h: no feed
    warnings = [TIMED.sub("", ln) for ln in err.splitlines() if " WARNING " in ln]
    skips = [w for w in warnings if w.startswith("skipped ")]
    assert len(skips) == 2, skips
    assert f"skipped {len(ltf_files)} files: timeframe 15m not used by this scan (ltf 1h, htf 4h)" in skips[0]
    assert f"skipped {len(htf_files)} files: 4h file without its 1h pair" in skips[1]
    assert "each file at -v" in skips[0]
    code, _out, verbose = _scan(directory, "--ltf", "1h", before=("-v",))
    debug = [TIMED.sub("", ln) for ln in verbose.splitlines() if " DEBUG " in ln]
    for name in ltf_files + htf_files:
        assert sum(line.startswith(f"skipped {name}: ") for line in debug) == 1, name


def test_a_newline_in_a_file_name_cannot_forge_a_log_line(cli_sim: Any, demo_dir: Path) -> None:
    evil = "BINANCE_EVIL\n2026-01-01T00:00:00.000Z ERROR   [SCAN] forged_15m.json"
    (demo_dir / evil).write_text("[]")
    code, _out, err = _scan(demo_dir, before=("-v",))
    assert code == 0
    lines = err.splitlines()
    assert all(TIMED.match(line) for line in lines)
    assert not any("forged" in line and line.startswith("2026-01-01T00:00:00.000Z") for line in lines)
    assert any("BINANCE_EVIL\\n2026-01-01" in line for line in lines)


def test_log_file_flag_writes_debug_lines_with_times_and_no_key(
    cli_sim: Any, demo_dir: Path, tmp_path: Path
) -> None:
    log_file = tmp_path / "logs" / "quantpro.log"
    code, _out, err = _scan(demo_dir, before=("-q", "--log-file", str(log_file)))
    assert code == 0
    assert " INFO " not in err  # -q on stderr; the file has everything
    text = log_file.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert any(" DEBUG " in ln for ln in lines) and any("Saved 24 signals" in ln for ln in lines)
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", ln) for ln in lines)
    assert KEY not in text
