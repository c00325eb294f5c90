"""One deterministic truth for all seven venue fakes (docs/design.md §11).

A :class:`VenueWorld` holds each venue's markets (:class:`FakeMarket`) and answers, for any market and
moment, what the venue would publish: open interest **in base units** (the venue's base asset:
``1000PEPE`` on Binance, ``PEPE`` on OKX, ``kPEPE`` on Hyperliquid), the contract size that turns it
into the venue's raw unit (OKX ``ctVal``, MEXC ``contractSize``, KuCoin ``multiplier``), the price,
the funding rate as the venue's fraction per interval (hourly on Hyperliquid) and the long/short
account ratio. The fakes only format these numbers; tests compare what ccxt and QuantPro make of the
answers with the same functions.

Everything moves on a 5-minute grid (``GRID_S``): a value asked at ``t`` is the value at
``⌊t/300⌋·300``, so a snapshot taken a few seconds after a 15-minute boundary reads exactly the
boundary's value, and OKX's 5-minute history has three distinct points per 15-minute bucket.

Where the Coinalyze simulator lists the same market (Binance, Bybit, OKX, Hyperliquid), the open
interest is the simulator's own series for that symbol (:mod:`quantpro.simulator.market_data`), so a
history spliced from Coinalyze onto venue snapshots agrees at the seam, as the real services would.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from quantpro.simulator.catalogue import MarketSpec, build_catalogue
from quantpro.simulator.market_data import MarketModel, market_model

__all__ = [
    "ALL",
    "BOUNDARY_S",
    "CATALOGUE_CODES",
    "GRID_S",
    "FakeMarket",
    "VenueWorld",
    "candle_at",
]

#: The seven venues, by the names QuantPro's files use.
ALL: tuple[str, ...] = ("BINANCE", "BYBIT", "OKX", "BITGET", "MEXC", "KUCOIN", "HYPERLIQUID")
#: Coinalyze exchange codes of the venues the Coinalyze simulator also lists.
CATALOGUE_CODES: dict[str, str] = {"BINANCE": "A", "BYBIT": "6", "OKX": "3", "HYPERLIQUID": "H"}
GRID_S = 300
BOUNDARY_S = 900


def candle_at(venue_id: str, t_ms: int) -> tuple[float, float, float, float, float]:
    """Deterministic OHLCV for any market and open time: a wave plus a per-market offset.

    Unchanged from the download fakes' first version, so download tests keep their meaning.
    """
    seed = zlib.crc32(venue_id.encode()) % 1000
    base = 10.0 + seed
    step = t_ms // 900_000
    mid = base * (1 + 0.05 * math.sin(step / 37.0) + 0.02 * math.sin(step / 5.0))
    nxt = base * (1 + 0.05 * math.sin((step + 1) / 37.0) + 0.02 * math.sin((step + 1) / 5.0))
    high, low = max(mid, nxt) * 1.003, min(mid, nxt) * 0.997
    return round(mid, 6), round(high, 6), round(low, 6), round(nxt, 6), 100.0 + (step % 17)


def grid(t: float) -> int:
    """The 5-minute grid point a value asked at ``t`` comes from."""
    return math.floor(t / GRID_S) * GRID_S


@dataclass(frozen=True)
class FakeMarket:
    """A market as a fake lists it.

    ``coin`` is what the local name must normalise to and ``expected_local`` the local SYMBOL a
    download writes ("" for a market QuantPro must skip: dated, coin-margined, closed). ``extra`` holds
    raw fields merged into the venue's markets answer (to build the skipped kinds). ``base`` is the
    venue's base asset when it differs from what the id implies (``XBT``, ``1000PEPE``, ``kPEPE``).
    """

    venue_id: str
    coin: str
    expected_local: str = ""
    base_price: float = 100.0
    volume: float = 1_000_000.0  # 24 h quote volume
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Base units per contract (OKX ctVal, MEXC contractSize, KuCoin multiplier); 1.0 where OI is base.
    contract_size: float = 1.0
    #: Later contract sizes: ``((from_s, size), …)`` in time order (a venue re-sizing its contract).
    size_changes: tuple[tuple[float, float], ...] = ()
    funding_interval_h: float = 8.0
    listed_from_s: float | None = None
    delisted_from_s: float | None = None
    base: str | None = None
    quote: str = "USDT"
    #: Scales the open interest (1.0: the series' own level).
    oi_scale: float = 1.0

    def contract_size_at(self, t: float) -> float:
        size = self.contract_size
        for since, new in self.size_changes:
            if t >= since:
                size = new
        return size

    def is_listed(self, t: float) -> bool:
        if self.listed_from_s is not None and t < self.listed_from_s:
            return False
        return self.delisted_from_s is None or t < self.delisted_from_s

    @property
    def base_asset(self) -> str:
        return self.base or self.coin


class VenueWorld:
    """Each venue's markets and the truth every fake answers from (see the module docstring)."""

    def __init__(self, markets: Mapping[str, Iterable[FakeMarket]]) -> None:
        unknown = set(markets) - set(ALL)
        if unknown:
            raise ValueError(f"unknown venues {sorted(unknown)}; the world knows {', '.join(ALL)}")
        self._markets: dict[str, list[FakeMarket]] = {v: list(ms) for v, ms in markets.items()}
        self._index = {(v, m.venue_id): m for v, ms in self._markets.items() for m in ms}

    @classmethod
    def default(cls, start_s: float | None = None) -> VenueWorld:
        """The small world tests use (a few markets per venue, the unit traps, one of each event)."""
        from quantpro.simulator.venues.worlds import default_world

        return default_world(start_s)

    @classmethod
    def benchmark(
        cls, start_s: float | None = None, *, include: Mapping[str, Iterable[str]] | None = None
    ) -> VenueWorld:
        """Realistic perpetual counts (Binance 600, Bybit 550, OKX 280, Bitget 550, MEXC 800, KuCoin 480,
        Hyperliquid 220); ``include`` names local SYMBOLs per venue that must be among them."""
        from quantpro.simulator.venues.worlds import benchmark_world

        return benchmark_world(start_s, include=include)

    # -- markets ------------------------------------------------------------------------------------
    @property
    def venues(self) -> tuple[str, ...]:
        return tuple(v for v in ALL if v in self._markets)

    def markets(self, venue: str) -> list[FakeMarket]:
        """Every market of ``venue``, listed or not."""
        return list(self._markets.get(venue, ()))

    def listed(self, venue: str, t: float) -> list[FakeMarket]:
        """The markets of ``venue`` listed at ``t``."""
        return [m for m in self._markets.get(venue, ()) if m.is_listed(t)]

    def market(self, venue: str, venue_id: str) -> FakeMarket | None:
        return self._index.get((venue, venue_id))

    def perpetuals(self, venue: str, t: float) -> list[FakeMarket]:
        """The USDT/USDC linear perpetuals QuantPro should see at ``t`` (listed, not a skipped kind)."""
        return [m for m in self.listed(venue, t) if m.expected_local]

    def _get(self, venue: str, venue_id: str) -> FakeMarket:
        found = self._index.get((venue, venue_id))
        if found is None:
            raise KeyError(f"{venue} has no market {venue_id!r} in this world")
        return found

    # -- the truth ----------------------------------------------------------------------------------
    def contract_size(self, venue: str, venue_id: str, t: float) -> float:
        """Base units per raw unit of open interest at ``t`` (1.0 where the venue gives base)."""
        return self._get(venue, venue_id).contract_size_at(t)

    def oi_base(self, venue: str, venue_id: str, t: float) -> float:
        """Open interest in the venue's base units at ``t`` (exact at a 15-minute boundary)."""
        m = self._get(venue, venue_id)
        return _model(venue, m).open_interest(float(grid(t))) * m.oi_scale

    def oi_raw(self, venue: str, venue_id: str, t: float) -> float:
        """Open interest in the venue's own unit (contracts, lots, coins or base) at ``t``."""
        return self.oi_base(venue, venue_id, t) / self.contract_size(venue, venue_id, t)

    def price(self, venue: str, venue_id: str, t: float) -> float:
        """Mark price, quote per base unit: the market's level moved as its coin moves."""
        m = self._get(venue, venue_id)
        coin = _model(venue, m).coin
        return m.base_price * coin.price(float(grid(t))) / coin.price0

    def funding(self, venue: str, venue_id: str, t: float) -> tuple[float, float]:
        """(fraction per interval, interval in hours): 0.0001 is 0.01 % per 8 hours."""
        m = self._get(venue, venue_id)
        percent_8h = _model(venue, m).funding(float(grid(t)))
        return percent_8h / 100.0 * m.funding_interval_h / 8.0, m.funding_interval_h

    def long_share(self, venue: str, venue_id: str, t: float) -> float:
        """Share of accounts long, to four decimals (0.5123)."""
        m = self._get(venue, venue_id)
        percent = _model(venue, m).long_percent(float(grid(t)))
        return round(min(max(percent, 5.0), 95.0) / 100.0, 4)

    def ls_ratio(self, venue: str, venue_id: str, t: float) -> float:
        """Long/short account ratio (long share ÷ short share)."""
        share = self.long_share(venue, venue_id, t)
        return share / (1.0 - share)

    def quote_volume(self, venue: str, venue_id: str, t: float) -> float:
        """24-hour volume in the quote currency."""
        return self._get(venue, venue_id).volume

    def boundaries(self, start_s: float, end_s: float) -> list[int]:
        """15-minute boundaries ``T`` with ``start_s ≤ T ≤ end_s``."""
        first = math.ceil(start_s / BOUNDARY_S) * BOUNDARY_S
        return list(range(first, math.floor(end_s / BOUNDARY_S) * BOUNDARY_S + 1, BOUNDARY_S))

    def __repr__(self) -> str:
        counts = ", ".join(f"{v} {len(self._markets[v])}" for v in self.venues)
        return f"VenueWorld({counts})"


