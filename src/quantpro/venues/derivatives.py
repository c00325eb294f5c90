"""The exchanges' own open interest, funding and long/short ratio, through ccxt (docs/design.md §11).

:func:`snapshot_venue` reads OI and funding of every USDT/USDC linear perpetual of one venue in the
fewest calls the venue allows (the reader named by ``VenueSpec.snapshot_style``; Binance adds one OI
request per symbol), joins the rows with the venue's markets and normalises them: OI in base units
(raw × contract size where the venue counts contracts or lots), funding as the venue's fraction per
interval with the interval in hours. It never raises for a venue's failure: the reason is in
``VenueSnapshot.error``. :func:`oi_history` gives the 15-minute history where the venue serves one
(OKX's 5-minute points resampled to the boundaries); :func:`ls_ratio` the newest long/short ratio.

Markets are loaded once per client and reloaded when older than ``VenueSpec.markets_ttl_s``, when an
answer names a market not loaded yet (a new listing), or when the venue's own figures contradict the
loaded contract size (a contract re-sized: the usual unit trap). Every request goes through
:class:`~quantpro.venues.client.VenueClient` (pacing, bounded retries on the injected clock, errors
translated into :mod:`quantpro.errors`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from quantpro.clock import now_ms
from quantpro.errors import BadRequestError, RemoteError, RequestRejectedError
from quantpro.symbols import parse_local_symbol
from quantpro.venues.client import VenueClient
from quantpro.venues.snapshot_readers import READERS, RawPerp, number
from quantpro.venues.table import Venue, is_stable_perpetual, local_symbol

__all__ = ["PerpSnapshot", "VenueSnapshot", "ls_ratio", "oi_history", "snapshot_venue"]

log = logging.getLogger(__name__)

BOUNDARY_S = 900
_TIMEFRAME_S = {"5m": 300, "15m": 900}


@dataclass(frozen=True, slots=True)
class PerpSnapshot:
    """One perpetual in one venue's bulk snapshot, normalised (docs/design.md §11)."""

    venue: Venue
    venue_id: str  # the venue's own id: BTCUSDT, BTC-USDT-SWAP, XBTUSDTM, BTC_USDT, BTC
    ccxt_symbol: str  # BTC/USDT:USDT
    local_symbol: str  # DATA_DIR's SYMBOL (venues.table.local_symbol): BTCUSDT, XBTUSDTM, kPEPEUSDT
    coin: str  # canonical coin (quantpro.symbols.parse_local_symbol(local).coin)
    contract_size: float  # base units per contract/lot (1.0 where the venue gives OI in base)
    oi_raw: float | None  # open interest as the venue gives it
    oi_unit: str  # "base" | "contracts" | "lots" | "coins"
    oi_base: float | None  # oi_raw × contract_size (oi_raw when already base); None when absent
    price: float | None  # mark (or last) price, quote per base unit
    funding_rate: float | None  # the venue's fraction per interval (0.0001 = 0.01 %)
    funding_interval_h: float | None  # 8.0 most places, 1.0 on Hyperliquid, 4.0 where the venue says so
    quote_volume_24h: float | None
    observed_ms: int  # when the answer arrived, on the injected clock


@dataclass
class VenueSnapshot:
    """One venue's snapshot: every perpetual its bulk calls returned, what it cost, and what failed."""

    venue: Venue
    perps: list[PerpSnapshot]  # every USDT/USDC linear perpetual the bulk calls returned
    requests: int
    http_429: int
    error: str | None  # None when complete; a failed venue → perps may be partial or [] with the reason
    started_ms: int
    finished_ms: int


# -- the snapshot -------------------------------------------------------------------------------------


