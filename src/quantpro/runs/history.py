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
from quantpro.feed.types import FeedDocument, Signal
from quantpro.runs.changes import Change, diff_runs, signal_rows
from quantpro.settings import Settings
from quantpro.store.history import HistoryStore, RunRecord

__all__ = [
    "Previous",
    "RunChanges",
    "changes_since",
    "data_dir_key",
    "open_history",
    "previous_run",
    "record_feed",
    "scan_history",
]

log = logging.getLogger(__name__)

_STORE_ERRORS = (sqlite3.Error, OSError, ConfigError)


def data_dir_key(data_dir: Path) -> str:
    """How a data directory is named in the store (one store may serve several)."""
    return str(Path(data_dir).resolve())


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


@dataclass(frozen=True, slots=True)
class RunChanges:
    """One recorded run and its changes against the run before it (``quantpro changes``)."""

    run: RunRecord
    previous: RunRecord | None
    changes: list[Change]


def changes_since(settings: Settings, data_dir: Path, since_ms: int | None) -> list[RunChanges] | None:
    """Each run of ``data_dir`` since ``since_ms`` (default: the newest only) with its changes, oldest
    first; ``None`` when no store exists yet. Read-only: nothing is created or migrated."""
    path = settings.store_file(data_dir)
    try:
        history = HistoryStore.open(path, read_only=True)
    except FileNotFoundError:
        return None
    key = data_dir_key(data_dir)
    with history:
        if since_ms is None:
            newest = history.latest_run(key)
            runs = [newest] if newest is not None else []
        else:
            runs = history.runs_since(key, since_ms)
        return [_run_changes(history, key, run) for run in runs]


def _run_changes(history: HistoryStore, key: str, run: RunRecord) -> RunChanges:
    assert run.id is not None
    before = history.latest_run(key, before_id=run.id)
    rows = history.signals_of(before.id) if before is not None and before.id is not None else None
    compared = set(run.strategies) & set(before.strategies) if before is not None else set(run.strategies)
    return RunChanges(run, before, diff_runs(rows, history.signals_of(run.id), strategies=compared))
