"""Binance USDⓈ-M futures (ccxt ``binanceusdm``: the ``fapi`` host): exchangeInfo, 24 h tickers,
klines, ``premiumIndex`` (funding and mark price of every perpetual in one call), ``fundingInfo`` (the
markets whose funding interval is not 8 h), ``openInterest`` per symbol (base units), and the
``/futures/data`` statistics: open-interest history (≤ 500 points, 30 days) and the global long/short
account ratio (docs/design.md §11)."""

from __future__ import annotations

from typing import Any

from quantpro.simulator.venues.base import Answer, FakeVenue, Request
from quantpro.simulator.venues.world import FakeMarket

__all__ = ["FakeBinance"]

BINANCE_INTERVALS = {"15m": 900_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}
#: ``/fapi/v1/klines`` serves at most 1,500 candles (ccxt asks at most 1,000).
BINANCE_KLINE_MAX = 1500
STAT_PERIODS = {"5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14_400, "1d": 86_400}
STAT_LIMIT_MAX = 500
STAT_RETENTION_S = 30 * 86_400


class FakeBinance(FakeVenue):
    name = "BINANCE"

    def is_ohlcv(self, request: Request) -> bool:
        return request.path == "/fapi/v1/klines"

    def route(self, request: Request) -> Answer:
        path = request.path
        if path == "/fapi/v1/exchangeInfo":
            symbols = [self._symbol(m) for m in self.listed()]
            return 200, {}, {"timezone": "UTC", "serverTime": self.now_ms(), "symbols": symbols}
        if path == "/fapi/v1/ticker/24hr":
            return 200, {}, [self._ticker(m) for m in self.listed()]
        if path == "/fapi/v1/klines":
            return self._klines(request)
        if path == "/fapi/v1/premiumIndex":
            return self._premium_index(request)
        if path == "/fapi/v1/fundingInfo":
            return 200, {}, [self._funding_info(m) for m in self.listed() if m.funding_interval_h != 8]
        if path == "/fapi/v1/openInterest":
            return self._open_interest(request)
        if path == "/futures/data/openInterestHist":
            return self._stat(request, self._oi_row)
        if path == "/futures/data/globalLongShortAccountRatio":
            return self._stat(request, self._ratio_row)
        return 404, {}, {"code": -5000, "msg": "Path not found"}

    @staticmethod
    def _invalid_symbol() -> Answer:
        return 400, {}, {"code": -1121, "msg": "Invalid symbol."}

    def _base_quote(self, m: FakeMarket) -> tuple[str, str]:
        quote = "USDC" if m.venue_id.endswith("USDC") else m.quote
        return m.base_asset, quote

    def _symbol(self, m: FakeMarket) -> dict[str, Any]:
        base, quote = self._base_quote(m)
        row: dict[str, Any] = {
            "symbol": m.venue_id,
            "pair": f"{base}{quote}",
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "onboardDate": int((m.listed_from_s or 1_569_398_400) * 1000),
            "status": "TRADING",
            "baseAsset": base,
            "quoteAsset": quote,
            "marginAsset": quote,
            "pricePrecision": 2,
            "quantityPrecision": 3,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": "0.10", "maxPrice": "4529764", "tickSize": "0.10"},
                {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
                {"filterType": "MIN_NOTIONAL", "notional": "100"},
            ],
        }
        row.update(m.extra)
        return row

    def _ticker(self, m: FakeMarket) -> dict[str, Any]:
        price = self.world.price(self.name, m.venue_id, self.now())
        return {
            "symbol": m.venue_id,
            "priceChange": "0",
            "priceChangePercent": "0",
            "weightedAvgPrice": repr(price),
            "lastPrice": repr(price),
            "lastQty": "1",
            "openPrice": repr(price),
            "highPrice": repr(price),
            "lowPrice": repr(price),
            "volume": repr(m.volume / price),
            "quoteVolume": repr(m.volume),
            "openTime": self.now_ms() - 86_400_000,
            "closeTime": self.now_ms(),
            "count": 1000,
        }

    def _klines(self, request: Request) -> Answer:
        p = request.params
        limit = int(p.get("limit", 500))
        if limit > BINANCE_KLINE_MAX:
            return 400, {}, {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."}
        tf_ms = BINANCE_INTERVALS[p["interval"]]
        start = int(p.get("startTime", 0))
        end = int(p.get("endTime", self.now_ms()))
        rows = self.window(p["symbol"], tf_ms, start, end, limit)  # the first ``limit`` from startTime
        data = [
            [r[0], *(str(v) for v in r[1:6]), r[0] + tf_ms - 1, str(r[5] * r[4]), 10, "0", "0", "0"]
            for r in rows
        ]
        return 200, {}, data

    def _premium_index(self, request: Request) -> Answer:
        wanted = request.params.get("symbol")
        if wanted is None:
            return 200, {}, [self._premium_row(m) for m in self.listed()]
        m = self.market(str(wanted))
        return self._premium_row(m) if m is not None else self._invalid_symbol()

    def _premium_row(self, m: FakeMarket) -> Any:
        t, vid = self.now(), m.venue_id
        price = self.world.price(self.name, vid, t)
        perpetual = m.extra.get("contractType", "PERPETUAL") == "PERPETUAL"
        rate, interval = self.world.funding(self.name, vid, t) if perpetual else (None, 8.0)
        step = int(interval * 3600)
        return {
            "symbol": vid,
            "markPrice": repr(price),
            "indexPrice": repr(price),
            "estimatedSettlePrice": repr(price),
            "lastFundingRate": repr(rate) if rate is not None else "",
            "interestRate": "0.00010000" if perpetual else "",
            "nextFundingTime": (int(t) // step + 1) * step * 1000 if perpetual else 0,
            "time": self.now_ms(),
        }

    def _funding_info(self, m: FakeMarket) -> dict[str, Any]:
        return {
            "symbol": m.venue_id,
            "adjustedFundingRateCap": "0.02000000",
            "adjustedFundingRateFloor": "-0.02000000",
            "fundingIntervalHours": int(m.funding_interval_h),
            "disclaimer": False,
        }

    def _open_interest(self, request: Request) -> Answer:
        m = self.market(str(request.params.get("symbol")))
        if m is None:
            return self._invalid_symbol()
        oi = self.world.oi_base(self.name, m.venue_id, self.now())
        return 200, {}, {"symbol": m.venue_id, "openInterest": repr(oi), "time": self.now_ms()}

    def _oi_row(self, m: FakeMarket, t: int) -> dict[str, Any]:
        w = self.world
        oi = w.oi_base(self.name, m.venue_id, t)
        return {
            "symbol": m.venue_id,
            "sumOpenInterest": repr(oi),
            "sumOpenInterestValue": repr(oi * w.price(self.name, m.venue_id, t)),
            "timestamp": t * 1000,
        }

    def _ratio_row(self, m: FakeMarket, t: int) -> dict[str, Any]:
        share = self.world.long_share(self.name, m.venue_id, t)
        return {
            "symbol": m.venue_id,
            "longShortRatio": repr(self.world.ls_ratio(self.name, m.venue_id, t)),
            "longAccount": repr(share),
            "shortAccount": repr(round(1 - share, 4)),
            "timestamp": t * 1000,
        }

    def _stat(self, request: Request, row: Any) -> Answer:
        """``/futures/data``: oldest first, the latest ``limit`` (default 30, ≤ 500) of [startTime,
        endTime], never older than 30 days."""
        p = request.params
        m = self.market(str(p.get("symbol")))
        if m is None:
            return self._invalid_symbol()
        step = STAT_PERIODS.get(str(p.get("period")))
        limit = int(p.get("limit", 30))
        if step is None or not 1 <= limit <= STAT_LIMIT_MAX:
            return (
                400,
                {},
                {"code": -1130, "msg": "Data sent for parameter 'limit' or 'period' is not valid."},
            )
        now = self.now()
        end = min(int(p["endTime"]) / 1000 if "endTime" in p else now, now)
        start = int(p["startTime"]) / 1000 if "startTime" in p else float("-inf")
        first = max(start, now - STAT_RETENTION_S, m.listed_from_s or float("-inf"))
        times: list[int] = []
        t = int(end // step * step)
        while t >= first and len(times) < limit:
            times.append(t)
            t -= step
        return 200, {}, [row(m, t) for t in reversed(times)]
