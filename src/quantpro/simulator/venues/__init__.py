"""Loopback fakes of the seven venues' public APIs, answering what ccxt 4.5.90 reads (docs/design.md §11).

Markets, OHLCV and tickers (for ``download``); bulk funding and open interest, open-interest history and
the long/short ratio (for the exchange derivatives source), all from one deterministic
:class:`VenueWorld`. Like the Coinalyze simulator, the package imports nothing else from QuantPro, so a
wrong assumption in the client cannot be mirrored into its fake.

    with start_venue_fakes(clock, world=VenueWorld.default()) as fakes:
        settings = load_settings(exchange_urls=fakes.urls)
        fakes["OKX"].fail("/api/v5/public/open-interest", 429, retry_after="2")
"""

from __future__ import annotations

from quantpro.simulator.venues.base import Answer, FakeVenue, Fault, Request
from quantpro.simulator.venues.binance import FakeBinance
from quantpro.simulator.venues.bitget import FakeBitget
from quantpro.simulator.venues.bybit import FakeBybit
from quantpro.simulator.venues.hyperliquid import FakeHyperliquid
from quantpro.simulator.venues.kucoin import FakeKuCoin
from quantpro.simulator.venues.mexc import FakeMEXC
from quantpro.simulator.venues.okx import FakeOKX
from quantpro.simulator.venues.running import FAKES, RunningFakes, start_venue_fakes
from quantpro.simulator.venues.world import ALL, BOUNDARY_S, GRID_S, FakeMarket, VenueWorld, candle_at
from quantpro.simulator.venues.worlds import BENCHMARK_COUNTS, DEFAULT_START_S, perp, world_for

__all__ = [
    "ALL",
    "BENCHMARK_COUNTS",
    "BOUNDARY_S",
    "DEFAULT_START_S",
    "FAKES",
    "GRID_S",
    "Answer",
    "FakeBinance",
    "FakeBitget",
    "FakeBybit",
    "FakeHyperliquid",
    "FakeKuCoin",
    "FakeMEXC",
    "FakeMarket",
    "FakeOKX",
    "FakeVenue",
    "Fault",
    "Request",
    "RunningFakes",
    "VenueWorld",
    "candle_at",
    "perp",
    "start_venue_fakes",
    "world_for",
]
