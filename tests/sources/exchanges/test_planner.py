"""The §11 planner: order, budget, smoothing and the shortfall (a parameter table and a property)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantpro.sources.exchanges.planner import PlanItem, plan_cycle, usable_budget

LIQ = "liquidations"


def items(tier: str, n: int, age_s: float | None, prefix: str = "") -> list[PlanItem]:
    return [PlanItem(LIQ, f"{prefix or tier}{i}.A", tier, age_s) for i in range(n)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "given_items", "budget", "planned", "short_by", "first_tier"),
    [
        ("all fit", items("A", 5, 900) + items("B", 5, 1800) + items("C", 5, 3600), 100, 15, 0, "A"),
        ("A first when short", items("C", 50, 7200) + items("A", 10, 900), 20, 20, 40, "A"),
        ("B before C when short", items("C", 30, 3600) + items("B", 30, 1800), 40, 40, 20, "B"),
        ("never fetched before due", items("C", 5, 3600) + items("B", 5, None), 7, 7, 3, "B"),
        ("nothing due: smoothing only", items("C", 40, 900), 100, 10, 0, "C"),
        ("zero budget", items("A", 3, 900), 0, 0, 3, None),
    ],
)
def test_the_plan(
    case: str,
    given_items: list[PlanItem],
    budget: int,
    planned: int,
    short_by: int,
    first_tier: str | None,
) -> None:
    plan = plan_cycle(given_items, budget)
    assert plan.planned == planned, case
    assert plan.short_by == short_by, case
    assert (plan.items[0].tier if plan.items else None) == first_tier, case
    assert all(len(symbols) <= 20 for _, symbols in plan.requests)
    assert sum(len(s) for _, s in plan.requests) == plan.planned


def test_when_short_c_ages_first_then_b_never_a() -> None:
    plan = plan_cycle(items("A", 10, 900) + items("B", 10, 1800) + items("C", 10, 3600), 15)
    tiers = [i.tier for i in plan.items]
    assert tiers.count("A") == 10 and tiers.count("B") == 5 and tiers.count("C") == 0


def test_each_item_once_per_cycle() -> None:
    twice = items("A", 3, 900) + items("A", 3, 900)
    plan = plan_cycle(twice, 100)
    assert plan.planned == 3


def test_the_reserve_is_kept() -> None:
    assert usable_budget(600, 0.10) == 540


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.one_of(st.none(), st.floats(min_value=0, max_value=20_000)),
        ),
        max_size=120,
    ),
    st.integers(min_value=0, max_value=80),
)
def test_never_over_budget_and_tier_a_served_while_budget_remains(
    spec: list[tuple[str, float | None]], budget: int
) -> None:
    given_items = [PlanItem(LIQ, f"S{i}", tier, age) for i, (tier, age) in enumerate(spec)]  # type: ignore[arg-type]
    plan = plan_cycle(given_items, budget)
    assert plan.planned <= budget
    due_a = [i for i in given_items if i.tier == "A" and i.due]
    chosen = {i.symbol for i in plan.items}
    if len(due_a) <= budget:
        assert all(i.symbol in chosen for i in due_a)  # tier A never older than a cycle
    else:
        assert all(i.tier == "A" for i in plan.items)
