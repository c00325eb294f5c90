"""What to download and how: the universe, top-N by volume, symbol selection, incremental windows.

Pure functions decide (which markets, which window, which page); :class:`VenueClient` only sends.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quantpro.models import TIMEFRAME_MS
from quantpro.store.candles import Candle, merge_candles, read_candles, to_candle, write_candles
from quantpro.store.layout import candle_path
from quantpro.symbols import KNOWN_QUOTES, parse_local_symbol
from quantpro.venues.client import VenueClient
from quantpro.venues.table import VenueSpec, is_stable_perpetual, local_symbol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MarketRef:
    """One venue market to download: ccxt's unified symbol and our local SYMBOL."""

    symbol: str
    local: str
    settle: str
    contract_size: float


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one (market, timeframe) file got."""

    path: Path
    added: int
    written: bool


def _named(spec: VenueSpec, market: Mapping[str, Any]) -> MarketRef | None:
    name = local_symbol(spec, market)
    parsed = parse_local_symbol(name)
    if not parsed.coin or parsed.quote not in KNOWN_QUOTES or "_" in name:
        log.warning(
            "%s: skipping %s: its local name %r does not parse", spec.venue, market.get("symbol"), name
        )
        return None
    size = market.get("contractSize")
    return MarketRef(str(market["symbol"]), name, str(market["settle"]), float(size) if size else 1.0)


def universe(spec: VenueSpec, markets: Mapping[str, Mapping[str, Any]]) -> list[MarketRef]:
    """The venue's active USDT/USDC perpetuals, named; a second market with the same name is dropped."""
    chosen: dict[str, MarketRef] = {}
    for market in markets.values():
        if not is_stable_perpetual(market):
            continue
        ref = _named(spec, market)
        if ref is None:
            continue
        if ref.local in chosen:
            log.warning(
                "%s: %s and %s share the name %s; keeping the first",
                spec.venue,
                chosen[ref.local].symbol,
                ref.symbol,
                ref.local,
            )
            continue
        chosen[ref.local] = ref
    return sorted(chosen.values(), key=lambda ref: ref.local)


def quote_volume(ticker: Mapping[str, Any] | None, market: MarketRef) -> float:
    """24 h volume in the quote currency: ``quoteVolume``, else base volume × last × contract size.

    The fallback covers venues whose swap tickers give volume in contracts only (OKX).
    """
    if not ticker:
        return 0.0
    quote = ticker.get("quoteVolume")
    if quote:
        return float(quote)
    base, last = ticker.get("baseVolume"), ticker.get("last") or ticker.get("close")
    if base and last:
        return float(base) * float(last) * market.contract_size
    return 0.0


def top_by_volume(markets: Sequence[MarketRef], tickers: Mapping[str, Any], top: int) -> list[MarketRef]:
    """The ``top`` markets by 24 h quote volume (ties by name, so runs are reproducible)."""
    ranked = sorted(markets, key=lambda m: (-quote_volume(tickers.get(m.symbol), m), m.local))
    return ranked[:top]


def _matches(wanted: str, market: MarketRef) -> bool:
    if wanted.upper() == market.local.upper():
        return True
    asked, have = parse_local_symbol(wanted.upper()), parse_local_symbol(market.local)
    return asked.coin == have.coin and asked.quote in {"", market.settle, have.quote}


def select_symbols(markets: Sequence[MarketRef], wanted: Iterable[str]) -> tuple[list[MarketRef], list[str]]:
    """The markets named by ``--symbols`` (exact local name, or same coin and quote), and the names unmatched.

    ``BTCUSDT`` finds KuCoin's ``XBTUSDTM``; ``PEPEUSDT`` finds ``1000PEPEUSDT``; ``BTC`` finds any quote.
    """
    chosen: dict[str, MarketRef] = {}
    unmatched: list[str] = []
    for name in wanted:
        exact = [m for m in markets if m.local.upper() == name.upper()]
        found = exact or [m for m in markets if _matches(name, m)]
        if not found:
            unmatched.append(name)
        chosen.update((m.local, m) for m in found)
    return sorted(chosen.values(), key=lambda ref: ref.local), unmatched