def snapshot_venue(
    client: VenueClient, *, oi_symbols: Sequence[str] | None = None, max_requests: int | None = None
) -> VenueSnapshot:
    """OI and funding of every perpetual in the fewest calls (§11 table). Binance: funding for all in
    one call, then OI per symbol for ``oi_symbols`` (ccxt symbols, in priority order; None = all),
    stopping at ``max_requests`` (all requests of the snapshot counted). Never raises for a venue
    failure: it is in ``error``."""
    spec = client.spec
    started, requests0, http0 = now_ms(client.clock), client.requests, client.http_429
    perps: list[PerpSnapshot] = []
    error: str | None = None
    try:
        perps, error = _bulk(client)
        if spec.oi_per_symbol and error is None:
            budget = None if max_requests is None else max_requests - (client.requests - requests0)
            perps, error = _oi_per_symbol(client, perps, oi_symbols, budget)
    except RemoteError as exc:
        error = failure_reason(exc)
        log.warning("%s: snapshot failed: %s", spec.venue, error)
    except Exception as exc:  # a venue's surprise must not stop the others
        error = f"unexpected {type(exc).__name__}: {str(exc)[:300]}"
        log.exception("%s: snapshot failed unexpectedly", spec.venue)
    return VenueSnapshot(
        spec.venue,
        perps,
        requests=client.requests - requests0,
        http_429=client.http_429 - http0,
        error=error,
        started_ms=started,
        finished_ms=now_ms(client.clock),
    )


def failure_reason(exc: RemoteError) -> str:
    """A short, human reason for a venue failure: what kind, the HTTP status, the venue's words."""
    kind = {
        "RateLimitError": "rate-limited",
        "ServerError": "server error",
        "TransportError": "unreachable",
        "ResponseShapeError": "unreadable answer",
        "AuthenticationError": "refused",
        "BadRequestError": "request refused",
    }.get(type(exc).__name__, "failed")
    status = f" (HTTP {exc.status_code})" if exc.status_code else ""
    wait = getattr(exc, "retry_after", None)
    told = f", Retry-After {wait:g} s" if isinstance(wait, int | float) else ""
    return f"{kind}{status}{told}: {str(exc)[:300]}"


def _bulk(client: VenueClient) -> tuple[list[PerpSnapshot], str | None]:
    """The venue's bulk call(s), joined with its markets, reloaded once if the answer contradicts them
    (a failed reload keeps what the first join gave, with the reason)."""
    spec = client.spec
    reader = READERS[spec.snapshot_style]
    fresh = reader.loads_markets or _ensure_markets(client)
    raws = reader.read(client)
    if not raws:  # a venue with perpetuals never lists none: a maintenance page, a changed shape
        return [], "unreadable answer: the venue's bulk answer lists no market"
    perps, stale = _join(client, raws, trust_venue=fresh)
    if stale and not fresh:
        log.info("%s: %s; reloading the markets", spec.venue, stale)
        try:
            client.load_markets(reload=True)
        except RemoteError as exc:
            return perps, f"markets could not be reloaded ({stale}): {failure_reason(exc)}"
        perps, stale = _join(client, raws, trust_venue=True)
    return perps, None


def _ensure_markets(client: VenueClient) -> bool:
    """Load the markets when never loaded or older than the table's TTL; True when just loaded."""
    age = client.markets_age()
    if client.exchange.markets and age is not None and age <= client.spec.markets_ttl_s:
        return False
    client.load_markets(reload=True)
    return True


def _markets_by_venue_id(client: VenueClient) -> dict[str, Mapping[str, Any]]:
    index: dict[str, Mapping[str, Any]] = {}
    for market in (client.exchange.markets or {}).values():
        key = client.spec.venue_id(market)
        if key not in index or is_stable_perpetual(market):
            index[key] = market
    return index


def _join(
    client: VenueClient, raws: Iterable[RawPerp], *, trust_venue: bool
) -> tuple[list[PerpSnapshot], str | None]:
    """Rows → perpetuals; ``stale`` says why the markets look out of date (None when they do not).

    ``trust_venue``: the markets are fresh, so where the venue's own base figure disagrees with the
    contract size anyway, the venue's figure wins (and is logged).
    """
    index = _markets_by_venue_id(client)
    perps: list[PerpSnapshot] = []
    unknown: list[str] = []
    resized: list[str] = []
    for raw in raws:
        market = index.get(raw.venue_id)
        if market is None:
            unknown.append(raw.venue_id)
            continue
        if not is_stable_perpetual(market):
            continue
        perp = _perp(client, market, raw)
        if perp is None:
            continue
        implied = _implied_size(client, raw)
        if implied is not None:
            resized.append(raw.venue_id)
            if trust_venue and raw.base_hint is not None:
                log.warning("%s %s: OI from the venue's base figure", client.spec.venue, raw.venue_id)
                perp = replace(perp, contract_size=implied, oi_base=raw.base_hint)
        perps.append(perp)
    stale = None
    if unknown:
        stale = f"{len(unknown)} markets not loaded yet ({', '.join(unknown[:5])})"
    elif resized:
        stale = f"contract size contradicted for {', '.join(resized[:5])}"
    return perps, stale


