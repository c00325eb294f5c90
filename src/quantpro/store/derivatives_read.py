"""Reading the derivatives tables of the store (docs/design.md §11): markets, series, logs, status."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter
from typing import Any

from quantpro.store.db import Store
from quantpro.store.derivatives import BUCKET_S, BucketRow, FetchLogRow, MarketRow

__all__ = [
    "bucket_counts",
    "last_fetch",
    "last_ok_ms",
    "latest_liquidations",
    "latest_liquidations_all",
    "latest_ls_ratio",
    "latest_ls_ratios",
    "liquidation_ages",
    "load_markets",
    "load_series",
    "store_status",
    "tier_a_symbols",
]


def _market(row: sqlite3.Row) -> MarketRow:
    return MarketRow(
        id=int(row["id"]),
        venue=row["venue"],
        venue_id=row["venue_id"],
        ccxt_symbol=row["ccxt_symbol"],
        local_symbol=row["local_symbol"],
        coin=row["coin"],
        contract_size=float(row["contract_size"]),
        oi_unit=row["oi_unit"],
        funding_interval_h=row["funding_interval_h"],
        coinalyze_symbol=row["coinalyze_symbol"],
        first_seen_ms=int(row["first_seen_ms"]),
        last_seen_ms=int(row["last_seen_ms"]),
        delisted=bool(row["delisted"]),
        last_oi_base=row["last_oi_base"],
        last_funding=row["last_funding"],
        last_price=row["last_price"],
        quote_volume_24h=row["quote_volume_24h"],
        coinalyze_status=row["coinalyze_status"],
    )


def load_markets(store: Store, venue: str | None = None) -> list[MarketRow]:
    if venue is None:
        rows = store.conn.execute("SELECT * FROM market ORDER BY venue, venue_id")
    else:
        rows = store.conn.execute("SELECT * FROM market WHERE venue = ? ORDER BY venue_id", (venue,))
    return [_market(row) for row in rows]


def load_series(
    store: Store, markets: Iterable[int], *, since_s: int, until_s: int, observed_by_ms: int | None = None
) -> dict[int, list[BucketRow]]:
    """Each market's buckets with ``since_s ≤ bucket_end ≤ until_s`` observed by ``observed_by_ms``
    (a live sample is observed ``lag_ms`` after its boundary), oldest first (one query)."""
    wanted = sorted(set(markets))
    series: dict[int, list[BucketRow]] = {m: [] for m in wanted}
    if not wanted:
        return series
    store.conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_market (id INTEGER PRIMARY KEY)")
    store.conn.execute("DELETE FROM wanted_market")
    store.conn.executemany("INSERT INTO wanted_market VALUES (?)", [(m,) for m in wanted])
    cursor = store.conn.cursor()
    cursor.row_factory = None  # plain tuples: the columns are BucketRow's fields in order (REAL, NOT NULL)
    rows = cursor.execute(
        "SELECT b.market, b.bucket_end, b.oi_base, b.contract_size, b.source, b.price, b.funding "
        "FROM oi_bucket b JOIN wanted_market w ON w.id = b.market "
        "WHERE b.bucket_end BETWEEN ? AND ? AND b.bucket_end * 1000 + COALESCE(b.lag_ms, 0) <= ? "
        "ORDER BY b.market, b.bucket_end",
        (since_s, until_s, _until(observed_by_ms)),
    )
    for market, group in groupby(rows, key=itemgetter(0)):
        series[market] = [BucketRow(*row[1:]) for row in group]
    store.conn.commit()
    return series


def latest_ls_ratio(store: Store, market: int) -> tuple[int, float] | None:
    row = store.conn.execute(
        "SELECT observed_ms, ratio FROM ls_ratio WHERE market = ? ORDER BY observed_ms DESC LIMIT 1",
        (market,),
    ).fetchone()
    return (int(row[0]), float(row[1])) if row is not None else None


def last_fetch(store: Store, kind: str, venue: str | None = None) -> FetchLogRow | None:
    """The newest fetch_log row of a kind (and venue)."""
    row = store.conn.execute(
        "SELECT at_ms, kind, venue, status, markets, requests, units, http_429, error FROM fetch_log "
        "WHERE kind = ? AND (? IS NULL OR venue = ?) ORDER BY at_ms DESC, id DESC LIMIT 1",
        (kind, venue, venue),
    ).fetchone()
    return FetchLogRow(*row) if row is not None else None


def last_ok_ms(store: Store, kind: str, venue: str) -> int | None:
    """When a venue's fetch of this kind last succeeded."""
    row = store.conn.execute(
        "SELECT MAX(at_ms) FROM fetch_log WHERE kind = ? AND venue = ? AND status = 'ok'", (kind, venue)
    ).fetchone()
    return int(row[0]) if row is not None and row[0] is not None else None


