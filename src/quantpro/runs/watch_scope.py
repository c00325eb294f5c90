"""What a ``watch`` scan covers: the markets of ``--exchange``, ``--symbols`` and ``--top`` only (§14).

``quantpro scan`` covers every market in DATA_DIR; a watcher asked for ``--exchange BYBIT --top 20``
scans, publishes and alerts on those 20 BYBIT markets, not on files another run left behind.

- ``--exchange``: only the markets of those venues.
- ``--symbols``: the markets the download's rule would pick (exact local name, or same coin and quote:
  ``BTCUSDT`` matches ``XBTUSDTM``, ``BTC`` any quote), on those venues.
- ``--top N``: per venue, the markets this watcher's last successful download of that venue chose (the
  N largest by the venue's 24 h ticker volume); for a venue with no such download (``--no-download``,
  or it failed every cycle so far) the N markets of DATA_DIR with the largest quote volume over their
  last 24 h of candles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence

import numpy as np

from quantpro.errors import NoMarketsError
from quantpro.store.markets import LoadedMarket, LoadResult
from quantpro.symbols import parse_local_symbol
from quantpro.venues import Venue

__all__ = ["candle_volume_24h", "in_scope", "scope_loaded", "symbol_matches"]

DAY_MS = 86_400_000


def symbol_matches(wanted: str, local: str) -> bool:
    """``--symbols``' rule (as the download's): the exact local name, or the same coin and quote."""
    if wanted.upper() == local.upper():
        return True
    asked, have = parse_local_symbol(wanted.upper()), parse_local_symbol(local.upper())
    return asked.coin == have.coin and asked.quote in {"", have.quote}


def candle_volume_24h(market: LoadedMarket) -> float:
    """The quote volume (close × volume) of the market's last 24 h of LTF candles."""
    candles = market.ltf_all
    if len(candles) == 0:
        return 0.0
    recent = candles.time >= int(candles.time[-1]) - DAY_MS + candles.interval_ms
    return float(np.sum(candles.close[recent] * candles.volume[recent]))


def in_scope(
    markets: Sequence[LoadedMarket],
    *,
    exchanges: Collection[Venue | str],
    symbols: Sequence[str] | None = None,
    top: int | None = None,
    chosen: Mapping[str, Collection[str]] | None = None,
) -> list[LoadedMarket]:
    """The markets a watch scans (module docstring); order kept."""
    venues = {str(v).upper() for v in exchanges}
    kept = [m for m in markets if m.key.exchange.upper() in venues]
    if symbols:
        kept = [m for m in kept if any(symbol_matches(w, m.key.symbol) for w in symbols)]
    elif top is not None:
        kept = _top(kept, top, chosen or {})
    return kept


def _top(
    markets: Sequence[LoadedMarket], top: int, chosen: Mapping[str, Collection[str]]
) -> list[LoadedMarket]:
    keep: set[tuple[str, str]] = set()
    for venue in {m.key.exchange for m in markets}:
        own = [m for m in markets if m.key.exchange == venue]
        picked = chosen.get(venue)
        if picked is not None:
            names = set(picked)
            keep |= {(venue, m.key.symbol) for m in own if m.key.symbol in names}
            continue
        ranked = sorted(own, key=lambda m: (-candle_volume_24h(m), m.key.symbol))
        keep |= {(venue, m.key.symbol) for m in ranked[:top]}
    return [m for m in markets if (m.key.exchange, m.key.symbol) in keep]


def scope_loaded(
    loaded: LoadResult,
    *,
    exchanges: Collection[Venue | str],
    symbols: Sequence[str] | None = None,
    top: int | None = None,
    chosen: Mapping[str, Collection[str]] | None = None,
) -> LoadResult:
    """``loaded`` narrowed to the watch's scope; files of venues outside it are not reported skipped.
    No market left is a NoMarketsError naming the scope (the scan phase fails, the loop goes on)."""
    markets = in_scope(loaded.markets, exchanges=exchanges, symbols=symbols, top=top, chosen=chosen)
    if not markets:
        scope = ",".join(sorted(str(v).upper() for v in exchanges))
        detail = f" --symbols {','.join(symbols)}" if symbols else ""
        raise NoMarketsError(
            f"no market of --exchange {scope}{detail} in the data directory "
            f"({len(loaded.markets)} markets outside the scope); nothing to scan"
        )
    outside = {str(v).upper() for v in Venue} - {str(v).upper() for v in exchanges}
    skipped = [s for s in loaded.skipped if s.file.split("_", 1)[0].upper() not in outside]
    notes = [(f, n) for f, n in loaded.notes if f.split("_", 1)[0].upper() not in outside]
    return dataclasses.replace(loaded, markets=markets, skipped=skipped, notes=notes)
