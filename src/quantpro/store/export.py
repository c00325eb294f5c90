"""Monthly Parquet export of the OI buckets (``quantpro store export``, docs/design.md §11): the
history MEXC, Bitget and Hyperliquid cannot give back, kept outside the store's retention."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from quantpro.store.db import Store

__all__ = ["export_parquet"]

_QUERY = """
SELECT b.bucket_end, m.venue, m.venue_id, m.local_symbol, m.coin, b.oi_base, b.oi_raw,
       b.contract_size, b.price, b.funding, b.lag_ms, b.source
FROM oi_bucket b JOIN market m ON m.id = b.market
WHERE b.bucket_end >= ? AND b.bucket_end < ?
ORDER BY b.bucket_end, m.venue, m.venue_id
"""

_SCHEMA = pa.schema(
    [
        ("bucket_end", pa.int64()),
        ("venue", pa.string()),
        ("venue_id", pa.string()),
        ("local_symbol", pa.string()),
        ("coin", pa.string()),
        ("oi_base", pa.float64()),
        ("oi_raw", pa.float64()),
        ("contract_size", pa.float64()),
        ("price", pa.float64()),
        ("funding", pa.float64()),
        ("lag_ms", pa.int64()),
        ("source", pa.string()),
    ]
)


def _months(first: int, last: int) -> list[tuple[str, int, int]]:
    start = datetime.fromtimestamp(first, UTC).replace(day=1, hour=0, minute=0, second=0)
    months = []
    while int(start.timestamp()) <= last:
        nxt = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
        months.append((start.strftime("%Y-%m"), int(start.timestamp()), int(nxt.timestamp())))
        start = nxt
    return months


def export_parquet(store: Store, to: Path) -> list[tuple[Path, int]]:
    """One ``oi-YYYY-MM.parquet`` per month with buckets; each written to a temporary name first."""
    first, last = store.conn.execute("SELECT MIN(bucket_end), MAX(bucket_end) FROM oi_bucket").fetchone()
    if first is None:
        return []
    to.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, int]] = []
    for name, start, end in _months(int(first), int(last)):
        rows = store.conn.execute(_QUERY, (start, end)).fetchall()
        if not rows:
            continue
        columns = {field.name: [row[i] for row in rows] for i, field in enumerate(_SCHEMA)}
        table = pa.Table.from_pydict(columns, schema=_SCHEMA)
        path = to / f"oi-{name}.parquet"
        temp = path.with_name(f".{path.name}.{int(time.time() * 1e6)}.tmp")
        pq.write_table(table, temp)
        temp.replace(path)
        written.append((path, len(rows)))
    return written
