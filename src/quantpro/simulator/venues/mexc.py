"""MEXC contract (futures) API: contract details (``contractSize``), the swap tickers (which carry
``fundingRate`` and ``holdVol``, open interest in contracts), klines; ccxt's ``mexc`` also loads the spot
list with the markets (docs/design.md §11)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quantpro.simulator.clock import SimClock
from quantpro.simulator.venues.base import Answer, FakeVenue, Request
from quantpro.simulator.venues.world import FakeMarket, VenueWorld

__all__ = ["FakeMEXC"]

MEXC_INTERVALS = {"Min15": 900_000, "Min60": 3_600_000, "Hour4": 14_400_000, "Day1": 86_400_000}
#: ``/api/v1/contract/kline/{symbol}`` answers at most 2,000 candles per request.
MEXC_KLINE_MAX = 2000
MEXC_KLINE_PREFIX = "/api/v1/contract/kline/"


class FakeMEXC(FakeVenue):
    """MEXC's contract API. Candles are asked by ``start``/``end`` in *seconds* (no ``limit``); without
    ``end`` the venue answers up to now, the forming candle included. A range wider than 2,000 candles
    is cut to its latest 2,000 (the documentation does not say which end is kept; the fake keeps the
    one that would leave a client paging by ``start`` alone with a gap).
    """

    name = "MEXC"

    def __init__(
        self, clock: SimClock, world: VenueWorld | Sequence[FakeMarket], spot: Sequence[str] | None = None
    ) -> None:
        super().__init__(clock, world)
        self.spot = list(spot) if spot is not None else ["BTCUSDT", "ETHUSDT"]

    def is_ohlcv(self, request: Request) -> bool:
        return request.path.startswith(MEXC_KLINE_PREFIX)

    def route(self, request: Request) -> Answer:
        if request.path == "/api/v3/exchangeInfo":
            symbols = [self._spot_symbol(s) for s in self.spot]
            return 200, {}, {"timezone": "CST", "serverTime": self.now_ms(), "symbols": symbols}
        if request.path == "/api/v1/contract/detail":
            return self._ok([self._contract(m) for m in self.listed()])
        if request.path == "/api/v1/contract/ticker":
            return self._ok([self._ticker(m) for m in self.listed()])
        if self.is_ohlcv(request):
            return self._kline(request)
        return 404, {}, {"success": False, "code": 404, "message": "Not Found"}

    def _ok(self, data: Any) -> Answer:
        return 200, {}, {"success": True, "code": 0, "data": data}

    @staticmethod
    def _spot_symbol(symbol: str) -> dict[str, Any]:
        return {
            "symbol": symbol,
            "status": "1",
            "baseAsset": symbol.removesuffix("USDT"),
            "quoteAsset": "USDT",
            "baseAssetPrecision": 6,
            "quoteAssetPrecision": 2,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "makerCommission": "0",
            "takerCommission": "0.0005",
            "baseSizePrecision": "0.000001",
            "quoteAmountPrecision": "1",
            "maxQuoteAmount": "2000000",
        }

    def _contract(self, m: FakeMarket) -> dict[str, Any]:
        base, quote = m.venue_id.split("_")
        row: dict[str, Any] = {
            "symbol": m.venue_id,
            "displayName": f"{m.venue_id} PERPETUAL",
            "displayNameEn": f"{m.venue_id} SWAP",
            "positionOpenType": 3,
            "baseCoin": base,
            "quoteCoin": quote,
            "settleCoin": quote,
            "contractSize": m.contract_size_at(self.now()),
            "minLeverage": 1,
            "maxLeverage": 125,
            "priceScale": 1,
            "volScale": 0,
            "amountScale": 4,
            "priceUnit": 0.1,
            "volUnit": 1,
            "minVol": 1,
            "maxVol": 1000000,
            "takerFeeRate": 0.0002,
            "makerFeeRate": 0,
            "state": 0,
            "isNew": False,
            "isHot": True,
            "isHidden": False,
            "openingTime": int(m.listed_from_s or 0),
        }
        row.update(m.extra)
        return row

    def _ticker(self, m: FakeMarket) -> dict[str, Any]:
        t, w, vid = self.now(), self.world, m.venue_id
        price = w.price(self.name, vid, t)
        size = m.contract_size_at(t)
        return {
            "symbol": vid,
            "lastPrice": price,
            "bid1": price,
            "ask1": price,
            "volume24": m.volume / price / size,  # contracts
            "amount24": m.volume,  # settle currency
            "holdVol": w.oi_raw(self.name, vid, t),  # contracts
            "lower24Price": price,
            "high24Price": price,
            "riseFallRate": 0,
            "riseFallValue": 0,
            "indexPrice": price,
            "fairPrice": price,
            "fundingRate": w.funding(self.name, vid, t)[0],
            "timestamp": self.now_ms(),
        }

    def _kline(self, request: Request) -> Answer:
        p = request.params
        tf_ms = MEXC_INTERVALS[p["interval"]]
        symbol = request.path.removeprefix(MEXC_KLINE_PREFIX)
        end = int(p["end"]) * 1000 if "end" in p else self.now_ms()
        start = int(p["start"]) * 1000 if "start" in p else end - MEXC_KLINE_MAX * tf_ms
        rows = self.window(symbol, tf_ms, start, end, 100_000)[-MEXC_KLINE_MAX:]
        data = {
            "time": [r[0] // 1000 for r in rows],
            "open": [r[1] for r in rows],
            "close": [r[4] for r in rows],
            "high": [r[2] for r in rows],
            "low": [r[3] for r in rows],
            "vol": [r[5] for r in rows],
            "amount": [r[5] * r[4] for r in rows],
            "realOpen": [r[1] for r in rows],
            "realClose": [r[4] for r in rows],
            "realHigh": [r[2] for r in rows],
            "realLow": [r[3] for r in rows],
        }
        return self._ok(data)
