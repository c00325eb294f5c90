"""Repairing and bootstrapping a market's series from venue history (docs/design.md §11).

History is spliced onto live data only when it agrees at the overlap: every bucket both have must
be within 5 %, else the whole answer is discarded with a reason (a unit mismatch — contracts against
base units — is the usual cause). History rows only fill empty buckets (the store's rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quantpro.store.derivatives import BUCKET_S, BucketRow

__all__ = ["BOOTSTRAP_BUCKETS", "SPLICE_TOLERANCE", "Splice", "missing_boundaries", "splice_check"]

BOOTSTRAP_BUCKETS = 32
SPLICE_TOLERANCE = 0.05
#: Fewer real buckets than this among the last ``BOOTSTRAP_BUCKETS`` boundaries → repair from history.
REPAIR_BELOW = 30


@dataclass(frozen=True, slots=True)
class Splice:
    """The verdict on one history answer: the points to write, or why none."""

    points: list[tuple[int, float]]
    reason: str | None  # None when accepted


def missing_boundaries(rows: Sequence[BucketRow], *, current: int, n: int = BOOTSTRAP_BUCKETS) -> int:
    """How many of the last ``n`` boundaries up to ``current`` have no bucket."""
    have = {r.bucket_end for r in rows}
    return sum(1 for k in range(n) if current - k * BUCKET_S not in have)


def splice_check(
    history: Sequence[tuple[int, float]], live: Sequence[BucketRow], *, tolerance: float = SPLICE_TOLERANCE
) -> Splice:
    """Accept ``history`` when it agrees with ``live`` at every overlapping bucket (within
    ``tolerance``); with no overlap, its newest point must agree with the oldest live bucket after it
    (when that is within four buckets), so a series in another unit never slips in."""
    live_at = {r.bucket_end: r.oi_base for r in live if r.source == "venue snapshot"}
    points = [(b, v) for b, v in history if b % BUCKET_S == 0]
    if not points or not live_at:
        return Splice(points, None)
    pairs = [(b, v, live_at[b]) for b, v in points if b in live_at]
    if not pairs:
        newest_b, newest_v = max(points)
        after = sorted(b for b in live_at if b > newest_b)
        if after and after[0] - newest_b <= 4 * BUCKET_S:
            pairs = [(after[0], newest_v, live_at[after[0]])]
    for boundary, value, seen in pairs:
        if seen and abs(value / seen - 1.0) > tolerance:
            ratio = value / seen
            return Splice(
                [],
                f"history disagrees with live data at {boundary} by a factor of {ratio:.4g} "
                f"(more than {tolerance:.0%}; another unit?): discarded",
            )
    return Splice(points, None)
