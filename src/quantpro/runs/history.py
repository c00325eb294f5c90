"""Every scan remembered (docs/design.md §14): the glue between a scan's feed and the history store.

A scan by hand and a ``watch`` cycle both call these. The store is a convenience, never a
condition: one that cannot be opened or written (a read-only directory, a newer schema, a locked
file) is a warning, and the feed is written all the same, with zero changes.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from quantpro.errors import ConfigError
from quantpro.feed.changes import Change, data_dir_key, diff_runs, signal_rows
from quantpro.feed.types import FeedDocument, Signal
from quantpro.settings import Settings
from quantpro.store.history import HistoryStore, RunRecord

__all__ = [
    "Previous",
    "open_history",
    "previous_run",
    "record_feed",
    "scan_history",
]

log = logging.getLogger(__name__)

_STORE_ERRORS = (sqlite3.Error, OSError, ConfigError)


def open_history(settings: Settings, data_dir: Path) -> HistoryStore | None:
    """The history store of ``data_dir``, or ``None`` with a warning when it cannot be opened."""
    path = settings.store_file(data_dir)
    try:
        return HistoryStore.open(path)
    except _STORE_ERRORS as exc:
        log.warning("history store %s cannot be opened (%s); this run is not recorded", path, exc)
        return None


@contextmanager
def scan_history(
    settings: Settings, data_dir: Path, given: HistoryStore | None = None
) -> Iterator[HistoryStore | None]:
    """``given``, else the store opened for this block and closed after it."""
    if given is not None:
        yield given
        return
    history = open_history(settings, data_dir)
    try:
        yield history
    finally:
        if history is not None:
            history.close()


@dataclass(frozen=True, slots=True)
class Previous:
    """The run a new one is compared with, and the changes against it."""

    run: RunRecord | None
    changes: list[Change]


def previous_run(
    history: HistoryStore | None, data_dir: Path, signals: Sequence[Signal], strategies: Sequence[str]
) -> Previous:
    """The changes of ``signals`` against the newest recorded run of ``data_dir``; no store → none."""
    if history is None:
        return Previous(None, [])
    try:
        before = history.latest_run(data_dir_key(data_dir))
        rows = history.signals_of(before.id) if before is not None and before.id is not None else None
    except _STORE_ERRORS as exc:
        log.warning("history store unreadable (%s); changes are not computed for this run", exc)
        return Previous(None, [])
    compared = set(strategies) & set(before.strategies) if before is not None else set(strategies)
    return Previous(before, diff_runs(rows, signal_rows(signals), strategies=compared))


def record_feed(
    history: HistoryStore | None,
    data_dir: Path,
    feed: FeedDocument,
    *,
    strategies: Sequence[str],
    origin: str,
    history_days: float,
) -> int | None:
    """Record the run and its actionable signals; the run's id, or ``None`` (warned) when it failed."""
    if history is None:
        return None
    run = feed["run"]
    record = RunRecord(
        data_dir=data_dir_key(data_dir),
        time_ms=int(feed["last_updated"]),
        origin=origin,
        status=run["status"],
        markets=run["markets"],
        signals=len(feed["signals"]),
        actionable=0,  # counted from the rows by the store
        stale_markets=run["stale_markets"],
        degraded_markets=run["degraded_markets"],
        units_spent=run["units_spent"],
        units_minimum=run["units_minimum"],
        duration_s=float(run["duration_s"]),
        strategies=tuple(strategies),
    )
    try:
        run_id = history.record_run(record, signal_rows(feed["signals"]), history_days=history_days)
    except _STORE_ERRORS as exc:
        log.warning("could not record this run in the history store (%s); the feed is written", exc)
        return None
    log.debug("history: recorded run %d (%d signals)", run_id, len(feed["signals"]))
    return run_id
