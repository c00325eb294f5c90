"""The top-signals table a trader reads (docs/design.md §16): columns and formats, golden renderings
at 80 and 160 columns, colours only on a terminal, --top / --min-score / --format, the nearest misses.

A deliberate change of the table regenerates the golden files:

    QUANTPRO_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/cli/test_signals_table.py
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from quantpro.cli.rows import format_price, row_of
from quantpro.cli.table_options import show_outcome
from quantpro.cli.views import render_outcome

from .signals import LAST_BAR_MS, NOW_MS, golden_signals, outcome, signal

GOLDEN = Path(__file__).parent / "golden"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def render(signals: list[dict[str, Any]], width: int, **options: Any) -> str:
    console = Console(record=True, width=width, force_terminal=False, color_system=None)
    render_outcome(outcome(signals), console, **options)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


@pytest.mark.parametrize("width", [80, 160])
def test_golden_rendering(width: int) -> None:
    text = render(golden_signals(), width)
    path = GOLDEN / f"table_{width}.txt"
    if os.environ.get("QUANTPRO_REGENERATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= width


@pytest.mark.parametrize("width", [80, 100, 160, 240])
def test_no_price_is_ever_cut_and_only_actionable_rows_show(width: int) -> None:
    signals = golden_signals()
    text = render(signals, width)
    assert "…" not in text and "..." not in text
    for s in signals:
        if s["action"] == "WAIT":
            assert s["symbol"] not in text
        else:
            assert re.search(rf"(?<![\d.]){re.escape(format_price(s['entry']))}(?![\d])", text), s["entry"]
    assert "0.0000051189" in text  # in full, not 5.1189e-06 nor 0.000005…


def test_wide_table_has_every_column_with_its_format() -> None:
    text = render(golden_signals(), 240)
    header = next(line for line in text.splitlines() if line.lstrip().startswith("score"))
    for column in (
        "score",
        "strategy",
        "exchange",
        "symbol",
        "timeframe",
        "action",
        "price",
        "entry",
        "stop %",
        "target %",
        "rr",
        "fired (UTC)",
        "OI (z)",
        "funding 8h %",
        "track record",
    ):
        assert column in header, column
    row = next(line for line in text.splitlines() if "PEPEUSDTM" in line)
    entry, stop, target = 0.0000051189, 0.00000460102, 0.0000070727
    assert (
        f"{abs(stop - entry) / entry * 100:.2f}" in row and f"{abs(target - entry) / entry * 100:.2f}" in row
    )
    assert " 3.77 " in row  # rr with two decimals, not 3.7727
    assert "3 bars 15:30" in row  # the break bar closed 3 bars before the last closed one (16:15)
    assert "proxy +3.41" in row and "-0.0051 raw" in row
    hype = next(line for line in text.splitlines() if "HYPEUSDT" in line)
    assert " 2.00 " in hype and "0 bars 16:15" in hype and "+0.0100" in hype and "48 · 62% · +0.40R" in hype
    mog = next(line for line in text.splitlines() if "1000000MOGUSDT" in line)
    assert "01-18 16:15" in mog  # a bar of another UTC day says its date
    assert "BTCUSDT*" in text and "stale market" in text
    assert "raw: funding per the venue's interval" in text
    assert "Left out" not in text


def test_a_narrow_terminal_drops_columns_by_priority_and_says_so() -> None:
    widths = {w: render(golden_signals(), w) for w in (60, 80, 120, 160, 240)}
    kept = {
        w: next(ln for ln in t.splitlines() if ln.lstrip().startswith("score")).split()
        for w, t in widths.items()
    }
    for narrow, wide in [(60, 80), (80, 120), (120, 160), (160, 240)]:
        assert set(kept[narrow]) <= set(kept[wide])
    for width, text in widths.items():
        for must in ("score", "exchange", "symbol", "action", "entry"):
            assert must in kept[width], (width, must)
        if width < 240:
            assert "Left out for the width of this terminal" in text
    assert "price" not in kept[160] and "price" in kept[240]  # the first to go


def test_track_record_column_only_when_known() -> None:
    plain = [signal("BTCUSDT", "LONG", 80.0)]
    assert "track record" not in render(plain, 240)


def test_colours_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    signals = golden_signals()

    def draw(**console: Any) -> str:
        out = io.StringIO()
        render_outcome(outcome(signals), Console(file=out, width=200, **console))
        return out.getvalue()

    coloured = draw(force_terminal=True, color_system="standard")
    assert "\x1b[1;32mLONG" in coloured and "\x1b[1;31mSHORT" in coloured
    assert not ANSI.search(draw(force_terminal=False))
    monkeypatch.setenv("NO_COLOR", "1")
    no_color = draw(force_terminal=True, color_system="standard")
    assert "\x1b[1;32m" not in no_color and "\x1b[1;31m" not in no_color and "\x1b[32m" not in no_color


def test_pipe_gets_no_colour_through_the_cli_path(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    show_outcome(outcome(golden_signals()))
    assert "Top signals" in out.getvalue() and not ANSI.search(out.getvalue())


def test_top_and_min_score() -> None:
    signals = golden_signals()
    actionable = [s for s in signals if s["action"] != "WAIT"]
    two = render(signals, 240, top=2)
    assert all(s["symbol"] in two for s in actionable[:2]) and all(
        s["symbol"] not in two for s in actionable[2:]
    )
    high = render(signals, 240, min_score=80)
    shown = {s["symbol"] for s in actionable if s["score"] >= 80}
    assert all(sym in high for sym in shown) and "BTCUSDT" not in high and "MOG" not in high


def _formatted(fmt: str, **options: Any) -> str:
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", out)
        show_outcome(outcome(golden_signals()), output_format=fmt, **options)  # type: ignore[arg-type]
    return out.getvalue()


def test_json_format_parses_back_with_every_field() -> None:
    rows = json.loads(_formatted("json"))
    actionable = [s for s in golden_signals() if s["action"] != "WAIT"]
    assert [r["symbol"] for r in rows] == [s["symbol"] for s in actionable]
    first, pepe = rows[0], rows[1]
    assert first["entry"] == 24.2606 and first["action"] == "LONG" and first["track_win_rate"] == 0.625
    assert pepe["entry"] == 0.0000051189 and pepe["fired_bars_ago"] == 3 and pepe["oi_source"] == "proxy"
    assert (
        pepe["fired_at_ms"] == LAST_BAR_MS + 900_000 - 3 * 900_000
        and pepe["fired_at"] == "2026-01-19T15:30:00Z"
    )
    assert pepe["funding_8h_pct"] is None and pepe["funding_pct"] == -0.0051
    assert rows[3]["stale"] is True and rows[4]["oi_z"] is None
    assert json.loads(_formatted("json", top=2, min_score=0)) == rows[:2]


def test_csv_format_parses_back_to_the_same_rows() -> None:
    from_json = json.loads(_formatted("json"))
    table = list(csv.DictReader(io.StringIO(_formatted("csv"))))
    assert [r["symbol"] for r in table] == [r["symbol"] for r in from_json]
    for text_row, json_row in zip(table, from_json, strict=True):
        for key, value in json_row.items():
            if value is None:
                assert text_row[key] == ""
            elif isinstance(value, bool):
                assert text_row[key] == str(value).lower()
            elif isinstance(value, float):
                assert float(text_row[key]) == value  # exact: the shortest round-trip form
            else:
                assert text_row[key] == str(value)
    assert _formatted("csv", min_score=99).splitlines()[0].startswith("score,strategy,exchange,symbol")
    assert len(_formatted("csv", min_score=99).splitlines()) == 1


def test_nothing_actionable_shows_the_five_nearest_misses_and_wait_counts() -> None:
    reasons = ["no crossing found"] * 4 + [f"score {s} below 70" for s in (69.7, 65.2, 61.0)]
    reasons += [
        "no pullback: depth 96% of the range (30–80 % needed)",
        "no pullback: depth 2% of the range (30–80 % needed)",
    ]
    scores = [10.0, 0.0, 5.0, 1.0, 69.7, 65.2, 61.0, 40.0, 30.0]
    waits = [
        signal(f"C{i}USDT", "WAIT", score, reason=reason)
        for i, (score, reason) in enumerate(zip(scores, reasons, strict=True))
    ]
    text = render(waits, 160)
    assert "No actionable signal this time. The nearest misses:" in text
    misses = [line.split()[0] for line in text.splitlines() if re.match(r"^\s*\d+\.\d\s+Legacy", line)]
    assert misses == [f"{s:.1f}" for s in sorted(scores, reverse=True)[:5]]
    counts = {
        int(m[1]): m[2]
        for m in re.finditer(r"^\s+(\d+)  (.+)$", text.split("WAIT signals by reason:")[1], re.M)
    }
    assert counts == {
        4: "no crossing found",
        3: "score 69.7 below 70 (and similar)",
        2: "no pullback: depth 96% of the range (30–80 % needed) (and similar)",
    }
    assert sum(Counter(reasons).values()) == 9 == sum(counts)


def test_below_min_score_are_misses_with_that_reason() -> None:
    text = render(golden_signals(), 200, min_score=95)
    assert "No actionable signal at or above score 95" in text
    assert "score 90.0 below --min-score 95" in text


def test_rows_tolerate_a_signal_with_parts_missing() -> None:
    row = row_of({"symbol": "X", "action": "LONG", "score": 70, "entry": 1.0})
    assert row.symbol == "X" and row.stop_pct is None and row.fired_at_ms is None and row.oi_source is None
    assert NOW_MS > LAST_BAR_MS


def test_scan_format_json_and_csv_through_the_cli_parse_and_the_feed_is_written(
    cli_sim: Any, demo_dir: Path
) -> None:
    from quantpro.cli import main

    from .conftest import streams

    with streams() as (out, err):
        assert main(["scan", str(demo_dir), "--format", "json", "--top", "3"]) == 0
    feed = json.loads((demo_dir / "master_feed.json").read_text())
    actionable = [s for s in feed["signals"] if s["action"] != "WAIT"][:3]
    rows = json.loads(out.getvalue())
    assert rows, "the demo universe has actionable signals"
    assert [(r["exchange"], r["symbol"], r["strategy"]) for r in rows] == [
        (s["exchange"], s["symbol"], s["strategy_name"]) for s in actionable
    ]
    assert "Feed: " in err.getvalue() and "Feed: " not in out.getvalue()
    (demo_dir / "master_feed.json").unlink()
    with streams() as (out, _err):
        assert main(["scan", str(demo_dir), "--format", "csv", "--top", "3"]) == 0
    assert [r["symbol"] for r in csv.DictReader(io.StringIO(out.getvalue()))] == [r["symbol"] for r in rows]
    assert (demo_dir / "master_feed.json").is_file()
