"""RSI trendlines through k-order pivots (docs/design.md §7, Breakout and BreakoutV2).

Every index here is a **candle row**: an index into the full array aligned with the candles, NaN
warm-up rows included. The owner's first version found pivots in the NaN-dropped RSI array and so
drew every line 14 bars early; here NaN rows are simply never pivots and never shift anything.

Pure numpy and small: it runs for every market on two timeframes (~2,200 calls a scan).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from quantpro.models import FloatArray, IntArray

Kind = Literal["resistance", "support"]

OVERBOUGHT = 70.0
OVERSOLD = 30.0


@dataclass(frozen=True)
class Trendline:
    """A line ``value = intercept + slope × row`` from pivot ``start`` to pivot ``end`` (candle rows)."""

    kind: Kind
    start: int
    end: int
    slope: float
    intercept: float
    touches: int  # pivots of the line's kind within tolerance of it, from start to end inclusive
    touch_rows: tuple[int, ...]

    @property
    def span(self) -> int:
        return self.end - self.start

    def value_at(self, row: int | float) -> float:
        """The line's RSI value at a candle row (extrapolated beyond ``end``)."""
        return self.intercept + self.slope * float(row)

    def values_at(self, rows: IntArray) -> FloatArray:
        """Vectorised :meth:`value_at`."""
        return self.intercept + self.slope * rows.astype(np.float64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able geometry for charts (``rsi_visuals``)."""
        return {
            "kind": self.kind,
            "pivot_rows": [self.start, self.end],
            "pivot_values": [round(self.value_at(self.start), 4), round(self.value_at(self.end), 4)],
            "touch_rows": list(self.touch_rows),
            "slope": round(self.slope, 6),
            "intercept": round(self.intercept, 4),
            "touches": self.touches,
        }


@dataclass(frozen=True)
class TrendlineSet:
    """The best resistance and the best support line of one RSI series (either may be None)."""

    resistance: Trendline | None
    support: Trendline | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "resistance": self.resistance.to_dict() if self.resistance else None,
            "support": self.support.to_dict() if self.support else None,
        }


def find_pivots(values: FloatArray, k: int = 3) -> tuple[IntArray, IntArray]:
    """Rows of k-order pivot highs and lows: the extreme of the ``2k + 1`` bars centred on them.

    A plateau yields one pivot (its first bar: strictly beyond the k bars before, at least equal to
    the k bars after). Windows touching a NaN yield none. Returns ``(highs, lows)``.
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape[0] < 2 * k + 1:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    windows = sliding_window_view(arr, 2 * k + 1)
    centre = windows[:, k]
    before, after = windows[:, :k], windows[:, k + 1 :]
    finite = np.isfinite(windows).all(axis=1)
    highs = finite & (centre > before.max(axis=1)) & (centre >= after.max(axis=1))
    lows = finite & (centre < before.min(axis=1)) & (centre <= after.min(axis=1))
    return np.flatnonzero(highs).astype(np.int64) + k, np.flatnonzero(lows).astype(np.int64) + k


def find_trendlines(
    rsi: FloatArray, *, k: int = 3, lookback: int = 150, min_span: int = 14, tolerance: float = 1.0
) -> TrendlineSet:
    """The best RSI resistance and support over the last ``lookback`` rows.

    Resistance: from an overbought pivot high (≥ 70) to a later pivot high at least ``min_span`` bars
    on, RSI never more than ``tolerance`` above the line in between. Support mirrors it from an
    oversold pivot low (≤ 30). Best = most touches, then the longest span, then the latest end.
    """
    arr = np.asarray(rsi, dtype=np.float64)
    first = max(0, arr.shape[0] - lookback)
    offset = max(0, first - k)  # pivots only need their k neighbours: skip the older history
    highs, lows = (rows + offset for rows in find_pivots(arr[offset:], k))
    highs, lows = highs[highs >= first], lows[lows >= first]
    return TrendlineSet(
        resistance=_best_line(arr, highs, "resistance", min_span, tolerance),
        support=_best_line(arr, lows, "support", min_span, tolerance),
    )


def _best_line(
    rsi: FloatArray, pivots: IntArray, kind: Kind, min_span: int, tolerance: float
) -> Trendline | None:
    """The best line of one kind among all valid (anchor, later pivot) pairs."""
    best: Trendline | None = None
    for anchor in pivots:
        if not _is_extreme_anchor(float(rsi[anchor]), kind):
            continue
        line = _best_from(rsi, int(anchor), pivots, kind, min_span, tolerance)
        if line is not None and (best is None or _rank(line) > _rank(best)):
            best = line
    return best


def _is_extreme_anchor(value: float, kind: Kind) -> bool:
    return value >= OVERBOUGHT if kind == "resistance" else value <= OVERSOLD


def _best_from(
    rsi: FloatArray, anchor: int, pivots: IntArray, kind: Kind, min_span: int, tolerance: float
) -> Trendline | None:
    """The best unpierced line from ``anchor`` to a pivot ≥ ``min_span`` bars later.

    All candidate ends are checked at once: a (candidates × rows) matrix for piercing and a
    (candidates × pivots) matrix for touches.
    """
    ends = pivots[pivots >= anchor + min_span]
    if ends.size == 0:
        return None
    sign = 1.0 if kind == "resistance" else -1.0  # resistance pierced from below, support from above
    slopes = (rsi[ends] - rsi[anchor]) / (ends - anchor)
    rows = np.arange(anchor + 1, int(ends.max()), dtype=np.int64)
    excess = sign * (rsi[rows][None, :] - (rsi[anchor] + slopes[:, None] * (rows - anchor)[None, :]))
    pierced = ((rows[None, :] < ends[:, None]) & (excess > tolerance)).any(axis=1)
    if pierced.all():
        return None
    near = pivots[pivots >= anchor]
    distance = np.abs(rsi[near][None, :] - (rsi[anchor] + slopes[:, None] * (near - anchor)[None, :]))
    touching = (distance <= tolerance) & (near[None, :] <= ends[:, None])
    touches = np.where(pierced, -1, touching.sum(axis=1))
    pick = int(np.lexsort((ends, ends - anchor, touches))[-1])  # most touches, longest, latest
    slope = float(slopes[pick])
    touch_rows = tuple(int(row) for row in near[touching[pick]])
    intercept = float(rsi[anchor]) - slope * anchor
    return Trendline(kind, anchor, int(ends[pick]), slope, intercept, len(touch_rows), touch_rows)


def _rank(line: Trendline) -> tuple[int, int, int]:
    return (line.touches, line.span, line.end)
