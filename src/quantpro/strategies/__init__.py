"""The strategy registry (docs/architecture.md): names as they appear in the feed → strategy classes.

``--strategy all`` means every registered strategy; otherwise a comma list of names, matched without
regard to case. An unknown name is a :class:`ConfigError` listing the valid ones.
"""

from __future__ import annotations

from quantpro.errors import ConfigError
from quantpro.strategies.base import ACTION_THRESHOLD, Strategy, run_strategy, validate_result
from quantpro.strategies.breakout import Breakout
from quantpro.strategies.breakout_v2 import BreakoutV2
from quantpro.strategies.legacy import Legacy
from quantpro.strategies.plan import DEFAULT_RULES, PlanRules, judge_plan

__all__ = [
    "ACTION_THRESHOLD",
    "DEFAULT_RULES",
    "STRATEGIES",
    "Breakout",
    "BreakoutV2",
    "Legacy",
    "PlanRules",
    "Strategy",
    "get_strategies",
    "judge_plan",
    "run_strategy",
    "validate_result",
]

STRATEGIES: dict[str, type[Strategy]] = {cls.name: cls for cls in (Legacy, Breakout, BreakoutV2)}


def get_strategies(spec: str = "all") -> list[Strategy]:
    """Instances of the strategies ``spec`` names (``"all"`` or ``"Legacy,breakoutv2"``), in the
    order given, duplicates dropped."""
    if spec.strip().lower() == "all":
        return [cls() for cls in STRATEGIES.values()]
    by_lower = {name.lower(): cls for name, cls in STRATEGIES.items()}
    chosen: list[type[Strategy]] = []
    for raw in spec.split(","):
        name = raw.strip()
        cls = by_lower.get(name.lower())
        if cls is None:
            valid = ", ".join(sorted(STRATEGIES))
            raise ConfigError(f"unknown strategy {name!r}; valid names are {valid}")
        if cls not in chosen:
            chosen.append(cls)
    return [cls() for cls in chosen]
