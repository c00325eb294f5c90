"""The derivatives tables of the SQLite store (docs/design.md §11): markets, OI buckets, ratios, logs.

Every perpetual a venue's bulk calls return is a ``market`` row (with its newest observation: OI,
funding, price, 24 h volume), and its samples become ``oi_bucket`` rows by one rule: a sample observed
at ``s`` stands for the boundary ``T = ⌊s/900⌋·900`` when ``s − T`` ≤ the maximum lag; of two live
samples the one closer to ``T`` wins; history rows (venue history, Coinalyze) only fill empty buckets
and never overwrite a live one. OI is in base units with the raw value and the contract size beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from quantpro.store.db import Store, register_migrations

__all__ = [
    "BUCKET_S",
    "COMPONENT",
    "BucketRow",
    "FetchLogRow",
    "MarketRow",
    "Sample",
    "boundary_for",
    "log_fetch",
    "mark_delisted",
    "mark_tier_a",
    "market_ids",
    "prune",
    "set_coinalyze_symbols",
    "upsert_markets",
    "write_history",
    "write_liquidations",
    "write_ls_ratios",
    "write_samples",
]

BUCKET_S = 900
COMPONENT = "derivatives"
LIVE = "venue snapshot"
HistorySource = Literal["venue history", "coinalyze"]

_V1 = [
    """CREATE TABLE market (
        id INTEGER PRIMARY KEY,
        venue TEXT NOT NULL,
        venue_id TEXT NOT NULL,
        ccxt_symbol TEXT NOT NULL,
        local_symbol TEXT NOT NULL,
        coin TEXT NOT NULL,
        multiplier REAL NOT NULL DEFAULT 1.0,
        contract_size REAL NOT NULL,
        oi_unit TEXT NOT NULL,
        funding_interval_h REAL,
        coinalyze_symbol TEXT,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        delisted INTEGER NOT NULL DEFAULT 0,
        last_oi_base REAL,
        last_funding REAL,
        last_price REAL,
        quote_volume_24h REAL,
        UNIQUE (venue, venue_id)
    )""",
    "CREATE INDEX market_local ON market (venue, local_symbol)",
    "CREATE INDEX market_coin ON market (coin)",
    """CREATE TABLE oi_bucket (
        bucket_end INTEGER NOT NULL CHECK (bucket_end % 900 = 0),
        market INTEGER NOT NULL REFERENCES market (id),
        oi_base REAL NOT NULL,
        oi_raw REAL,
        contract_size REAL NOT NULL,
        price REAL,
        funding REAL,
        lag_ms INTEGER,
        source TEXT NOT NULL CHECK (source IN ('venue snapshot', 'venue history', 'coinalyze')),
        PRIMARY KEY (bucket_end, market)
    ) WITHOUT ROWID""",
    "CREATE INDEX oi_bucket_market ON oi_bucket (market, bucket_end)",
    """CREATE TABLE ls_ratio (
        market INTEGER NOT NULL REFERENCES market (id),
        observed_ms INTEGER NOT NULL,
        ratio REAL NOT NULL,
        PRIMARY KEY (market, observed_ms)
    ) WITHOUT ROWID""",
    """CREATE TABLE liquidations (
        coinalyze_symbol TEXT NOT NULL,
        fetched_ms INTEGER NOT NULL,
        longs REAL NOT NULL,
        shorts REAL NOT NULL,
        PRIMARY KEY (coinalyze_symbol, fetched_ms)
    ) WITHOUT ROWID""",
    """CREATE TABLE fetch_log (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        venue TEXT,
        status TEXT NOT NULL,
        markets INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0,
        units INTEGER NOT NULL DEFAULT 0,
        http_429 INTEGER NOT NULL DEFAULT 0,
        error TEXT
    )""",
    "CREATE INDEX fetch_log_kind ON fetch_log (kind, venue, at_ms)",
]

_V2 = [
    "ALTER TABLE market ADD COLUMN coinalyze_status TEXT",
    """CREATE TABLE tier_hint (
        coinalyze_symbol TEXT PRIMARY KEY,
        until_ms INTEGER NOT NULL
    ) WITHOUT ROWID""",
]

register_migrations(COMPONENT, [_V1, _V2])


@dataclass(frozen=True, slots=True)
class Sample:
    """One perpetual as a venue's snapshot saw it (base-unit OI, the venue's funding fraction)."""

    venue: str
    venue_id: str
    ccxt_symbol: str
    local_symbol: str
    coin: str
    contract_size: float
    oi_unit: str
    oi_raw: float | None
    oi_base: float | None
    price: float | None
    funding_rate: float | None
    funding_interval_h: float | None
    quote_volume_24h: float | None
    observed_ms: int


@dataclass(frozen=True, slots=True)
class MarketRow:
    id: int
    venue: str
    venue_id: str
    ccxt_symbol: str
    local_symbol: str
    coin: str
    contract_size: float
    oi_unit: str
    funding_interval_h: float | None
    coinalyze_symbol: str | None
    first_seen_ms: int
    last_seen_ms: int
    delisted: bool
    last_oi_base: float | None
    last_funding: float | None
    last_price: float | None
    quote_volume_24h: float | None
    coinalyze_status: str | None = None  # resolved (its own symbol) | aggregated (a proxy) | neutral


@dataclass(frozen=True, slots=True)
class BucketRow:
    bucket_end: int  # s, a multiple of 900
    oi_base: float
    contract_size: float
    source: str
    price: float | None = None
    funding: float | None = None


@dataclass(frozen=True, slots=True)
class FetchLogRow:
    at_ms: int
    kind: str
    venue: str | None
    status: str
    markets: int
    requests: int
    units: int
    http_429: int
    error: str | None


def boundary_for(observed_ms: int, max_lag_s: float) -> int | None:
    """The boundary a sample stands for, or None when it came more than ``max_lag_s`` after it."""
    s = observed_ms / 1000
    boundary = int(s // BUCKET_S) * BUCKET_S
    return boundary if s - boundary <= max_lag_s else None


# -- writing ------------------------------------------------------------------------------------------

_UPSERT_MARKET = """
INSERT INTO market (venue, venue_id, ccxt_symbol, local_symbol, coin, contract_size, oi_unit,
    funding_interval_h, first_seen_ms, last_seen_ms, delisted, last_oi_base, last_funding, last_price,
    quote_volume_24h)