def last_closed_open(now_ms: int, tf_ms: int) -> int:
    """Open time of the newest *closed* candle: the one at ``floor(now)`` is still forming."""
    return (now_ms // tf_ms) * tf_ms - tf_ms


def plan_since(existing_last: int | None, last_closed: int, tf_ms: int, candles: int) -> int | None:
    """First open time to ask for, or None when the file is already up to date.

    Only what is missing: after the file's last candle, and never before the last ``candles`` window.
    """
    start = last_closed - (candles - 1) * tf_ms
    if existing_last is not None:
        start = max(start, existing_last + tf_ms)
    return start if start <= last_closed else None


def fetch_range(
    client: VenueClient, market: MarketRef, timeframe: str, since: int, last_closed: int
) -> list[Candle]:
    """Closed candles from ``since`` to ``last_closed``, page by page within the venue's candle limit.

    Pages go forward from ``since``. A page that comes back short of its window keeps what it got and
    asks again for what it left out: after its last candle (venues that cap from the start) and before
    its first one (venues that serve the *end* of a window, like Bitget's history endpoint). An empty
    answer skips its window (no history there, e.g. a recent listing, which costs one extra request for
    the head before its first candle). Bounded so a misbehaving venue cannot loop.
    """
    tf_ms, limit_max = TIMEFRAME_MS[timeframe], client.spec.candle_limit_for(timeframe)
    total = (last_closed - since) // tf_ms + 1
    budget = 2 * math.ceil(total / min(limit_max, 100)) + 2
    out: dict[int, Candle] = {}
    windows = [(since, last_closed)]  # still to fetch, inclusive open times; the last one first
    while windows and budget > 0:
        budget -= 1
        first, last = windows.pop()
        limit = min(limit_max, (last - first) // tf_ms + 1)
        page_end = first + (limit - 1) * tf_ms
        rows = client.fetch_ohlcv(market.symbol, timeframe, first, limit, page_end + tf_ms - 1)
        page = sorted(c for c in (to_candle(r) for r in rows) if c is not None and first <= c.time <= last)
        out.update((c.time, c) for c in page)
        after = page[-1].time + tf_ms if page else page_end + tf_ms
        if after <= last:
            windows.append((after, last))
        if page and page[0].time > first and len(page) < limit:
            windows.append((first, page[0].time - tf_ms))  # the venue served the window's end only
    if windows:
        log.warning(
            "%s %s: stopped paging with %d window(s) left; the venue kept answering short pages",
            market.local,
            timeframe,
            len(windows),
        )
    return [out[t] for t in sorted(out)]


def update_file(
    client: VenueClient,
    data_dir: Path,
    market: MarketRef,
    timeframe: str,
    *,
    candles: int,
    now_ms: int,
) -> FileResult:
    """Extend one candle file with only its missing closed candles, trim it, write it atomically."""
    tf_ms = TIMEFRAME_MS[timeframe]
    path = candle_path(data_dir, client.spec.venue.value, market.local, timeframe)
    existing = read_candles(path)
    last_closed = last_closed_open(now_ms, tf_ms)
    since = plan_since(existing[-1].time if existing else None, last_closed, tf_ms, candles)
    new = fetch_range(client, market, timeframe, since, last_closed) if since is not None else []
    merged = merge_candles(existing, new, keep=candles, last_open=last_closed)
    old_times = {c.time for c in existing}
    added = sum(1 for c in merged if c.time not in old_times)
    if merged and merged != existing:
        write_candles(path, merged)
        return FileResult(path, added, True)
    log.debug("%s: up to date (%d candles)", path.name, len(existing))
    return FileResult(path, added, False)
