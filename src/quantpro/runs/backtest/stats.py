"""The figures of a book of trades (docs/design.md §13), as small pure functions tested on known inputs.

The 95 % interval of the expectancy is a **cluster bootstrap by day**: trades entered on the same UTC
day share the market's mood, so days — not trades — are resampled with replacement (seeded, 2,000
draws) and the interval is the 2.5th–97.5th percentile of the resampled means. With fewer than two
days there is no interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from quantpro.runs.backtest.execution import Trade

__all__ = [
    "BUCKETS",
    "DAY_MS",
    "bucket_of",
    "cluster_bootstrap_ci",
    "group_stats",
    "max_drawdown",
    "spearman",
]

DAY_MS = 86_400_000
BOOTSTRAP_DRAWS = 2000
BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("<50", -math.inf, 50.0),
    ("50-60", 50.0, 60.0),
    ("60-70", 60.0, 70.0),
    ("70-80", 70.0, 80.0),
    ("80-90", 80.0, 90.0),
    (">=90", 90.0, math.inf),
)


def bucket_of(score: float) -> str:
    """The score bucket: ``<50``, ``50-60``, …, ``>=90`` (lower bound included)."""
    for name, low, high in BUCKETS:
        if low <= score < high:
            return name
    return BUCKETS[-1][0]


def cluster_bootstrap_ci(
    values: Sequence[float], clusters: Sequence[int], *, seed: int = 0, draws: int = BOOTSTRAP_DRAWS
) -> list[float] | None:
    """The 95 % interval of the mean of ``values``, resampling whole ``clusters`` (days); None when
    there are fewer than two clusters."""
    v = np.asarray(values, dtype=np.float64)
    c = np.asarray(clusters)
    names, index = np.unique(c, return_inverse=True)
    k = names.size
    if v.size == 0 or k < 2:
        return None
    sums = np.bincount(index, weights=v, minlength=k)
    counts = np.bincount(index, minlength=k).astype(np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, k, size=(draws, k))
    means = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def _ranks(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Ranks 1..n, ties given their average rank."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.arange(1, values.size + 1)
    uniq, inverse = np.unique(values, return_inverse=True)
    if uniq.size != values.size:
        sums = np.bincount(inverse, weights=ranks)
        counts = np.bincount(inverse)
        ranks = (sums / counts)[inverse]
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (ties averaged); None for fewer than 3 pairs or a constant side."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.size < 3:
        return None
    ra, rb = _ranks(a), _ranks(b)
    if np.std(ra) == 0 or np.std(rb) == 0:
        return None
    return round(float(np.corrcoef(ra, rb)[0, 1]), 4)


def max_drawdown(rs: Sequence[float]) -> float:
    """The largest fall of the cumulative R from a peak (0 when it never falls), trades in order."""
    if not rs:
        return 0.0
    equity = np.concatenate([[0.0], np.cumsum(np.asarray(rs, dtype=np.float64))])
    return round(float(np.max(np.maximum.accumulate(equity) - equity)), 4)


def _r4(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 4)


def group_stats(trades: Sequence[Trade], *, seed: int = 0, quoted: bool = False) -> dict[str, Any]:
    """Every figure §13 lists for one group of trades (ordered by exit for the drawdown)."""
    ordered = sorted(trades, key=lambda t: (t.exit_ms, t.entry_ms, t.exchange, t.symbol))
    rs = [t.r_quoted if quoted else t.r for t in ordered]
    n = len(rs)
    wins = [r for r in rs if r > 0]
    losses = [r for r in rs if r <= 0]
    mean = float(np.mean(rs)) if n else None
    std = float(np.std(rs, ddof=1)) if n > 1 else None
    exits = {
        reason: sum(1 for t in ordered if t.exit_reason == reason) for reason in ("target", "stop", "open")
    }
    holds = [t.hold_ms / 3_600_000 for t in ordered]
    return {
        "trades": n,
        "win_rate": _r4(len(wins) / n) if n else None,
        "avg_win_r": _r4(float(np.mean(wins))) if wins else None,
        "avg_loss_r": _r4(float(np.mean(losses))) if losses else None,
        "expectancy_r": _r4(mean),
        "ci95": cluster_bootstrap_ci(rs, [t.entry_ms // DAY_MS for t in ordered], seed=seed),
        "profit_factor": _r4(sum(wins) / -sum(losses)) if losses and sum(losses) < 0 else None,
        "sqn": _r4(math.sqrt(n) * mean / std) if mean is not None and std else None,
        "max_drawdown_r": max_drawdown(rs),
        "exits": exits,
        "median_hold_h": _r4(float(np.median(holds))) if holds else None,
        "days": len({t.entry_ms // DAY_MS for t in ordered}),
    }
