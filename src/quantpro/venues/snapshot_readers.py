"""Per-venue readers of the bulk derivatives answers (docs/design.md §11, "Per venue, the fewest calls").

Each reader sends the venue's bulk call(s) through :meth:`VenueClient.call` and turns every row into a
:class:`RawPerp` in the venue's own units, keyed by the venue's own id. Which reader a venue uses is a
fact of the venue table (``VenueSpec.snapshot_style``); joining the rows with the markets, converting
units and checking contract sizes is :mod:`quantpro.venues.derivatives`' job.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from quantpro.clock import now_ms
from quantpro.venues.client import VenueClient

__all__ = ["READERS", "RawPerp", "Reader", "number"]


@dataclass(frozen=True, slots=True)
class RawPerp:
    """One row of a venue's bulk answer, in the venue's units."""

    venue_id: str
    observed_ms: int
    oi_raw: float | None = None
    price: float | None = None
    funding_rate: float | None = None
    funding_interval_h: float | None = None
    quote_volume_24h: float | None = None
    #: The venue's own base-unit figure for the same OI (OKX ``oiCcy``), for the contract-size check.
    base_hint: float | None = None
    #: The contract size the answer implies (MEXC: quote volume ÷ contracts ÷ price), for the same check.
    size_hint: float | None = None


@dataclass(frozen=True, slots=True)
class Reader:
    """A venue's snapshot reader; ``loads_markets``: its bulk call *is* the market list (fresh each time)."""

    read: Callable[[VenueClient], list[RawPerp]]
    loads_markets: bool = False


def number(value: Any) -> float | None:
    """A finite float from a venue's number or numeric string; None for "", None, NaN, garbage."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def interval_hours(value: Any) -> float | None:
    """ccxt's funding ``interval`` (``"8h"``, ``"1h"``) in hours."""
    if isinstance(value, str) and value.endswith("h"):
        return number(value[:-1])
    return None


def _info(row: Mapping[str, Any]) -> Mapping[str, Any]:
    info = row.get("info")
    return info if isinstance(info, Mapping) else {}


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


# -- one reader per venue dialect ----------------------------------------------------------------------


def _bybit(client: VenueClient) -> list[RawPerp]:
    """``/v5/market/tickers``: funding, OI in base units, mark price, 24 h turnover — 1 request."""
    rates = client.call("funding rates", client.spec.funding_cost, client.exchange.fetch_funding_rates)
    at = now_ms(client.clock)
    out = []
    for row in rates.values():
        info = _info(row)
        interval = number(info.get("fundingIntervalHour")) or interval_hours(row.get("interval"))
        out.append(
            RawPerp(
                str(info.get("symbol")),
                at,
                oi_raw=number(info.get("openInterest")),
                price=number(row.get("markPrice")) or number(info.get("lastPrice")),
                funding_rate=number(row.get("fundingRate")),
                funding_interval_h=interval,
                quote_volume_24h=number(info.get("turnover24h")),
            )
        )
    return out


def _okx(client: VenueClient) -> list[RawPerp]:
    """``/public/funding-rate?instId=ANY`` + ``/public/open-interest?instType=SWAP`` — 2 requests."""
    spec, exchange = client.spec, client.exchange
    rates = client.call("funding rates", spec.funding_cost, exchange.fetch_funding_rates)
    interests = client.call("open interests", spec.oi_cost, exchange.fetch_open_interests)
    at = now_ms(client.clock)
    funding = {str(_info(r).get("instId")): r for r in rates.values()}
    out = []
    for row in interests.values():
        info = _info(row)
        venue_id = str(info.get("instId"))
        base = number(info.get("oiCcy"))
        rate = funding.pop(venue_id, {})
        out.append(
            RawPerp(
                venue_id,
                at,
                oi_raw=number(info.get("oi")),
                price=_ratio(number(info.get("oiUsd")), base),
                funding_rate=number(rate.get("fundingRate")),
                funding_interval_h=interval_hours(rate.get("interval")),
                base_hint=base,
            )
        )
    for venue_id, rate in funding.items():  # funding without OI: kept, OI absent
        out.append(
            RawPerp(
                venue_id,
                at,
                funding_rate=number(rate.get("fundingRate")),
                funding_interval_h=interval_hours(rate.get("interval")),
            )
        )
    return out


def _bitget(client: VenueClient) -> list[RawPerp]:
    """``/mix/market/tickers`` per product type: fundingRate, holdingAmount (base) — 2 requests."""
    tickers = client.fetch_tickers()
    at = now_ms(client.clock)
    out = []
    for row in tickers.values():
        info = _info(row)
        out.append(
            RawPerp(
                str(info.get("symbol")),
                at,
                oi_raw=number(info.get("holdingAmount")),
                price=number(info.get("markPrice")) or number(info.get("lastPr")),
                funding_rate=number(info.get("fundingRate")),
                quote_volume_24h=number(info.get("quoteVolume")),
            )
        )
    return out