VALUES (:venue, :venue_id, :ccxt_symbol, :local_symbol, :coin, :contract_size, :oi_unit,
    :funding_interval_h, :observed_ms, :observed_ms, 0, :oi_base, :funding_rate, :price,
    :quote_volume_24h)
ON CONFLICT (venue, venue_id) DO UPDATE SET
    ccxt_symbol = excluded.ccxt_symbol, local_symbol = excluded.local_symbol, coin = excluded.coin,
    contract_size = excluded.contract_size, oi_unit = excluded.oi_unit,
    funding_interval_h = COALESCE(excluded.funding_interval_h, market.funding_interval_h),
    last_seen_ms = MAX(market.last_seen_ms, excluded.last_seen_ms), delisted = 0,
    last_oi_base = COALESCE(excluded.last_oi_base, market.last_oi_base),
    last_funding = COALESCE(excluded.last_funding, market.last_funding),
    last_price = COALESCE(excluded.last_price, market.last_price),
    quote_volume_24h = COALESCE(excluded.quote_volume_24h, market.quote_volume_24h)
WHERE excluded.last_seen_ms >= market.last_seen_ms
"""

_UPSERT_LIVE = """
INSERT INTO oi_bucket (bucket_end, market, oi_base, oi_raw, contract_size, price, funding, lag_ms, source)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'venue snapshot')
ON CONFLICT (bucket_end, market) DO UPDATE SET
    oi_base = excluded.oi_base, oi_raw = excluded.oi_raw, contract_size = excluded.contract_size,
    price = excluded.price, funding = excluded.funding, lag_ms = excluded.lag_ms, source = excluded.source
