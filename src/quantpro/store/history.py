"""The history of §14 in the SQLite store: every scan's run, its actionable signals, the alerts sent.

Component ``history`` of :mod:`quantpro.store.db`. ``runs`` holds one row per scan (by ``watch`` or
by hand) with its time, status, counts, units and duration, keyed by the data directory it scanned
(one store may serve several). ``signals`` holds the run's *actionable* signals only (LONG/SHORT):
what ``changes`` compares and what a dashboard charts, at a size a 90-day history can afford (a WAIT
is the absence of a row). ``alerts_sent`` is the deduplication of §14: one row per (exchange,
symbol, strategy, side, calculated_at, channel) delivered, so a restart never re-sends; ``alert_cursor``
is, per channel, the last run whose new signals reached it (a failing channel keeps its cursor, so the
next cycle retries). Rows older than ``QUANTPRO_HISTORY_DAYS`` are pruned when a run is recorded.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from quantpro.store.db import Store, register_migrations

__all__ = [
    "COMPONENT",
    "AlertKey",
    "HistoryStore",
    "RunRecord",
    "SignalRow",
]

log = logging.getLogger(__name__)

COMPONENT = "history"

_V1 = (
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        data_dir TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        origin TEXT NOT NULL,
        status TEXT NOT NULL,
        markets INTEGER NOT NULL,
        signals INTEGER NOT NULL,
        actionable INTEGER NOT NULL,
        stale_markets INTEGER NOT NULL,
        degraded_markets INTEGER NOT NULL,
        units_spent INTEGER NOT NULL,
        units_minimum INTEGER NOT NULL,
        duration_s REAL NOT NULL,
        strategies TEXT NOT NULL
    )""",
    "CREATE INDEX runs_by_dir_time ON runs (data_dir, time_ms)",
    "CREATE INDEX runs_by_time ON runs (time_ms)",
    """CREATE TABLE signals (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        exchange TEXT NOT NULL,
        symbol TEXT NOT NULL,
        strategy TEXT NOT NULL,
        action TEXT NOT NULL,
        score REAL NOT NULL,
        entry REAL,
        stop REAL,
        target REAL,
        rr REAL,
        calculated_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, exchange, symbol, strategy)
    )""",
    """CREATE TABLE alerts_sent (
        exchange TEXT NOT NULL,
        symbol TEXT NOT NULL,
        strategy TEXT NOT NULL,
        side TEXT NOT NULL,
        calculated_at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        PRIMARY KEY (exchange, symbol, strategy, side, calculated_at, channel)
    )""",
    "CREATE INDEX alerts_sent_by_time ON alerts_sent (sent_at)",
    """CREATE TABLE alert_cursor (
        data_dir TEXT NOT NULL,
        channel TEXT NOT NULL,
        run_id INTEGER NOT NULL,
        PRIMARY KEY (data_dir, channel)
    )""",
)

register_migrations(COMPONENT, [_V1])

