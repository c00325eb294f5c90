"""The venue table: everything venue-specific the downloader knows, in one typed place.

Each row names the ccxt class, the options that narrow a public download to linear perpetuals, the
largest candle page the venue serves, the request budget we keep (below the venue's published public
limit, so a user's other tools still have room) and how a venue's market becomes the local SYMBOL of
docs/design.md §4; and, for the derivatives of §11, how the venue serves open interest and funding in
the fewest calls (the snapshot style, the raw OI unit, what each call costs), whether it serves OI
history and a long/short ratio, and their point limits. Business code never branches on a venue name;
it reads this table.
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


def _market_id(market: Mapping[str, Any]) -> str:
    """The venue's own id of a market, as its answers name it (``BTCUSDT``, ``BTC-USDT-SWAP``)."""
    return str(market["id"])


def _hyperliquid_id(market: Mapping[str, Any]) -> str:
    """Hyperliquid's answers name a perpetual by its coin (``BTC``, ``kPEPE``); ccxt's id is an index."""
    info = market.get("info") or {}
    return str(info.get("name") or market.get("baseName") or market["base"])


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

    # -- derivatives (docs/design.md §11) --------------------------------------------------------------
    #: How :func:`quantpro.venues.derivatives.snapshot_venue` reads OI and funding of every perpetual
    #: (a reader in ``venues.snapshot_readers``): the fewest calls the venue allows.
    snapshot_style: str = ""
    #: Requests of one snapshot once the markets are loaded (Binance: 1, plus one per OI symbol).
    snapshot_requests: int = 1
    #: Binance: OI is one request per symbol (``fetch_open_interest``), not part of the bulk answer.
    oi_per_symbol: bool = False
    #: The raw OI unit: ``base`` (as is), ``contracts`` / ``lots`` (× the market's contract size),
    #: ``coins`` (Hyperliquid: the base asset itself).
    oi_unit: str = "base"
    #: Cost, in ``budget`` units, of the bulk funding call, the OI call (per call or per symbol).
    funding_cost: float = 1.0
    oi_cost: float = 1.0
    #: Funding interval when the answers do not say (MEXC's bulk tickers never do).
    funding_interval_h: float = 8.0
    #: Markets (and Binance's funding-interval table) are reloaded when older than this, or at once
    #: when a snapshot names a market not loaded yet or its OI does not match the contract size.
    markets_ttl_s: float = 86_400.0
    #: Relative gap between the venue's own base figure (OKX ``oiCcy``) or an implied size (MEXC:
    #: quote volume ÷ contracts ÷ price) and contracts × size that makes the markets stale; None: no check.
    size_check_tolerance: float | None = None
    has_oi_history: bool = False
    #: ccxt timeframe of the history asked for (OKX: 5-minute points, resampled to 15 minutes).
    oi_history_timeframe: str = "15m"
    #: Points one history request may return, and how far back the venue keeps them (None: years).
    oi_history_limit: int = 0
    oi_history_max_age_s: float | None = None
    oi_history_cost: float = 1.0
    has_ls_ratio: bool = False
    #: The ``timeframe`` ccxt passes as the ratio's period (Bybit writes ``5min``).
    ls_timeframe: str = "5m"
    ls_cost: float = 1.0
    #: A separate pool for the statistics endpoints (OI history, long/short), where the venue has one.
    stats_budget: Budget | None = None
    #: The venue's id of a ccxt market, as its bulk answers name it.
    venue_id: Callable[[Mapping[str, Any]], str] = _market_id

    @property
    def oi_in_contracts(self) -> bool:
        """Whether raw OI is multiplied by the market's contract size to give base units."""
        return self.oi_unit in {"contracts", "lots"}

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
            # premiumIndex (all) weighs 10; openInterest 1 per symbol; /futures/data has its own pool of
            # 1,000 requests per 5 minutes per IP (we keep half); history ≤ 500 points, 30 days back
            snapshot_style="binance",
            snapshot_requests=1,
            oi_per_symbol=True,
            funding_cost=10,
            has_oi_history=True,
            oi_history_limit=500,
            oi_history_max_age_s=30 * 86_400,
            has_ls_ratio=True,
            stats_budget=Budget(500, 300),
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
            # /v5/market/tickers carries funding and OI (base); open-interest history ≤ 200 points
            snapshot_style="bybit",
            has_oi_history=True,
            oi_history_limit=200,
            has_ls_ratio=True,
            ls_timeframe="5min",
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
            # funding-rate (instId=ANY) + open-interest (instType=SWAP): OI in contracts × ctVal, with
            # oiCcy (base) beside it; rubik statistics 5 per 2 s (we keep 2 per second), 5-minute points,
            # ≤ 100 a request, about three days back
            snapshot_style="okx",
            snapshot_requests=2,
            oi_unit="contracts",
            size_check_tolerance=1e-6,
            has_oi_history=True,
            oi_history_timeframe="5m",
            oi_history_limit=100,
            oi_history_max_age_s=3 * 86_400,
            has_ls_ratio=True,
            stats_budget=Budget(2, 1),
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
            # the tickers carry fundingRate and holdingAmount (base); no OI history; account-long-short
            # 1 per second
            snapshot_style="bitget",
            snapshot_requests=2,
            has_ls_ratio=True,
            stats_budget=Budget(1, 1),
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
            # the swap tickers carry fundingRate and holdVol (contracts × contractSize) but no interval
            snapshot_style="mexc",
            oi_unit="contracts",
            size_check_tolerance=0.5,
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
            # contracts/active is the market list and carries OI (lots × multiplier) and funding: one
            # request, markets always fresh; unified-account OI history ≤ 200 points
            snapshot_style="kucoin",
            oi_unit="lots",
            has_oi_history=True,
            oi_history_limit=200,
            oi_history_cost=5,
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
            # metaAndAssetCtxs is the market list and carries OI (coins) and hourly funding: one request
            snapshot_style="hyperliquid",
            oi_unit="coins",
            funding_cost=20,
            funding_interval_h=1.0,
            venue_id=_hyperliquid_id,
        ),
    )
}


def is_stable_perpetual(market: Mapping[str, Any]) -> bool:
    """An active linear perpetual settled in USDT or USDC (``active`` None counts as active)."""
    return bool(
        market.get("swap")
        and market.get("linear")
        and market.get("active") is not False
        and market.get("settle") in STABLE_SETTLES
        and not market.get("expiry")
    )


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
