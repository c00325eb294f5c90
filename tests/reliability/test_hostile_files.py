"""Hostile candle files in a real scan (docs/design.md §4): each is skipped or repaired as the contract
says, named with its reason (``run.skipped_files`` for skips, a log line for repairs), and the rest of
the scan goes on — every good market still gets its three signals and the scan exits 0.

The loader's own tests (tests/test_market_data.py) cover each rule in isolation; this one runs the
whole ``run_scan`` against the simulator on a directory that holds all of them at once. Tests run as
root, so unreadable permissions are not among the cases; a FIFO, a directory and a symlink loop are.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from quantpro.clock import FakeClock
from quantpro.runs.reasons import group_reasons
from quantpro.simulator import RunningSimulator

from .conftest import assert_three_signals_each, assert_valid_feed, scan

SOURCE = "BINANCE_BTCUSDT_15m.json"
DEMO_MARKETS = 20


def _write(directory: Path, name: str, content: Any) -> None:
    data = content if isinstance(content, bytes) else orjson.dumps(content)
    (directory / name).write_bytes(data)


def _arrays(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[r["time"], r["open"], r["high"], r["low"], r["close"], r["volume"]] for r in rows]


def _with_literal(rows: list[dict[str, Any]], every: int, literal: str) -> bytes:
    """The rows as JSON text with ``close`` replaced by a bare ``NaN``/``Infinity`` every ``every`` rows."""
    parts = []
    for i, row in enumerate(rows):
        text = orjson.dumps(row).decode()
        if i % every == 2:
            text = text.replace(f'"close":{orjson.dumps(row["close"]).decode()}', f'"close":{literal}')
        parts.append(text)
    return ("[" + ",".join(parts) + "]").encode()


def _hostile(d: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Adds every hostile case to a demo directory; returns (skipped file → reason fragment,
    repaired file → note fragment)."""
    raw = (d / SOURCE).read_bytes()
    rows: list[dict[str, Any]] = orjson.loads(raw)
    n = len(rows)
    skipped = {
        # torn, empty, wrong shapes
        "BINANCE_TORNUSDT_15m.json": "invalid JSON at byte",
        "BINANCE_EMPTYUSDT_15m.json": "empty file",
        "BINANCE_OBJECTUSDT_15m.json": "expected a JSON array of candles, got an object",
        "BINANCE_NUMBERSUSDT_15m.json": "candles must be objects or arrays",
        "BINANCE_FIVEUSDT_15m.json": "has 5 values",
        "BINANCE_NOVOLUSDT_15m.json": "lacks volume",
        # strings that are not numbers, NaN everywhere, no usable prices, too few candles
        "BINANCE_WORDSUSDT_15m.json": "non-numeric close",
        "BINANCE_MANYNANUSDT_15m.json": "more than 5 %",
        "BINANCE_ZEROUSDT_15m.json": "no usable prices",
        "BINANCE_FEWUSDT_15m.json": "only 30 usable closed candles",
        # pairing and names
        "BINANCE_ORPHANUSDT_4h.json": "4h file without its 15m pair",
        "notes.json": "name does not fit",
        "BINANCE_BTCUSDT.json": "name does not fit",
        "binance_btcusdt_15m.json": "name does not fit",
        "BINANCE_BTCUSDT_7m.json": "unknown timeframe",
        # things that are not regular files
        "BINANCE_LOOPUSDT_15m.json": "symlink loop",
        "BINANCE_DIRUSDT_15m.json": "a directory",
        "BINANCE_FIFOUSDT_15m.json": "FIFO",
    }
    _write(d, "BINANCE_TORNUSDT_15m.json", raw[: len(raw) // 2])
    _write(d, "BINANCE_EMPTYUSDT_15m.json", b"")
    _write(d, "BINANCE_OBJECTUSDT_15m.json", {})
    _write(d, "BINANCE_NUMBERSUSDT_15m.json", [1, 2, 3])
    _write(d, "BINANCE_FIVEUSDT_15m.json", [r[:5] for r in _arrays(rows)])
    _write(d, "BINANCE_NOVOLUSDT_15m.json", [{k: v for k, v in r.items() if k != "volume"} for r in rows])
    _write(d, "BINANCE_WORDSUSDT_15m.json", [dict(r, close="n/a") for r in rows])
    _write(d, "BINANCE_MANYNANUSDT_15m.json", _with_literal(rows, 5, "NaN"))
    _write(d, "BINANCE_ZEROUSDT_15m.json", [dict(r, open=0, high=0, low=0, close=0) for r in rows])
    _write(d, "BINANCE_FEWUSDT_15m.json", rows[-31:])  # 30 closed + the forming one
    _write(d, "BINANCE_ORPHANUSDT_4h.json", orjson.loads((d / "BINANCE_BTCUSDT_4h.json").read_bytes()))
    _write(d, "notes.json", [])
    _write(d, "BINANCE_BTCUSDT.json", rows)
    _write(d, "binance_btcusdt_15m.json", rows)
    _write(d, "BINANCE_BTCUSDT_7m.json", rows)
    os.symlink(d / "BINANCE_LOOPUSDT_15m.json", d / "BINANCE_LOOPUSDT_15m.json")
    (d / "BINANCE_DIRUSDT_15m.json").mkdir()
    os.mkfifo(d / "BINANCE_FIFOUSDT_15m.json")

    repaired = {
        "BINANCE_SHUFFLEDUSDT_15m.json": "sorted",
        "BINANCE_DUPUSDT_15m.json": "duplicate time",
        "BINANCE_FEWNANUSDT_15m.json": "dropped",
        "BINANCE_INFUSDT_15m.json": "dropped",
        "BINANCE_NEGUSDT_15m.json": "dropped 3 candle(s)",
    }
    shuffled = rows[: n // 2][::-1] + rows[n // 2 :]
    _write(d, "BINANCE_SHUFFLEDUSDT_15m.json", shuffled)
    _write(d, "BINANCE_DUPUSDT_15m.json", rows + rows[-40:-1])  # repeats, out of order at the seam
    _write(d, "BINANCE_FEWNANUSDT_15m.json", _with_literal(rows, 100, "NaN"))
    _write(d, "BINANCE_INFUSDT_15m.json", _with_literal(rows, 150, "Infinity"))
    _write(
        d,
        "BINANCE_NEGUSDT_15m.json",
        [
            dict(r, close=-r["close"]) if i in (10, 20) else dict(r, low=0) if i == 30 else r
            for i, r in enumerate(rows)
        ],
    )
    # strings for numbers are accepted as numbers (exchanges' raw APIs send them): a normal market
    _write(d, "BINANCE_STRINGSUSDT_15m.json", [{k: str(v) for k, v in r.items()} for r in rows])
    return skipped, repaired


@pytest.mark.timeout(60)
def test_hostile_files_are_skipped_or_repaired_and_named_while_the_scan_goes_on(
    sim: RunningSimulator,
    data_dir: Path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    skipped, repaired = _hostile(data_dir)
    caplog.set_level(logging.DEBUG, logger="quantpro")

    outcome = scan(sim, data_dir, clock)

    reasons = {s["file"]: s["reason"] for s in outcome.run.skipped_files}
    assert set(reasons) == set(skipped), set(reasons) ^ set(skipped)
    for file, fragment in skipped.items():
        assert fragment in reasons[file], (file, reasons[file])
    # every skip is a debug line with its reason (-v), and each kind of reason one warning with a count
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    for file in skipped:
        assert any(line == f"skipped {file}: {reasons[file]}" for line in debug), file
    for group in group_reasons(reasons.items()):
        assert sum(f"skipped {group.count} file" in w and group.reason in w for w in warnings) == 1, group
    assert sum(w.startswith("skipped ") for w in warnings) == len(group_reasons(reasons.items()))
    # every repair is named with what was repaired, in the log people read (INFO, not only debug)
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    for file, fragment in repaired.items():
        assert any(file in line and fragment in line for line in info), (file, [i for i in info if file in i])

    assert outcome.exit_code == 0
    extra = len(repaired) + 1  # the repaired files and the numeric-strings file are markets
    assert outcome.run.markets == DEMO_MARKETS + extra
    assert_three_signals_each(outcome, DEMO_MARKETS + extra)
    assert_valid_feed(outcome.feed_path)
    scanned = {s["symbol"] for s in outcome.signals}
    assert {"SHUFFLEDUSDT", "DUPUSDT", "FEWNANUSDT", "INFUSDT", "NEGUSDT", "STRINGSUSDT"} <= scanned