# -- the series behind each market ----------------------------------------------------------------------


class _CatalogueIndex:
    """The Coinalyze simulator's future markets by (exchange code, symbol on exchange)."""

    @cached_property
    def specs(self) -> dict[tuple[str, str], MarketSpec]:
        catalogue = build_catalogue()
        out: dict[tuple[str, str], MarketSpec] = {}
        for row in catalogue.future_markets:
            spec = catalogue.markets[str(row["symbol"])]
            if row["expire_at"] is None and spec.denominated_in == "BASE_ASSET":
                out[(spec.exchange, str(row["symbol_on_exchange"]))] = spec
        return out


_CATALOGUE = _CatalogueIndex()


def catalogue_spec(venue: str, venue_id: str) -> MarketSpec | None:
    """The Coinalyze simulator's market for this venue market, when it lists one."""
    code = CATALOGUE_CODES.get(venue)
    return None if code is None else _CATALOGUE.specs.get((code, venue_id))


@lru_cache(maxsize=16384)
def _model_of(venue: str, venue_id: str, coin: str, base: str, quote: str) -> MarketModel:
    spec = catalogue_spec(venue, venue_id)
    if spec is None or spec.coin != coin:
        spec = MarketSpec(f"{venue_id}@{venue}", venue, coin, base, quote, "future")
    return market_model(spec)


def _model(venue: str, m: FakeMarket) -> MarketModel:
    return _model_of(venue, m.venue_id, m.coin, m.base_asset, m.quote)
