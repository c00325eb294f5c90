"""The venue table: everything venue-specific the downloader knows, in one typed place.

Each row names the ccxt class, the options that narrow a public download to linear perpetuals, the
largest candle page the venue serves, the request budget we keep (below the venue's published public
limit, so a user's other tools still have room) and how a venue's market becomes the local SYMBOL of
docs/design.md §4. Business code never branches on a venue name; it reads this table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from quantpro.errors import ConfigError
from quantpro.net.pacing import Budget

#: Settlement currencies of the perpetuals we download (USDT- and USDC-margined linear swaps).
STABLE_SETTLES: frozenset[str] = frozenset({"USDT", "USDC"})

_UNSAFE = re.compile(r"[^A-Za-z0-9]")


class Venue(StrEnum):
    """The seven venues the downloader speaks to; the value is the file-name EXCHANGE."""

    BINANCE = "BINANCE"
    BYBIT = "BYBIT"
    OKX = "OKX"
    BITGET = "BITGET"
    MEXC = "MEXC"
    KUCOIN = "KUCOIN"
    HYPERLIQUID = "HYPERLIQUID"


def unit_cost(_limit: int) -> float:
    """Every candle request costs one unit (venues that count requests, not weight)."""
    return 1.0


def binance_kline_weight(limit: int) -> float:
    """Binance USDⓈ-M ``/fapi/v1/klines`` weight by ``limit`` (1 / 2 / 5 / 10)."""
    if limit < 100:
        return 1.0
    if limit < 500:
        return 2.0
    if limit <= 1000:
        return 5.0
    return 10.0


def hyperliquid_candle_weight(limit: int) -> float:
    """Hyperliquid ``candleSnapshot``: weight 20 plus one per 60 candles returned."""
    return 20.0 + math.ceil(limit / 60)


def _base_plus_settle(market: Mapping[str, Any]) -> str:
    """``baseId`` + settle currency: ``1000PEPE`` + ``USDT``; keeps the venue's multiplier prefix."""
    return f"{market['baseId']}{market['settle']}"


def _kucoin_name(market: Mapping[str, Any]) -> str:
    """KuCoin's own contract id, as in the real sample: ``XBTUSDTM``."""
    return str(market["id"])


def _hyperliquid_name(market: Mapping[str, Any]) -> str:
    """The venue's coin name + ``USDT`` (sample convention): ``kPEPE`` → ``kPEPEUSDT``, ``BTC`` → ``BTCUSDT``.

    Hyperliquid settles in USDC, but the owner's data directories name these markets ``…USDT``; keeping
    that name makes a download extend those files instead of writing a second copy of each market.
    """
    return f"{market.get('baseName') or market['base']}USDT"


@dataclass(frozen=True, slots=True)
class VenueSpec:
    """One row of the venue table."""

    venue: Venue
    ccxt_id: str
    #: Deep-merged into the ccxt exchange's ``options`` (market types to load, default type).
    options: Mapping[str, Any]
    #: The most candles one OHLCV request may ask for.
    candle_limit: int
    budget: Budget
    #: Cost of one OHLCV request for ``limit`` candles, in the budget's units.
    candle_cost: Callable[[int], float]
    #: Cost of the markets call(s) and of one bulk tickers call, in the budget's units.
    markets_cost: float
    tickers_cost: float
    local_name: Callable[[Mapping[str, Any]], str] = _base_plus_settle
    #: Whether ccxt's ``fetch_ohlcv`` takes ``params['until']`` (the page's last open time) here.
    supports_until: bool = False
    #: Lower per-timeframe caps on ``candle_limit`` (e.g. Bitget: no window wider than 90 days).
    candle_limits: Mapping[str, int] = field(default_factory=dict)
    #: Params of the bulk ``fetch_tickers`` call(s), one call per entry, merged (e.g. Hyperliquid: swaps
    #: only; Bitget: one call per product type). ``tickers_cost`` is per call.
    tickers_calls: tuple[Mapping[str, Any], ...] = ({},)

    def candle_limit_for(self, timeframe: str) -> int:
        """The most candles one request may ask for at ``timeframe``."""
        return min(self.candle_limit, self.candle_limits.get(timeframe, self.candle_limit))