def _mexc(client: VenueClient) -> list[RawPerp]:
    """``/contract/ticker``: fundingRate, holdVol (contracts) — 1 request; no funding interval."""
    tickers = client.fetch_tickers()
    at = now_ms(client.clock)
    out = []
    for row in tickers.values():
        info = _info(row)
        last = number(info.get("lastPrice"))
        contracts = number(info.get("volume24"))
        quote = number(info.get("amount24"))
        implied = _ratio(quote, contracts * last if contracts and last else None)
        out.append(
            RawPerp(
                str(info.get("symbol")),
                at,
                oi_raw=number(info.get("holdVol")),
                price=number(info.get("fairPrice")) or last,
                funding_rate=number(info.get("fundingRate")),
                quote_volume_24h=quote,
                size_hint=implied,
            )
        )
    return out


def _kucoin(client: VenueClient) -> list[RawPerp]:
    """``/contracts/active`` (the market list itself): OI in lots, funding and its granularity — 1."""
    markets = client.load_markets(reload=True)
    at = now_ms(client.clock)
    out = []
    for market in markets.values():
        info = _info(market)
        granularity = number(info.get("fundingRateGranularity"))
        out.append(
            RawPerp(
                str(info.get("symbol") or market.get("id")),
                at,
                oi_raw=number(info.get("openInterest")),
                price=number(info.get("markPrice")) or number(info.get("lastTradePrice")),
                funding_rate=number(info.get("fundingFeeRate")),
                funding_interval_h=granularity / 3_600_000 if granularity else None,
                quote_volume_24h=number(info.get("turnoverOf24h")),
            )
        )
    return out


def _hyperliquid(client: VenueClient) -> list[RawPerp]:
    """``metaAndAssetCtxs`` (the market list itself): OI in coins, hourly funding — 1 request."""
    markets = client.load_markets(reload=True)
    at = now_ms(client.clock)
    out = []
    for market in markets.values():
        info = _info(market)
        out.append(
            RawPerp(
                client.spec.venue_id(market),
                at,
                oi_raw=number(info.get("openInterest")),
                price=number(info.get("markPx")),
                funding_rate=number(info.get("funding")),
                funding_interval_h=client.spec.funding_interval_h,
                quote_volume_24h=number(info.get("dayNtlVlm")),
            )
        )
    return out


FUNDING_INTERVALS_MEMO = "binance funding intervals"


def _binance_intervals(client: VenueClient) -> dict[str, float]:
    """``/fapi/v1/fundingInfo``: the markets whose interval is not 8 h; kept for ``markets_ttl_s``."""
    memo = client.memo.get(FUNDING_INTERVALS_MEMO)
    if memo is not None and client.clock.now() - memo[0] < client.spec.markets_ttl_s:
        cached: dict[str, float] = memo[1]
        return cached
    rows = client.call("funding intervals", 1.0, client.exchange.fetch_funding_intervals)
    intervals = {}
    for row in rows.values():
        hours = interval_hours(row.get("interval"))
        if hours is not None:
            intervals[str(_info(row).get("symbol"))] = hours
    client.memo[FUNDING_INTERVALS_MEMO] = (client.clock.now(), intervals)
    return intervals


def _binance(client: VenueClient) -> list[RawPerp]:
    """``/fapi/v1/premiumIndex`` (every perpetual's funding and mark price) — 1 request; OI comes one
    request per symbol afterwards (``VenueSpec.oi_per_symbol``)."""
    intervals = _binance_intervals(client)
    rates = client.call("premium index", client.spec.funding_cost, client.exchange.fetch_funding_rates)
    at = now_ms(client.clock)
    out = []
    for row in rates.values():
        venue_id = str(_info(row).get("symbol"))
        out.append(
            RawPerp(
                venue_id,
                at,
                price=number(row.get("markPrice")),
                funding_rate=number(row.get("fundingRate")),
                funding_interval_h=intervals.get(venue_id, client.spec.funding_interval_h),
            )
        )
    return out


READERS: dict[str, Reader] = {
    "binance": Reader(_binance),
    "bybit": Reader(_bybit),
    "okx": Reader(_okx),
    "bitget": Reader(_bitget),
    "mexc": Reader(_mexc),
    "kucoin": Reader(_kucoin, loads_markets=True),
    "hyperliquid": Reader(_hyperliquid, loads_markets=True),
}
