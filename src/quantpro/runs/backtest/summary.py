"""The report's tables (docs/design.md §13) from the per-market outcomes: plain JSON values."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from quantpro.runs.backtest.engine import BASELINE_DRAWS, MarketOutcome
from quantpro.runs.backtest.execution import Trade
from quantpro.runs.backtest.stats import (
    BUCKETS,
    DAY_MS,
    bucket_of,
    cluster_bootstrap_ci,
    group_stats,
    spearman,
)

__all__ = ["SUMMARY_KEYS", "edge_over_baseline", "summarise"]

SUMMARY_KEYS = (
    "universe",
    "period",
    "cuts",
    "independent_days",
    "derivatives",
    "exclusions",
    "signals",
    "overall",
    "by_strategy",
    "by_side",
    "by_exchange",
    "by_bucket",
    "rank_correlation",
    "baseline",
    "quoted_entry",
    "distances",
)


def _grouped(trades: Sequence[Trade], key: Callable[[Trade], str], seed: int) -> dict[str, Any]:
    groups: dict[str, list[Trade]] = defaultdict(list)
    for trade in trades:
        groups[key(trade)].append(trade)
    return {name: group_stats(groups[name], seed=seed) for name in sorted(groups)}


def _percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    points = np.percentile(np.asarray(values), [5, 25, 50, 75, 95])
    return {f"p{p}": round(float(v), 4) for p, v in zip((5, 25, 50, 75, 95), points, strict=True)}


def _distances(trades: Sequence[Trade]) -> dict[str, Any]:
    """Stop and target distances from the quoted entry, in percent."""
    stops = [100 * abs(t.quoted_entry - t.stop) / t.quoted_entry for t in trades]
    targets = [100 * abs(t.target - t.quoted_entry) / t.quoted_entry for t in trades]
    return {"stop_pct": _percentiles(stops), "target_pct": _percentiles(targets)}


def edge_over_baseline(pairs: Sequence[tuple[Trade, float]], seed: int) -> dict[str, Any]:
    """The signal's R against the mean R of the same plan at random times in the same market."""
    usable = [(t, b) for t, b in pairs if math.isfinite(b)]
    if not usable:
        return {"trades": 0, "baseline_expectancy_r": None, "edge_r": None, "ci95": None}
    diffs = [t.r - b for t, b in usable]
    return {
        "trades": len(usable),
        "draws_per_trade": BASELINE_DRAWS,
        "baseline_expectancy_r": round(float(np.mean([b for _, b in usable])), 4),
        "edge_r": round(float(np.mean(diffs)), 4),
        "ci95": cluster_bootstrap_ci(diffs, [t.entry_ms // DAY_MS for t, _ in usable], seed=seed),
    }


def _buckets(trades: Sequence[Trade], seed: int) -> dict[str, Any]:
    by_strategy: dict[str, dict[str, list[Trade]]] = defaultdict(lambda: defaultdict(list))
    for trade in trades:
        by_strategy[trade.strategy][bucket_of(trade.score)].append(trade)
    return {
        name: {b: group_stats(groups[b], seed=seed) for b, _, _ in BUCKETS if b in groups}
        for name, groups in sorted(by_strategy.items())
    }


def _universe(outcomes: Sequence[MarketOutcome]) -> dict[str, Any]:
    replayed = [o for o in outcomes if o.skipped is None and o.cuts]
    exchanges = Counter(o.key.exchange for o in replayed)
    skipped = [
        {"market": f"{o.key.exchange} {o.key.symbol}", "reason": o.skipped or "no cut with 50 closed candles"}
        for o in outcomes
        if o.skipped is not None or not o.cuts
    ]
    return {
        "markets": len(outcomes),
        "replayed": len(replayed),
        "exchanges": dict(sorted(exchanges.items())),
        "skipped": skipped,
    }


def summarise(outcomes: Sequence[MarketOutcome], params: dict[str, Any], *, seed: int = 0) -> dict[str, Any]:
    """Every table of the report; ``all`` (any score) feeds the buckets and the rank correlation."""
    trades = [t for o in outcomes for t in o.trades]
    every = [t for o in outcomes for t in o.all_trades]
    pairs = [(t, b) for o in outcomes for t, b in zip(o.trades, o.baseline_r, strict=True)]
    firsts = [o.first_cut_ms for o in outcomes if o.first_cut_ms is not None]
    lasts = [o.last_cut_ms for o in outcomes if o.last_cut_ms is not None]
    derivatives: Counter[str] = Counter()
    exclusions: Counter[str] = Counter()
    signals: Counter[str] = Counter()
    for o in outcomes:
        derivatives.update(o.derivatives)
        exclusions.update(o.exclusions)
        signals.update(o.signals)
    strategies = sorted({t.strategy for t in every} | {k.split(" ")[0] for k in signals})
    day_set = {d for o in outcomes for d in o.days}
    by_strategy = _grouped(trades, lambda t: t.strategy, seed)
    return {
        "universe": _universe(outcomes),
        "period": {"from": min(firsts) if firsts else None, "to": max(lasts) if lasts else None},
        "cuts": {
            "market_cuts": sum(o.cuts for o in outcomes),
            "cut_times": len({c for o in outcomes for c in o.cut_times}),
            "every_ms": params.get("every_ms"),
        },
        "independent_days": {
            "period": len(day_set),
            "with_trades": len({t.entry_ms // DAY_MS for t in trades}),
        },
        "derivatives": dict(sorted(derivatives.items())),
        "exclusions": {
            "plans_not_filled": dict(sorted(exclusions.items())),
            "open_at_data_end": sum(1 for t in trades if t.data_ended),
            "markets_skipped": len(_universe(outcomes)["skipped"]),
        },
        "signals": dict(sorted(signals.items())),
        "overall": group_stats(trades, seed=seed),
        "by_strategy": {name: by_strategy.get(name, group_stats([], seed=seed)) for name in strategies},
        "by_side": _grouped(trades, lambda t: f"{t.strategy} {t.side}", seed),
        "by_exchange": _grouped(trades, lambda t: t.exchange, seed),
        "by_bucket": _buckets(every, seed),
        "rank_correlation": {
            name: {
                "all_plans": spearman(
                    [t.score for t in every if t.strategy == name], [t.r for t in every if t.strategy == name]
                ),
                "actionable": spearman(
                    [t.score for t in trades if t.strategy == name],
                    [t.r for t in trades if t.strategy == name],
                ),
            }
            for name in strategies
        },
        "baseline": {
            name: edge_over_baseline([p for p in pairs if p[0].strategy == name], seed) for name in strategies
        },
        "quoted_entry": {
            name: group_stats([t for t in trades if t.strategy == name], seed=seed, quoted=True)[
                "expectancy_r"
            ]
            for name in strategies
        },
        "distances": {name: _distances([t for t in trades if t.strategy == name]) for name in strategies},
    }