VENUES: dict[Venue, VenueSpec] = {
    spec.venue: spec
    for spec in (
        # 2,400 weight/min per IP; we keep half. exchangeInfo 1, ticker/24hr (all) 40.
        VenueSpec(
            Venue.BINANCE,
            "binanceusdm",
            {"fetchMarkets": {"types": ["linear"]}, "defaultType": "swap"},
            candle_limit=1000,
            budget=Budget(1200, 60),
            candle_cost=binance_kline_weight,
            markets_cost=1,
            tickers_cost=40,
            supports_until=True,
        ),
        # 600 requests per 5 s per IP for all of /v5/market; we keep 10 per second.
        VenueSpec(
            Venue.BYBIT,
            "bybit",
            {"fetchMarkets": {"types": ["linear"]}, "defaultType": "swap", "defaultSubType": "linear"},
            candle_limit=1000,
            budget=Budget(10, 1),
            candle_cost=unit_cost,
            markets_cost=2,  # instruments-info, normal and pre-launch
            tickers_cost=1,
            supports_until=True,
        ),
        # /market/candles 40 per 2 s, /market/history-candles 20 per 2 s; we keep 8 per second.
        VenueSpec(
            Venue.OKX,
            "okx",
            {"fetchMarkets": {"types": ["swap"]}, "defaultType": "swap"},
            candle_limit=300,
            budget=Budget(8, 1),
            candle_cost=unit_cost,
            markets_cost=1,
            tickers_cost=1,
            supports_until=True,
        ),
        # mix market candles 20 per second; we keep 8 per second. Bitget serves the *last* ``limit``
        # candles before ``endTime`` (it aligns from the end), so every page is bounded by ``until``;
        # a window may not span more than 90 days (4h: 540 candles), and ccxt caps ``limit`` to match.
        VenueSpec(
            Venue.BITGET,
            "bitget",
            {"fetchMarkets": {"types": ["swap"]}, "defaultType": "swap", "defaultSubType": "linear"},
            candle_limit=1000,
            budget=Budget(8, 1),
            candle_cost=unit_cost,
            # ccxt lists six product types: USDT-, USDC-, coin-margined and their three demo twins
            markets_cost=6,
            tickers_cost=1,
            supports_until=True,
            candle_limits={"4h": 540, "6h": 360, "12h": 180, "1d": 90, "3d": 30, "1w": 13, "1M": 4},
            # bulk tickers come per product type: USDT- and USDC-margined perpetuals
            tickers_calls=({"productType": "USDT-FUTURES"}, {"productType": "USDC-FUTURES"}),
        ),
        # contract market data 20 per 2 s; we keep 5 per second. Candles are asked by start and end
        # (no limit), at most 2,000 per request; every page is bounded by ``until``.
        VenueSpec(
            Venue.MEXC,
            "mexc",
            {"defaultType": "swap"},
            candle_limit=1000,
            budget=Budget(5, 1),
            candle_cost=unit_cost,
            # ccxt's mexc always loads the spot list as well as the contract list (it has no option
            # to skip it in 4.5.90), so the markets call is two requests
            markets_cost=2,
            tickers_cost=1,
            supports_until=True,
        ),
        # public weight 2,000 per 30 s; klines weigh 3, the contract list and tickers more. We keep 1,000.
        VenueSpec(
            Venue.KUCOIN,
            "kucoinfutures",
            {"fetchMarkets": {"types": ["swap"], "fetchTickersFees": False}, "defaultType": "swap"},
            candle_limit=200,
            budget=Budget(1000, 30),
            candle_cost=lambda _limit: 3.0,
            markets_cost=3,
            tickers_cost=15,
            local_name=_kucoin_name,
        ),
        # 1,200 weight per minute per IP; info calls weigh 20, candleSnapshot 20 + 1 per 60 candles.
        # ccxt's own throttle charges far less, so we keep our own budget: 800 per minute.
        VenueSpec(
            Venue.HYPERLIQUID,
            "hyperliquid",
            {"fetchMarkets": {"types": ["swap"]}, "defaultType": "swap"},
            candle_limit=5000,
            budget=Budget(800, 60),
            candle_cost=hyperliquid_candle_weight,
            markets_cost=20,
            tickers_cost=20,
            local_name=_hyperliquid_name,
            tickers_calls=({"type": "swap"},),
            supports_until=True,
        ),
    )
}


def parse_venues(text: str) -> list[Venue]:
    """``"bybit, OKX"`` → ``[Venue.BYBIT, Venue.OKX]``; unknown names are a ConfigError."""
    venues: list[Venue] = []
    for raw in text.split(","):
        name = raw.strip().upper()
        if not name:
            continue
        try:
            venue = Venue(name)
        except ValueError:
            valid = ", ".join(v.value for v in Venue)
            raise ConfigError(f"unknown exchange {raw.strip()!r}; valid exchanges are {valid}") from None
        if venue not in venues:
            venues.append(venue)
    if not venues:
        raise ConfigError("--exchange names no exchange")
    return venues


def local_symbol(spec: VenueSpec, market: Mapping[str, Any]) -> str:
    """The local SYMBOL of a ccxt market, made safe for a file name (letters and digits only)."""
    return _UNSAFE.sub("", spec.local_name(market))
