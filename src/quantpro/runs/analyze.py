"""The reference design's per-market entry point, ``analyze_symbol``, and the step every scan shares:
a market's context through each strategy into feed signals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from quantpro.analysis.features import FeatureFactory, SharedContext
from quantpro.clock import Clock
from quantpro.feed import Signal, build_signal
from quantpro.models import MarketData
from quantpro.settings import Settings
from quantpro.sources.coinalyze.processor import BatchProcessor, get_batch_processor
from quantpro.strategies import DEFAULT_RULES, PlanRules, Strategy, get_strategies, run_strategy

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["analyze_symbol", "get_feature_factory", "signals_for"]


def signals_for(
    context: SharedContext,
    strategies: Sequence[Strategy],
    ltf: str,
    htf: str,
    rules: PlanRules = DEFAULT_RULES,
) -> list[Signal]:
    """One feed signal per strategy for one market, each result validated and its plan judged once by
    the wrapper under ``rules`` (docs/design.md §12); ``rr_net`` pays ``rules.fee_pct`` on both sides."""
    return [
        build_signal(
            strategy_name=strategy.name,
            strategy_type=strategy.strategy_type,
            result=run_strategy(strategy, context, rules),
            context=context,
            ltf_interval=ltf,
            htf_interval=htf,
            fee_pct=rules.fee_pct,
        )
        for strategy in strategies
    ]


def analyze_symbol(
    symbol: str,
    exchange: str,
    df_ltf: pd.DataFrame,
    df_htf: pd.DataFrame | None,
    strategies: Sequence[Strategy] | str,
    factory: FeatureFactory,
    external_data: MarketData | None = None,
    *,
    rules: PlanRules = DEFAULT_RULES,
) -> list[Signal]:
    """Run ``strategies`` on one market given as DataFrames; returns one feed signal per strategy.

    ``external_data=None`` keeps the reference design's backward compatibility: the factory's data
    source (wired to the batch processor by :func:`get_feature_factory`) fetches this market's data
    through the same client, limiter and cache. ``rules`` are the trade-plan rules (docs/design.md
    §12), the defaults unless given — with them, candles that are stale at the factory clock's now
    give WAIT "stale candles"; ``PlanRules(allow_stale=True)`` analyses old data.
    """
    chosen = get_strategies(strategies) if isinstance(strategies, str) else list(strategies)
    context = factory.build_context(symbol, exchange, df_ltf, df_htf, external_data=external_data)
    return signals_for(context, chosen, factory.ltf_timeframe, factory.htf_timeframe, rules)


def get_feature_factory(
    settings: Settings | None = None,
    *,
    processor: BatchProcessor | None = None,
    ltf: str = "15m",
    htf: str = "4h",
    clock: Clock | None = None,
) -> FeatureFactory:
    """A FeatureFactory whose markets fetch their own data (one at a time) when given none."""
    state: dict[str, BatchProcessor] = {}

    def fetch_one(symbol: str, exchange: str) -> MarketData:
        chosen = processor or state.get("p")
        if chosen is None:
            chosen = state["p"] = get_batch_processor(settings, clock=clock)
        data = chosen.process_symbols([(symbol, exchange)])
        return chosen.get_data_for_symbol(symbol, exchange, data)

    return FeatureFactory(data_source=fetch_one, ltf_timeframe=ltf, htf_timeframe=htf, clock=clock)