def _implied_size(client: VenueClient, raw: RawPerp) -> float | None:
    """The contract size the venue's own figures imply, when it contradicts the loaded one."""
    tolerance = client.spec.size_check_tolerance
    market = client.exchange.markets_by_id.get(raw.venue_id) if tolerance is not None else None
    if tolerance is None or not market:
        return None
    loaded = number((market[0] if isinstance(market, list) else market).get("contractSize"))
    implied = raw.size_hint
    if raw.base_hint is not None and raw.oi_raw:
        implied = raw.base_hint / raw.oi_raw
    if implied is None or not loaded or abs(implied / loaded - 1.0) <= tolerance:
        return None
    return implied


def _perp(client: VenueClient, market: Mapping[str, Any], raw: RawPerp) -> PerpSnapshot | None:
    spec = client.spec
    local = local_symbol(spec, market)
    parsed = parse_local_symbol(local)
    if not parsed.coin or "_" in local:
        log.debug(
            "%s: skipping %s: its local name %r does not parse", spec.venue, market.get("symbol"), local
        )
        return None
    size = (number(market.get("contractSize")) or 1.0) if spec.oi_in_contracts else 1.0
    interval = raw.funding_interval_h or _market_interval_h(market) or spec.funding_interval_h
    return PerpSnapshot(
        venue=spec.venue,
        venue_id=raw.venue_id,
        ccxt_symbol=str(market["symbol"]),
        local_symbol=local,
        coin=parsed.coin,
        contract_size=size,
        oi_raw=raw.oi_raw,
        oi_unit=spec.oi_unit,
        oi_base=raw.oi_raw * size if raw.oi_raw is not None else None,
        price=raw.price,
        funding_rate=raw.funding_rate,
        funding_interval_h=interval,
        quote_volume_24h=raw.quote_volume_24h,
        observed_ms=raw.observed_ms,
    )


def _market_interval_h(market: Mapping[str, Any]) -> float | None:
    """The funding interval a market's raw listing states (Bybit minutes, Bitget hours, KuCoin ms)."""
    info = market.get("info") or {}
    minutes = number(info.get("fundingInterval"))
    if minutes:
        return minutes / 60.0
    hours = number(info.get("fundInterval"))
    if hours:
        return hours
    granularity = number(info.get("fundingRateGranularity"))
    return granularity / 3_600_000 if granularity else None


def _oi_per_symbol(
    client: VenueClient, perps: list[PerpSnapshot], oi_symbols: Sequence[str] | None, budget: int | None
) -> tuple[list[PerpSnapshot], str | None]:
    """Binance: one ``fetch_open_interest`` per symbol, in ``oi_symbols`` order, within ``budget``.

    A refused symbol is skipped; any other failure (a 429 after the retries, the venue down) stops the
    loop, so a struggling venue is not hammered, and is the snapshot's error."""
    at = {p.ccxt_symbol: i for i, p in enumerate(perps)}
    order = list(dict.fromkeys(s for s in (oi_symbols if oi_symbols is not None else at) if s in at))
    done = 0
    for symbol in order:
        if budget is not None and done >= budget:
            break
        try:
            answer = client.call(
                f"open interest {symbol}",
                client.spec.oi_cost,
                lambda s=symbol: client.exchange.fetch_open_interest(s),  # type: ignore[misc]
            )
        except RequestRejectedError as exc:
            done += 1
            log.warning("%s: open interest of %s refused: %s", client.spec.venue, symbol, exc)
            continue
        except RemoteError as exc:
            reason = f"open interest stopped after {done} of {len(order)} symbols: {failure_reason(exc)}"
            log.warning("%s: %s", client.spec.venue, reason)
            return perps, reason
        done += 1
        i = at[symbol]
        raw = number(answer.get("openInterestAmount"))
        size = perps[i].contract_size
        perps[i] = replace(
            perps[i],
            oi_raw=raw,
            oi_base=raw * size if raw is not None else None,
            observed_ms=now_ms(client.clock),
        )
    return perps, None


