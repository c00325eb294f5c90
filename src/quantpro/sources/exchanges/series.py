"""A market's OI series from the store, as the z-score reads it (docs/design.md §7 and §11).

The store keeps one row per (boundary, market); this module turns a market's rows into the closed
buckets of the last 24 h that :func:`quantpro.analysis.derivatives.derivatives_component` scores:
the series starts again at the newest contract-size change, interior gaps of at most four buckets
between real values are interpolated for the computation only (marked ``filled``, never counted
toward the 14), and the current bucket — the newest boundary at or before the scan — must be a
real observation, else the z-score is not valid and, after two missed cycles, the series is stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quantpro.clock import utc_text
from quantpro.models import OIPoint
from quantpro.store.derivatives import BUCKET_S, BucketRow

__all__ = ["MAX_FILL", "STALE_CYCLES", "SeriesView", "current_boundary", "view_series"]

MAX_FILL = 4  # interior gaps of at most this many buckets are interpolated (computation only)
STALE_CYCLES = 2  # the current bucket missing for more than this many cycles → stale
LOOKBACK_S = 86_400
SIZE_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class SeriesView:
    """What the z-score sees of one market's series at one scan."""

    points: list[OIPoint]  # oldest first; ``timestamp`` = bucket start (boundary − 900)
    real: int  # real buckets in the window
    filled: int  # interpolated buckets in the window
    current_observed: bool  # the current boundary is a real observation
    newest_end: int | None  # the newest real boundary (s)
    missed_cycles: int  # boundaries since the newest real one (0 when current)
    value: float | None  # the newest real OI (base units)

    def stale_reason(self, venue: str) -> str | None:
        """Why the z-score cannot be valid on this series now (None when it can)."""
        if self.newest_end is None:
            return (
                f"no open-interest bucket from {venue} in the last 24 h (a sample stands for a "
                "boundary only within QUANTPRO_SNAPSHOT_MAX_LAG_S of it)"
            )
        if self.current_observed:
            return None
        since = utc_text(self.newest_end * 1000)
        if self.missed_cycles > STALE_CYCLES:
            return f"stale: no open interest from {venue} since {since} ({self.missed_cycles} cycles missed)"
        return f"current bucket not observed yet (newest from {venue}: {since})"


def current_boundary(scan_s: float) -> int:
    """The newest 15-minute boundary at or before the scan."""
    return int(scan_s // BUCKET_S) * BUCKET_S


def _new_series_start(rows: Sequence[BucketRow]) -> int:
    """Index of the first row after the newest contract-size change (0 when none)."""
    start = 0
    for i in range(1, len(rows)):
        before, after = rows[i - 1].contract_size, rows[i].contract_size
        if before and abs(after / before - 1.0) > SIZE_TOLERANCE:
            start = i
    return start


def view_series(rows: Sequence[BucketRow], *, scan_s: float) -> SeriesView:
    """The 24 h window ending at the current boundary, cut at a contract-size change, short gaps
    interpolated."""
    current = current_boundary(scan_s)
    first_end = int(scan_s - LOOKBACK_S) + BUCKET_S  # a bucket counts when its start ≥ scan − 24 h
    ordered = sorted((r for r in rows if r.bucket_end <= current), key=lambda r: r.bucket_end)
    ordered = ordered[_new_series_start(ordered) :]
    window = [r for r in ordered if r.bucket_end >= first_end]
    points: list[OIPoint] = []
    for i, row in enumerate(window):
        prev = window[i - 1] if i else None
        if prev is not None:
            gap = (row.bucket_end - prev.bucket_end) // BUCKET_S - 1
            if 0 < gap <= MAX_FILL:
                for k in range(1, gap + 1):
                    value = prev.oi_base + (row.oi_base - prev.oi_base) * k / (gap + 1)
                    end = prev.bucket_end + k * BUCKET_S
                    points.append({"timestamp": end - BUCKET_S, "value": value, "filled": True})
        points.append({"timestamp": row.bucket_end - BUCKET_S, "value": row.oi_base})
    newest = ordered[-1].bucket_end if ordered else None
    return SeriesView(
        points=points,
        real=len(window),
        filled=len(points) - len(window),
        current_observed=newest == current,
        newest_end=newest,
        missed_cycles=(current - newest) // BUCKET_S if newest is not None else 0,
        value=ordered[-1].oi_base if ordered else None,
    )
