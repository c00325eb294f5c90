"""Long/short ratios from the venues that publish one (Binance, Bybit, OKX, Bitget), per symbol, on
the planner's tiers (docs/design.md §11): each cycle the tier-A markets (hot in the last scan, or on
the watchlist) and the venue's ``LS_TOP`` largest by 24 h quote volume; the others keep their last."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from quantpro.clock import now_ms
from quantpro.errors import RemoteError
from quantpro.store.derivatives import MarketRow
from quantpro.venues import VenueClient, ls_ratio

__all__ = ["LS_TOP", "choose_ls_markets", "fetch_ls_ratios"]

log = logging.getLogger(__name__)

LS_TOP = 20


def choose_ls_markets(
    markets: Sequence[MarketRow], hot: set[str], watchlist: set[str], top: int = LS_TOP
) -> list[MarketRow]:
    """Tier A first, then the largest by 24 h quote volume, ``top`` of them beside tier A."""
    live = [m for m in markets if not m.delisted]
    tier_a = [
        m
        for m in live
        if (m.coinalyze_symbol and m.coinalyze_symbol in hot)
        or f"{m.venue}:{m.local_symbol}".upper() in watchlist
    ]
    rest = sorted((m for m in live if m not in tier_a), key=lambda m: -(m.quote_volume_24h or 0.0))
    return tier_a + rest[:top]


def fetch_ls_ratios(
    client: VenueClient, markets: Sequence[MarketRow]
) -> tuple[list[tuple[int, int, float]], str | None]:
    """(market id, observed ms, ratio) for each market; the first venue failure stops the venue."""
    rows: list[tuple[int, int, float]] = []
    for market in markets:
        try:
            ratio = ls_ratio(client, market.ccxt_symbol)
        except RemoteError as exc:
            log.warning("%s: long/short ratios stopped: %s", client.spec.venue, exc)
            return rows, str(exc)[:300]
        if ratio is not None:
            rows.append((market.id, now_ms(client.clock), ratio))
    return rows, None
