"""The per-cycle Coinalyze planner (docs/design.md §11): tiers, budget, order, smoothing, shortfall.

OI and funding come from the venues every cycle for 0 units; Coinalyze units go where no venue
serves the data (liquidations; the Hyperliquid OI bootstrap). Each (data type, symbol) is an item
with a tier — A: a market using it was a signal, scored ≥ 60, had OI z ≥ 1.0 or is on the watchlist;
B: the top 150 by 24 h quote volume; C: the rest — refreshed every 1 / 2 / 4 cycles by urgency =
age ÷ period. The order: bootstrap of tier A, tier A due, items never fetched, then B and C by urgency;
when the budget is short C ages first, then B, never A while the budget lasts. At least the smoothed
target (the steady-state need, Σ 1/period) is spent, so tier C does not come in one lump; never more
than the budget. Each item at most once a cycle, ≤ 20 symbols a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["CYCLE_S", "PERIOD_CYCLES", "Plan", "PlanItem", "Tier", "plan_cycle", "usable_budget"]

Tier = Literal["A", "B", "C"]
CYCLE_S = 900
PERIOD_CYCLES: dict[str, int] = {"A": 1, "B": 2, "C": 4}
MAX_SYMBOLS = 20
TOP_B = 150


@dataclass(frozen=True, slots=True)
class PlanItem:
    data_type: str  # "liquidations", "oi_history"
    symbol: str  # Coinalyze symbol
    tier: Tier
    age_s: float | None  # since it was last fetched; None = never
    bootstrap: bool = False  # a one-time fill (the Hyperliquid OI history)

    @property
    def period_s(self) -> float:
        return PERIOD_CYCLES[self.tier] * CYCLE_S

    @property
    def urgency(self) -> float:
        return float("inf") if self.age_s is None else self.age_s / self.period_s

    @property
    def due(self) -> bool:
        return self.bootstrap or self.urgency >= 1.0


@dataclass
class Plan:
    """One cycle's plan: the requests in order and what did not fit."""

    budget: int
    items: list[PlanItem] = field(default_factory=list)
    requests: list[tuple[str, list[str]]] = field(default_factory=list)
    short_by: int = 0  # due items left for a later cycle
    target: int = 0  # the smoothed per-cycle target
    oldest_age_s: dict[str, float | None] = field(default_factory=dict)

    @property
    def planned(self) -> int:
        return len(self.items)


def usable_budget(budget: int, reserve: float) -> int:
    """The units a cycle may plan: the budget minus the reserve kept for retries."""
    return max(0, int(budget * (1.0 - reserve)))


def _group(item: PlanItem) -> tuple[int, int]:
    rank = {"A": 0, "B": 1, "C": 2}[item.tier]
    if item.tier == "A" and item.bootstrap:
        return (0, 0)
    if item.tier == "A" and item.due:
        return (1, 0)
    if item.age_s is None or item.bootstrap:
        return (2, rank)
    if item.due:
        return (3, rank)
    return (4, 0)


def plan_cycle(items: Iterable[PlanItem], budget: int) -> Plan:
    """The plan of one cycle within ``budget`` units (1 unit per symbol per data type)."""
    unique: dict[tuple[str, str], PlanItem] = {}
    for item in items:
        key = (item.data_type, item.symbol)
        if key not in unique or _group(item) < _group(unique[key]):
            unique[key] = item
    ordered = sorted(unique.values(), key=lambda i: (_group(i), -min(i.urgency, 1e18), i.symbol))
    target = round(sum(1.0 / PERIOD_CYCLES[i.tier] for i in ordered if not i.bootstrap))
    due = [i for i in ordered if i.due]
    chosen = due[:budget]
    if len(chosen) < min(target, budget):  # smoothing: pull the most urgent not yet due
        extra = [i for i in ordered if not i.due][: min(target, budget) - len(chosen)]
        chosen += extra
    plan = Plan(budget=budget, items=chosen, short_by=max(0, len(due) - budget), target=target)
    plan.requests = _requests(chosen)
    plan.oldest_age_s = _oldest(unique.values(), {(i.data_type, i.symbol) for i in chosen})
    return plan


def _requests(items: Sequence[PlanItem]) -> list[tuple[str, list[str]]]:
    by_type: dict[str, list[str]] = {}
    for item in items:
        by_type.setdefault(item.data_type, []).append(item.symbol)
    return [
        (data_type, symbols[i : i + MAX_SYMBOLS])
        for data_type, symbols in by_type.items()
        for i in range(0, len(symbols), MAX_SYMBOLS)
    ]


def _oldest(items: Iterable[PlanItem], chosen: set[tuple[str, str]]) -> dict[str, float | None]:
    """Per tier, the oldest age left after this cycle (a fetched item is 0 s old)."""
    oldest: dict[str, float | None] = {}
    for item in items:
        if item.bootstrap:
            continue
        age = 0.0 if (item.data_type, item.symbol) in chosen else item.age_s
        if item.tier not in oldest:
            oldest[item.tier] = age
        else:
            known = oldest[item.tier]
            oldest[item.tier] = None if age is None or known is None else max(known, age)
    return oldest
