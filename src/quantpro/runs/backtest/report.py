"""The backtest's JSON report (docs/design.md §13) and the track record the feed reads from it.

``backtest.json`` holds ``schema_version``, ``params`` (every flag's value), ``summary`` (the tables)
and ``trades`` (one object per trade, exactly the fields §13 lists). :func:`track_record_for` gives a
signal's ``track_record`` — its strategy's figures in its score bucket — from a report read
tolerantly (a missing or foreign file is no track record, never an error).
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from quantpro.feed.types import Signal, TrackRecord
from quantpro.runs.backtest.execution import trade_dict
from quantpro.runs.backtest.run import BacktestResult
from quantpro.runs.backtest.stats import bucket_of
from quantpro.store.atomic import atomic_write_bytes
from quantpro.store.layout import BACKTEST_JSON

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "attach_track_records",
    "load_report",
    "report_document",
    "track_record_for",
    "write_report",
]

log = logging.getLogger(__name__)

REPORT_SCHEMA_VERSION = 1


def report_document(result: BacktestResult) -> dict[str, Any]:
    """The JSON report of one backtest."""
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "params": result.params,
        "summary": result.summary,
        "duration_s": round(result.duration_s, 3),
        "trades": [trade_dict(t) for t in result.trades],
    }


def _clean(value: Any) -> Any:
    """NaN and infinities as null: the report is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_report(path: Path, document: dict[str, Any]) -> None:
    """Write the report atomically, strict JSON."""
    text = json.dumps(_clean(document), allow_nan=False, separators=(",", ":"))
    atomic_write_bytes(Path(path), text.encode())


def load_report(path: Path) -> dict[str, Any] | None:
    """A backtest report, or None when missing, unreadable or not ours (a warning, never a crash)."""
    try:
        document = json.loads(Path(path).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return None
    if not isinstance(document, dict) or document.get("schema_version") != REPORT_SCHEMA_VERSION:
        log.warning("ignoring %s: not a backtest report of schema version %d", path, REPORT_SCHEMA_VERSION)
        return None
    return document


def track_record_for(report: dict[str, Any], strategy: str, score: float) -> TrackRecord | None:
    """The backtest's figures of ``strategy`` in the score bucket of ``score``; None when the report
    has no trade there (a bucket never traded has no record, not a record of zero)."""
    summary = report.get("summary")
    if not isinstance(summary, dict):
        return None
    buckets = summary.get("by_bucket", {}).get(strategy, {})
    stats = buckets.get(bucket_of(score)) if isinstance(buckets, dict) else None
    if not isinstance(stats, dict) or not stats.get("trades"):
        return None
    period = summary.get("period", {})
    ci = stats.get("ci95")
    return {
        "trades": int(stats["trades"]),
        "win_rate": stats.get("win_rate"),
        "expectancy_r": stats.get("expectancy_r"),
        "ci95": list(ci) if isinstance(ci, list) else None,
        "period": {"from": period.get("from"), "to": period.get("to")},
    }


def attach_track_records(signals: list[Signal], data_dir: Path) -> int:
    """Give each signal the track record of its strategy and score bucket from
    ``DATA_DIR/backtest.json`` when it exists (docs/design.md §13); returns how many got one."""
    report = load_report(Path(data_dir) / BACKTEST_JSON)
    if report is None:
        return 0
    given = 0
    for signal in signals:
        record = track_record_for(report, signal["strategy_name"], float(signal["score"]))
        signal["track_record"] = record
        given += record is not None
    return given