def bucket_counts(
    store: Store, *, since_s: int, until_s: int | None = None, observed_by_ms: int | None = None
) -> dict[int, int]:
    """Buckets per market with ``since_s ≤ bucket_end ≤ until_s`` (default: no upper limit) observed
    by ``observed_by_ms`` (default: any)."""
    rows = store.conn.execute(
        "SELECT market, COUNT(*) FROM oi_bucket WHERE bucket_end BETWEEN ? AND ? "
        "AND bucket_end * 1000 + COALESCE(lag_ms, 0) <= ? GROUP BY market",
        (since_s, _until(until_s), _until(observed_by_ms)),
    )
    return {int(m): int(n) for m, n in rows}


def store_status(store: Store, *, now_s: float) -> dict[str, Any]:
    """Markets per venue, newest bucket, warming-up markets (< 14 buckets in 24 h), gaps, size."""
    since = int(now_s // BUCKET_S) * BUCKET_S - 86_400
    counts = bucket_counts(store, since_s=since + BUCKET_S)
    venues: dict[str, dict[str, Any]] = {}
    for m in load_markets(store):
        entry = venues.setdefault(
            m.venue, {"markets": 0, "newest_bucket": None, "warming_up": 0, "missing_24h": 0}
        )
        entry["markets"] += 1
        n = counts.get(m.id, 0)
        entry["warming_up"] += 1 if n < 14 else 0
        entry["missing_24h"] += max(0, 96 - n) if n else 0
    for venue, newest in store.conn.execute(
        "SELECT m.venue, MAX(b.bucket_end) FROM oi_bucket b JOIN market m ON m.id = b.market GROUP BY m.venue"
    ):
        venues.setdefault(venue, {"markets": 0, "newest_bucket": None, "warming_up": 0, "missing_24h": 0})
        venues[venue]["newest_bucket"] = int(newest) if newest is not None else None
    size = sum(
        part.stat().st_size
        for part in (store.path, store.path.with_name(store.path.name + "-wal"))
        if part.exists()
    )
    total = store.conn.execute("SELECT COUNT(*) FROM oi_bucket").fetchone()[0]
    return {"path": str(store.path), "size_bytes": size, "buckets": int(total), "venues": venues}


def latest_liquidations(store: Store, coinalyze_symbol: str) -> tuple[int, float, float] | None:
    """The newest (fetched ms, longs USD, shorts USD) of a Coinalyze symbol."""
    row = store.conn.execute(
        "SELECT fetched_ms, longs, shorts FROM liquidations WHERE coinalyze_symbol = ? "
        "ORDER BY fetched_ms DESC LIMIT 1",
        (coinalyze_symbol,),
    ).fetchone()
    return (int(row[0]), float(row[1]), float(row[2])) if row is not None else None


def tier_a_symbols(store: Store, *, now_ms: int) -> set[str]:
    """Coinalyze symbols a recent scan marked tier A (still within their hint)."""
    rows = store.conn.execute("SELECT coinalyze_symbol FROM tier_hint WHERE until_ms >= ?", (now_ms,))
    return {str(r[0]) for r in rows}


def liquidation_ages(store: Store) -> dict[str, int]:
    """Coinalyze symbol → when its liquidations were last fetched (ms)."""
    rows = store.conn.execute("SELECT coinalyze_symbol, MAX(fetched_ms) FROM liquidations GROUP BY 1")
    return {str(s): int(t) for s, t in rows}


def latest_ls_ratios(store: Store, *, until_ms: int | None = None) -> dict[int, tuple[int, float]]:
    """Every market's newest (observed ms, ratio) observed by ``until_ms`` (default: any), in one query."""
    rows = store.conn.execute(
        "SELECT l.market, l.observed_ms, l.ratio FROM ls_ratio l JOIN (SELECT market, "
        "MAX(observed_ms) AS newest FROM ls_ratio WHERE observed_ms <= ? GROUP BY market) n "
        "ON n.market = l.market AND n.newest = l.observed_ms",
        (_until(until_ms),),
    )
    return {int(m): (int(t), float(r)) for m, t, r in rows}


def latest_liquidations_all(
    store: Store, *, until_ms: int | None = None
) -> dict[str, tuple[int, float, float]]:
    """Every Coinalyze symbol's newest (fetched ms, longs, shorts) fetched by ``until_ms``, in one query."""
    rows = store.conn.execute(
        "SELECT q.coinalyze_symbol, q.fetched_ms, q.longs, q.shorts FROM liquidations q JOIN (SELECT "
        "coinalyze_symbol, MAX(fetched_ms) AS newest FROM liquidations WHERE fetched_ms <= ? "
        "GROUP BY coinalyze_symbol) n ON n.coinalyze_symbol = q.coinalyze_symbol AND n.newest = q.fetched_ms",
        (_until(until_ms),),
    )
    return {str(s): (int(t), float(lo), float(sh)) for s, t, lo, sh in rows}


def _until(until_ms: int | None) -> int:
    """The newest moment a read may see: ``until_ms``, or no limit (SQLite's largest integer)."""
    return (1 << 63) - 1 if until_ms is None else int(until_ms)
