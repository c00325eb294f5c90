"""Spending one cycle's Coinalyze budget (docs/design.md §11): liquidations of every stored market's
Coinalyze symbol (its own, or its coin's reference symbol as a proxy) and the one-time OI history of
Hyperliquid ``.H`` symbols, planned by :mod:`.planner`, sent through the §5 limiter.

Coinalyze down or the key refused never stops the cycle: the block says ``failed`` with the error
("Coinalyze refused the key: …" or "Coinalyze unavailable: …"), OI and funding (from the venues)
are unaffected, and liquidations age, then go null.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from quantpro.clock import Clock, now_ms
from quantpro.errors import AuthenticationError, ConfigError, QuantProError
from quantpro.settings import Settings
from quantpro.sources.coinalyze.client import CoinalyzeBatchClient
from quantpro.sources.coinalyze.endpoints import DataType
from quantpro.sources.coinalyze.resolver import CoinalyzeResolver
from quantpro.sources.exchanges.history import REPAIR_BELOW, splice_check
from quantpro.sources.exchanges.planner import TOP_B, PlanItem, Tier, plan_cycle, usable_budget
from quantpro.sources.exchanges.series import current_boundary
from quantpro.store.db import Store
from quantpro.store.derivatives import (
    BUCKET_S,
    FetchLogRow,
    MarketRow,
    log_fetch,
    set_coinalyze_symbols,
    write_history,
    write_liquidations,
)
from quantpro.store.derivatives_read import (
    bucket_counts,
    liquidation_ages,
    load_markets,
    load_series,
    tier_a_symbols,
)

__all__ = ["bootstrap_hyperliquid", "spend_budget"]

log = logging.getLogger(__name__)


def _block(status: str, budget: int, error: str | None = None, **rest: Any) -> dict[str, Any]:
    block: dict[str, Any] = {
        "status": status,
        "budget": budget,
        "planned": 0,
        "spent": 0,
        "short_by": 0,
        "oldest_age_s": {},
        "error": error,
    }
    block.update(rest)
    return block


def _resolve(store: Store, resolver: CoinalyzeResolver, markets: Sequence[MarketRow]) -> None:
    found = {m.id: resolver.resolve(m.local_symbol, m.venue) for m in markets}
    set_coinalyze_symbols(store, found)


def _items(store: Store, markets: Sequence[MarketRow], settings: Settings, at_ms: int) -> list[PlanItem]:
    hot = tier_a_symbols(store, now_ms=at_ms)
    watch = {w.upper() for w in settings.watchlist}
    volume: dict[str, float] = {}
    for m in markets:
        if m.coinalyze_symbol:
            if f"{m.venue}:{m.local_symbol}".upper() in watch:
                hot.add(m.coinalyze_symbol)
            volume[m.coinalyze_symbol] = volume.get(m.coinalyze_symbol, 0.0) + (m.quote_volume_24h or 0)
    top = set(sorted(volume, key=lambda s: -volume[s])[:TOP_B])
    ages = liquidation_ages(store)
    items = [
        PlanItem(
            DataType.LIQUIDATIONS.value,
            symbol,
            "A" if symbol in hot else "B" if symbol in top else "C",
            (at_ms - ages[symbol]) / 1000 if symbol in ages else None,
        )
        for symbol in volume
    ]
    counts = bucket_counts(store, since_s=current_boundary(at_ms / 1000) - 31 * BUCKET_S)
    for m in markets:  # Hyperliquid has no OI history of its own: Coinalyze's, once
        own = m.coinalyze_status == "resolved" and m.coinalyze_symbol
        if m.venue == "HYPERLIQUID" and own and counts.get(m.id, 0) < REPAIR_BELOW:
            tier: Tier = "A" if m.coinalyze_symbol in hot else "B"
            items.append(PlanItem(DataType.OI_HISTORY.value, str(m.coinalyze_symbol), tier, None, True))
    return items


def spend_budget(
    store: Store, settings: Settings, *, clock: Clock, cache_dir: Any, bootstrap_only: bool = False
) -> dict[str, Any]:
    """Plan and send one cycle's Coinalyze requests; returns ``run.derivatives.coinalyze``.
    ``bootstrap_only``: only the one-time Hyperliquid OI history (``quantpro bootstrap``)."""
    budget = usable_budget(settings.cycle_budget, settings.coinalyze_reserve)
    if not settings.has_api_key:
        return _block("skipped", budget, "no COINALYZE_API_KEY: liquidations not fetched")
    at = now_ms(clock)
    client = CoinalyzeBatchClient(settings, clock=clock, cache_dir=cache_dir)
    try:
        markets = [m for m in load_markets(store) if not m.delisted]
        _resolve(store, CoinalyzeResolver(settings, client=client, clock=clock, cache_dir=cache_dir), markets)
        markets = load_markets(store)
        items = _items(store, markets, settings, at)
        if bootstrap_only:
            items = [i for i in items if i.bootstrap]
        plan = plan_cycle(items, budget)
        spent, error = _send(store, client, plan.requests, markets, clock)
    except AuthenticationError as exc:
        return _logged(store, at, _block("failed", budget, f"Coinalyze refused the key: {exc}"))
    except (QuantProError, ConfigError) as exc:
        return _logged(store, at, _block("failed", budget, f"Coinalyze unavailable: {exc}"))
    finally:
        client.close()
    status = "ok" if error is None else "failed"
    block = _block(
        status,
        budget,
        error,
        planned=plan.planned,
        spent=spent,
        short_by=plan.short_by,
        oldest_age_s=plan.oldest_age_s,
    )
    return _logged(store, at, block, requests=len(plan.requests))


def _logged(store: Store, at: int, block: dict[str, Any], requests: int = 0) -> dict[str, Any]:
    row = FetchLogRow(
        at, "coinalyze", None, block["status"], block["planned"], requests, block["spent"], 0, block["error"]
    )
    log_fetch(store, row)
    return block


def _send(
    store: Store,
    client: CoinalyzeBatchClient,
    requests: Sequence[tuple[str, list[str]]],
    markets: Sequence[MarketRow],
    clock: Clock,
) -> tuple[int, str | None]:
    """Send the plan in order; the first failed request stops it (a struggling API is not hammered)."""
    spent = 0
    for data_type, symbols in requests:
        outcome = client.fetch_chunk(DataType(data_type), symbols)
        spent += outcome.units
        if outcome.failed is not None:
            return spent, outcome.failed
        fetched = now_ms(clock)
        if data_type == DataType.LIQUIDATIONS.value:
            rows = [
                (s, fetched, float(v["longs"]), float(v["shorts"]))
                for s, v in outcome.data.items()
                if isinstance(v, dict)
            ]
            write_liquidations(store, rows)
        else:
            _write_oi_history(store, outcome.data, markets, current_boundary(fetched / 1000))
    return spent, None


def _write_oi_history(store: Store, data: dict[str, Any], markets: Sequence[MarketRow], current: int) -> None:
    by_symbol = {m.coinalyze_symbol: m for m in markets if m.venue == "HYPERLIQUID" and m.coinalyze_symbol}
    for symbol, points in data.items():
        market = by_symbol.get(symbol)
        if market is None or not isinstance(points, list):
            continue
        # closed buckets only: Coinalyze's newest bucket is still forming (its end is in the future)
        history = [
            (int(p["timestamp"]) + BUCKET_S, float(p["value"]))
            for p in points
            if int(p["timestamp"]) + BUCKET_S <= current
        ]
        live = load_series(store, [market.id], since_s=0, until_s=2**62)[market.id]
        verdict = splice_check(history, live)
        if verdict.reason is not None:
            log.warning("HYPERLIQUID %s: Coinalyze %s", market.venue_id, verdict.reason)
            continue
        write_history(store, market.id, verdict.points, contract_size=1.0, source="coinalyze")


def bootstrap_hyperliquid(
    store: Store, settings: Settings, *, clock: Clock, cache_dir: Any
) -> dict[str, Any]:
    """The Hyperliquid OI bootstrap alone (``quantpro bootstrap``): Coinalyze's OI history of every
    stored ``.H`` market with too few buckets, within one cycle's budget; no liquidations."""
    return spend_budget(store, settings, clock=clock, cache_dir=cache_dir, bootstrap_only=True)