WHERE oi_bucket.source != 'venue snapshot' OR excluded.lag_ms < oi_bucket.lag_ms
"""


def upsert_markets(store: Store, samples: Iterable[Sample]) -> dict[tuple[str, str], int]:
    """Every sample's market row (created, or refreshed with its newest observation); ids by
    (venue, venue_id)."""
    rows = list(samples)
    with store.transaction() as conn:
        conn.executemany(_UPSERT_MARKET, [_sample_params(s) for s in rows])
    return market_ids(store, {(s.venue, s.venue_id) for s in rows})


def market_ids(store: Store, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    wanted = set(keys)
    venues = sorted({v for v, _ in wanted})
    found: dict[tuple[str, str], int] = {}
    for venue in venues:
        for row in store.conn.execute("SELECT id, venue_id FROM market WHERE venue = ?", (venue,)):
            key = (venue, str(row["venue_id"]))
            if key in wanted:
                found[key] = int(row["id"])
    return found


def _sample_params(s: Sample) -> dict[str, Any]:
    return {
        "venue": s.venue,
        "venue_id": s.venue_id,
        "ccxt_symbol": s.ccxt_symbol,
        "local_symbol": s.local_symbol,
        "coin": s.coin,
        "contract_size": s.contract_size,
        "oi_unit": s.oi_unit,
        "funding_interval_h": s.funding_interval_h,
        "observed_ms": s.observed_ms,
        "oi_base": s.oi_base,
        "funding_rate": s.funding_rate,
        "price": s.price,
        "quote_volume_24h": s.quote_volume_24h,
    }


def write_samples(store: Store, samples: Sequence[Sample], *, max_lag_s: float) -> int:
    """Markets upserted, and each sample with OI into the bucket it stands for (the bucket rule);
    returns how many buckets were written or improved."""
    ids = upsert_markets(store, samples)
    params = []
    for s in samples:
        boundary = boundary_for(s.observed_ms, max_lag_s)
        if boundary is None or s.oi_base is None:
            continue
        lag = s.observed_ms - boundary * 1000
        market = ids[(s.venue, s.venue_id)]
        params.append((boundary, market, s.oi_base, s.oi_raw, s.contract_size, s.price, s.funding_rate, lag))
    with store.transaction() as conn:
        before = conn.total_changes
        conn.executemany(_UPSERT_LIVE, params)
        return conn.total_changes - before


def write_history(
    store: Store,
    market: int,
    points: Iterable[tuple[int, float]],
    *,
    contract_size: float,
    source: HistorySource,
) -> int:
    """(boundary s, OI base) points into empty buckets only; returns how many were filled."""
    rows = [(b, market, v, contract_size, source) for b, v in points if b % BUCKET_S == 0]
    with store.transaction() as conn:
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO oi_bucket (bucket_end, market, oi_base, contract_size, source) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        return conn.total_changes - before


def write_ls_ratios(store: Store, ratios: Iterable[tuple[int, int, float]]) -> None:
    """(market id, observed ms, ratio) rows."""
    with store.transaction() as conn:
        conn.executemany("INSERT OR REPLACE INTO ls_ratio VALUES (?, ?, ?)", list(ratios))


def write_liquidations(store: Store, rows: Iterable[tuple[str, int, float, float]]) -> None:
    """(Coinalyze symbol, fetched ms, longs USD, shorts USD) rows."""
    with store.transaction() as conn:
        conn.executemany("INSERT OR REPLACE INTO liquidations VALUES (?, ?, ?, ?)", list(rows))


def set_coinalyze_symbols(store: Store, symbols: dict[int, tuple[str | None, str]]) -> None:
    """market id → (Coinalyze symbol, status: resolved | aggregated | neutral)."""
    with store.transaction() as conn:
        conn.executemany(
            "UPDATE market SET coinalyze_symbol = ?, coinalyze_status = ? WHERE id = ?",
            [(sym, status, market) for market, (sym, status) in symbols.items()],
        )


def mark_delisted(store: Store, venue: str, listed: set[str]) -> int:
    """Mark the venue's markets a complete snapshot no longer lists as delisted (kept, not deleted:
    their history stays); returns how many."""
    rows = store.conn.execute(
        "SELECT id, venue_id FROM market WHERE venue = ? AND delisted = 0", (venue,)
    ).fetchall()
    gone = [(int(r[0]),) for r in rows if r[1] not in listed]
    if gone:
        with store.transaction() as conn:
            conn.executemany("UPDATE market SET delisted = 1 WHERE id = ?", gone)
    return len(gone)


def mark_tier_a(store: Store, symbols: Iterable[str], *, until_ms: int) -> None:
    """Coinalyze symbols a scan found hot (a signal, score ≥ 60, OI z ≥ 1): tier A until ``until_ms``."""
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO tier_hint VALUES (?, ?) ON CONFLICT (coinalyze_symbol) DO UPDATE SET "
            "until_ms = MAX(tier_hint.until_ms, excluded.until_ms)",
            [(s, until_ms) for s in set(symbols)],
        )


def log_fetch(store: Store, row: FetchLogRow) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO fetch_log (at_ms, kind, venue, status, markets, requests, units, http_429, "
            "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.at_ms,
                row.kind,
                row.venue,
                row.status,
                row.markets,
                row.requests,
                row.units,
                row.http_429,
                row.error,
            ),
        )


def prune(store: Store, *, now_s: float, retention_days: float) -> dict[str, int]:
    """Delete what is older than the retention; returns rows deleted per table."""
    cutoff_s = int(now_s - retention_days * 86_400)
    deleted: dict[str, int] = {}
    with store.transaction() as conn:
        for table, column, scale in (
            ("oi_bucket", "bucket_end", 1),
            ("ls_ratio", "observed_ms", 1000),
            ("liquidations", "fetched_ms", 1000),
            ("fetch_log", "at_ms", 1000),
        ):
            cursor = conn.execute(f"DELETE FROM {table} WHERE {column} < ?", (cutoff_s * scale,))
            deleted[table] = cursor.rowcount
    return deleted
