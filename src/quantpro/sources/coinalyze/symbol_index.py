"""The resolver's knowledge, derived from a catalogue: the candidate index, the reference design's maps
(``symbol_map``, ``aggregated_symbols``, ``exchange_symbols``) and the symbol-cache file's format.

Pure: no requests and no files here; :mod:`quantpro.sources.coinalyze.resolver` fetches, caches and
answers questions with these.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantpro.sources.coinalyze.catalogue import (
    Market,
    best_market,
    exchange_codes,
    exchange_key,
    parse_market,
    valid_exchange_rows,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Catalogue:
    """What the API said, and when: the only inputs of every derived map."""

    timestamp: int  # ms, when it was fetched
    base_url: str
    exchanges: list[dict[str, str]]
    markets: list[dict[str, Any]]


@dataclass
class Index:
    """Lookups derived from a :class:`Catalogue` and a reference preference."""

    codes: dict[str, str]  # exchange_key(name) → code
    rows: dict[str, dict[str, Any]]  # Coinalyze symbol → raw row
    markets: list[Market]
    by_coin: dict[str, dict[str, list[Market]]]  # coin → code → candidates
    venue_sizes: Counter[str]  # code → number of candidates
    reference_codes: list[str]
    reference_of: dict[str, str] = field(default_factory=dict)  # coin → reference venue code

    def reference_venue(self, coin: str) -> str | None:
        """The first reference exchange listing ``coin``, else the biggest venue listing it (ties by code)."""
        cached = self.reference_of.get(coin)
        if cached is not None:
            return cached
        venues = self.by_coin.get(coin)
        if not venues:
            return None
        chosen = next((code for code in self.reference_codes if code in venues), None)
        if chosen is None:
            chosen = min(venues, key=lambda code: (-self.venue_sizes[code], code))
        self.reference_of[coin] = chosen
        return chosen


def build_index(catalogue: Catalogue, reference_exchanges: Sequence[str]) -> Index:
    codes = exchange_codes(catalogue.exchanges)
    markets = [m for m in (parse_market(row) for row in catalogue.markets) if m is not None]
    by_coin: dict[str, dict[str, list[Market]]] = defaultdict(lambda: defaultdict(list))
    for market in markets:
        if market.candidate:
            by_coin[market.coin][market.exchange].append(market)
    reference_codes: list[str] = []
    for name in reference_exchanges:
        code = codes.get(exchange_key(name))
        if code is None:
            log.warning("reference exchange %r is not in the Coinalyze exchange list; ignored", name)
        elif code not in reference_codes:
            reference_codes.append(code)
    return Index(
        codes=codes,
        rows={row["symbol"]: row for row in catalogue.markets if isinstance(row.get("symbol"), str)},
        markets=markets,
        by_coin={coin: dict(venues) for coin, venues in by_coin.items()},
        venue_sizes=Counter(m.exchange for m in markets if m.candidate),
        reference_codes=reference_codes,
    )


def symbol_map(index: Index) -> dict[str, dict[str, str]]:
    """Every catalogue market, in the reference design's ``symbol_map`` shape."""
    return {
        m.symbol: {
            "symbol": m.symbol,
            "base": m.base,
            "quote": m.quote,
            "normalized": m.normalized,
            "exchange_id": m.exchange_id,
        }
        for m in index.markets
    }


def aggregated_symbols(index: Index) -> dict[str, str]:
    """Normalised symbol (coin + quote) → the coin's reference market for that quote.

    Keys: every quote the coin is listed with, plus USDT (the usual local form).
    """
    result: dict[str, str] = {}
    for coin, venues in index.by_coin.items():
        code = index.reference_venue(coin)
        if code is None:
            continue
        quotes = {m.quote for listed in venues.values() for m in listed} | {"USDT"}
        for quote in sorted(quotes):
            best = best_market(venues[code], quote=quote)
            if best is not None:
                result[coin + quote] = best.symbol
    return result


def exchange_symbols(index: Index) -> dict[str, dict[str, str]]:
    """Normalised symbol → ``{".A": symbol, ".6": symbol, …}`` over the candidates."""
    groups: dict[tuple[str, str], list[Market]] = defaultdict(list)
    for venues in index.by_coin.values():
        for listed in venues.values():
            for market in listed:
                groups[(market.normalized, market.exchange_id)].append(market)
    result: dict[str, dict[str, str]] = defaultdict(dict)
    for (normalized, exchange_id), group in sorted(groups.items()):
        best = best_market(group, quote=group[0].quote)
        if best is not None:
            result[normalized][exchange_id] = best.symbol
    return dict(result)


def parse_cache(data: Any, path: Path) -> tuple[Catalogue, tuple[str, ...]] | None:
    """The catalogue and reference preference stored in a cache file, or ``None`` if unusable."""
    if not isinstance(data, dict):
        if data is not None:
            log.warning("symbol cache %s is not a JSON object; refetching", path)
        return None
    if data.get("schema_version") != SCHEMA_VERSION:
        log.warning(
            "symbol cache %s has schema %r (expected %d); refetching",
            path,
            data.get("schema_version"),
            SCHEMA_VERSION,
        )
        return None
    timestamp, markets = data.get("timestamp"), data.get("markets")
    exchanges = valid_exchange_rows(data.get("exchanges"))
    base_url = data.get("base_url")
    if not (isinstance(timestamp, int) and isinstance(markets, list) and isinstance(base_url, str)):
        log.warning("symbol cache %s is incomplete; refetching", path)
        return None
    if exchanges is None:
        log.warning("symbol cache %s has no exchange list; refetching", path)
        return None
    reference = data.get("reference_exchanges")
    stored = tuple(str(name) for name in reference) if isinstance(reference, list) else ()
    return Catalogue(timestamp, base_url, exchanges, [r for r in markets if isinstance(r, dict)]), stored