# -- history and long/short ---------------------------------------------------------------------------


def _market(client: VenueClient, ccxt_symbol: str) -> Mapping[str, Any]:
    markets = client.load_markets()
    market = markets.get(ccxt_symbol)
    if market is None:
        venue = client.spec.venue.value
        raise BadRequestError(f"{venue}: no market {ccxt_symbol!r}", source=venue)
    return dict(market)


def oi_history(
    client: VenueClient, ccxt_symbol: str, *, since_ms: int, until_ms: int
) -> list[tuple[int, float]]:
    """(bucket boundary in Unix seconds — a multiple of 900 —, OI in base units), oldest first, for the
    venues that serve it (Binance, Bybit, OKX (5-minute, resampled to 15), KuCoin); raises
    RequestRejectedError for a venue without history (and RemoteError when the venue fails).

    Boundaries in ``[since_ms, until_ms]`` no older than the venue keeps (Binance 30 days, OKX about
    three), in as few requests as the venue's point limit allows."""
    spec = client.spec
    if not spec.has_oi_history:
        venue = spec.venue.value
        raise BadRequestError(f"{venue} serves no open-interest history", source=venue)
    market = _market(client, ccxt_symbol)
    size = (number(market.get("contractSize")) or 1.0) if spec.oi_in_contracts else 1.0
    step = _TIMEFRAME_S[spec.oi_history_timeframe]
    now = client.clock.now()
    first = math.ceil(since_ms / 1000 / BOUNDARY_S) * BOUNDARY_S
    if spec.oi_history_max_age_s is not None:
        oldest = math.ceil((now - spec.oi_history_max_age_s) / BOUNDARY_S) * BOUNDARY_S
        first = max(first, oldest)
    last = math.floor(min(until_ms / 1000, now) / BOUNDARY_S) * BOUNDARY_S
    points: dict[int, float] = {}
    t = first
    while t <= last:
        n = min(spec.oi_history_limit, (last - t) // step + 1)
        end = t + (n - 1) * step
        rows = client.call(
            f"open interest history {ccxt_symbol} {t}..{end}",
            spec.oi_history_cost,
            lambda t=t, n=n, end=end: client.exchange.fetch_open_interest_history(  # type: ignore[misc]
                ccxt_symbol, spec.oi_history_timeframe, t * 1000, n, {"until": end * 1000}
            ),
            stats=True,
        )
        for row in rows:
            stamp = number(row.get("timestamp"))
            value = _history_base(row, size)
            if stamp is None or value is None:
                continue
            boundary = int(stamp) // 1000
            if boundary % BOUNDARY_S == 0 and first <= boundary <= last:
                points[boundary] = value
        t = end + step
    return sorted(points.items())


def _history_base(row: Mapping[str, Any], size: float) -> float | None:
    """A history point in base units: the venue's own base figure where it gives one (OKX), else the
    amount × the contract size (KuCoin's lots; 1.0 where the amount is already base)."""
    base = number(row.get("baseVolume"))
    if base is not None:
        return base
    amount = number(row.get("openInterestAmount"))
    return amount * size if amount is not None else None


def ls_ratio(client: VenueClient, ccxt_symbol: str) -> float | None:
    """The venue's own newest long/short account ratio (Binance, Bybit, OKX, Bitget); None where none.

    Raises RemoteError when the venue fails (the caller decides what a missing ratio means)."""
    spec = client.spec
    if not spec.has_ls_ratio:
        return None
    _market(client, ccxt_symbol)
    rows = client.call(
        f"long/short ratio {ccxt_symbol}",
        spec.ls_cost,
        lambda: client.exchange.fetch_long_short_ratio_history(ccxt_symbol, spec.ls_timeframe, None, 1),
        stats=True,
    )
    dated = [(number(r.get("timestamp")) or 0.0, number(r.get("longShortRatio"))) for r in rows]
    newest = [ratio for _, ratio in sorted(dated, key=lambda d: d[0]) if ratio is not None]
    return newest[-1] if newest else None