_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class SignalRow:
    """One actionable signal of a run, as stored."""

    exchange: str
    symbol: str
    strategy: str
    action: str
    score: float
    entry: float | None
    stop: float | None
    target: float | None
    rr: float | None
    calculated_at: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.exchange, self.symbol, self.strategy)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One scan as stored in ``runs``."""

    data_dir: str
    time_ms: int
    origin: str  # "scan" (by hand) or "watch"
    status: str
    markets: int
    signals: int
    actionable: int
    stale_markets: int
    degraded_markets: int
    units_spent: int
    units_minimum: int
    duration_s: float
    strategies: tuple[str, ...]
    id: int | None = None


@dataclass(frozen=True, slots=True)
class AlertKey:
    """What an alert is deduplicated on (docs/design.md §14)."""

    exchange: str
    symbol: str
    strategy: str
    side: str
    calculated_at: int


_RUN_COLUMNS = (
    "id, data_dir, time_ms, origin, status, markets, signals, actionable, stale_markets, "
    "degraded_markets, units_spent, units_minimum, duration_s, strategies"
)


def _run_from_row(row: Sequence[object]) -> RunRecord:
    (rid, data_dir, time_ms, origin, status, markets, signals, actionable, stale, degraded, spent,
     minimum, duration, strategies) = row  # fmt: skip
    return RunRecord(
        data_dir=str(data_dir),
        time_ms=int(str(time_ms)),
        origin=str(origin),
        status=str(status),
        markets=int(str(markets)),
        signals=int(str(signals)),
        actionable=int(str(actionable)),
        stale_markets=int(str(stale)),
        degraded_markets=int(str(degraded)),
        units_spent=int(str(spent)),
        units_minimum=int(str(minimum)),
        duration_s=float(str(duration)),
        strategies=tuple(s for s in str(strategies).split(",") if s),
        id=int(str(rid)),
    )


class HistoryStore:
    """The history tables of one open :class:`~quantpro.store.db.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> HistoryStore:
        """Open (creating and migrating, unless ``read_only``) the store at ``path``; raises what
        :class:`Store` raises (``FileNotFoundError`` for a read-only store that does not exist)."""
        return cls(Store(path, read_only=read_only))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------------------------

    def record_run(self, run: RunRecord, signals: Iterable[SignalRow], *, history_days: float) -> int:
        """Insert the run and its actionable signals in one transaction, prune what is older than
        ``history_days`` before it; returns the run's id."""
        rows = [s for s in signals if s.action in ("LONG", "SHORT")]
        with self.store.transaction() as conn:
            cursor = conn.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS.removeprefix('id, ')}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.data_dir, run.time_ms, run.origin, run.status, run.markets, run.signals,
                    len(rows), run.stale_markets, run.degraded_markets, run.units_spent,
                    run.units_minimum, run.duration_s, ",".join(run.strategies),
                ),
            )  # fmt: skip
            run_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT OR REPLACE INTO signals (run_id, exchange, symbol, strategy, action, score, "
                "entry, stop, target, rr, calculated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (run_id, s.exchange, s.symbol, s.strategy, s.action, s.score, s.entry, s.stop,
                     s.target, s.rr, s.calculated_at)
                    for s in rows
                ],
            )  # fmt: skip
            self._prune(conn, run.time_ms - int(history_days * _DAY_MS))
        return run_id

    def _prune(self, conn: sqlite3.Connection, before_ms: int) -> None:
        gone = conn.execute("DELETE FROM runs WHERE time_ms < ?", (before_ms,)).rowcount
        conn.execute("DELETE FROM alerts_sent WHERE sent_at < ?", (before_ms,))
        if gone:
            log.debug("history: pruned %d runs older than the retention", gone)

    def latest_run(self, data_dir: str, *, before_id: int | None = None) -> RunRecord | None:
        """The newest run of ``data_dir`` (older than run ``before_id`` when given)."""
        sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE data_dir = ?"
        params: list[object] = [data_dir]
        if before_id is not None:
            sql += " AND id < ?"
            params.append(before_id)
        row = self.store.conn.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
        return _run_from_row(tuple(row)) if row is not None else None

    def run(self, run_id: int) -> RunRecord | None:
        row = self.store.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run_from_row(tuple(row)) if row is not None else None

    def runs_since(self, data_dir: str, since_ms: int) -> list[RunRecord]:
        """The runs of ``data_dir`` at or after ``since_ms``, oldest first."""
        rows = self.store.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE data_dir = ? AND time_ms >= ? ORDER BY id",
            (data_dir, since_ms),
        ).fetchall()
        return [_run_from_row(tuple(r)) for r in rows]

    def signals_of(self, run_id: int) -> list[SignalRow]:
        """The actionable signals stored for ``run_id``."""
        rows = self.store.conn.execute(
            "SELECT exchange, symbol, strategy, action, score, entry, stop, target, rr, calculated_at "
            "FROM signals WHERE run_id = ? ORDER BY exchange, symbol, strategy",
            (run_id,),
        ).fetchall()
        return [SignalRow(*tuple(r)) for r in rows]

    def count(self, table: str) -> int:
        """Rows in one of the history tables (for tests and ``show``)."""
        if table not in {"runs", "signals", "alerts_sent", "alert_cursor"}:
            raise ValueError(f"not a history table: {table}")
        return int(self.store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    # -- alerts -----------------------------------------------------------------------------------

    def was_sent(self, key: AlertKey, channel: str, *, since_ms: int | None = None) -> bool:
        """Whether this alert already reached ``channel``: the exact key, or (``since_ms``) the same
        market, strategy and side at or after that moment (a retry across a new candle)."""
        conn = self.store.conn
        exact = conn.execute(
            "SELECT 1 FROM alerts_sent WHERE exchange = ? AND symbol = ? AND strategy = ? AND side = ? "
            "AND calculated_at = ? AND channel = ?",
            (key.exchange, key.symbol, key.strategy, key.side, key.calculated_at, channel),
        ).fetchone()
        if exact is not None or since_ms is None:
            return exact is not None
        recent = conn.execute(
            "SELECT 1 FROM alerts_sent WHERE exchange = ? AND symbol = ? AND strategy = ? AND side = ? "
            "AND channel = ? AND sent_at >= ?",
            (key.exchange, key.symbol, key.strategy, key.side, channel, since_ms),
        ).fetchone()
        return recent is not None

    def mark_sent(self, keys: Iterable[AlertKey], channel: str, sent_at_ms: int) -> None:
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO alerts_sent (exchange, symbol, strategy, side, calculated_at, "
                "channel, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (k.exchange, k.symbol, k.strategy, k.side, k.calculated_at, channel, sent_at_ms)
                    for k in keys
                ],
            )

    def alert_cursor(self, data_dir: str, channel: str) -> int | None:
        """The last run of ``data_dir`` whose new signals reached ``channel``."""
        row = self.store.conn.execute(
            "SELECT run_id FROM alert_cursor WHERE data_dir = ? AND channel = ?", (data_dir, channel)
        ).fetchone()
        return int(row[0]) if row is not None else None

    def set_alert_cursor(self, data_dir: str, channel: str, run_id: int) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO alert_cursor (data_dir, channel, run_id) VALUES (?, ?, ?) "
                "ON CONFLICT (data_dir, channel) DO UPDATE SET run_id = excluded.run_id",
                (data_dir, channel, run_id),
            )
