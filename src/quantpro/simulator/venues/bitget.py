"""Bitget v2 mix (futures): contracts per product type (``fundInterval``), tickers per product type
(which carry ``fundingRate`` and ``holdingAmount``, open interest in base units), candles, and the
account long/short ratio (docs/design.md §11)."""

from __future__ import annotations

from typing import Any

from quantpro.simulator.venues.base import Answer, FakeVenue, Request
from quantpro.simulator.venues.world import FakeMarket

__all__ = ["FakeBitget"]

BITGET_GRANULARITY = {"15m": 900_000, "1H": 3_600_000, "4H": 14_400_000, "1Dutc": 86_400_000}
#: ``/api/v2/mix/market/candles`` serves at most 1,000 candles, ``history-candles`` 200.
BITGET_CANDLES_MAX = {"/api/v2/mix/market/candles": 1000, "/api/v2/mix/market/history-candles": 200}
#: And never a window wider than 90 days between ``startTime`` and ``endTime``.
BITGET_MAX_SPAN_MS = 90 * 86_400_000
RATIO_PERIODS = {"5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14_400, "1d": 86_400}
RATIO_POINTS = 30


class FakeBitget(FakeVenue):
    """Bitget's mix API. Candles are aligned from ``endTime``: the venue answers the *last* ``limit``
    candles opening at or before ``endTime`` (``startTime`` only bounds them from below), the forming
    one included; ccxt fills ``endTime`` itself when not given ``until``.
    """

    name = "BITGET"

    def is_ohlcv(self, request: Request) -> bool:
        return request.path in BITGET_CANDLES_MAX

    def route(self, request: Request) -> Answer:
        path = request.path
        if path == "/api/v2/mix/market/contracts":
            product = request.params["productType"]
            return self._ok([self._contract(m) for m in self.listed() if self._product(m) == product])
        if path == "/api/v2/mix/market/tickers":
            product = request.params["productType"]
            return self._ok([self._ticker(m) for m in self.listed() if self._product(m) == product])
        if self.is_ohlcv(request):
            return self._candles(request)
        if path == "/api/v2/mix/market/account-long-short":
            return self._account_long_short(request)
        return 404, {}, {"code": "40404", "msg": "Request URL NOT FOUND", "data": None}

    def _ok(self, data: Any) -> Answer:
        return 200, {}, {"code": "00000", "msg": "success", "requestTime": self.now_ms(), "data": data}

    @staticmethod
    def _product(m: FakeMarket) -> str:
        default = "USDC-FUTURES" if m.quote == "USDC" else "USDT-FUTURES"
        return str(m.extra.get("productType", default))

    def _contract(self, m: FakeMarket) -> dict[str, Any]:
        quote = str(m.extra.get("quoteCoin", m.quote))
        row: dict[str, Any] = {
            "symbol": m.venue_id,
            "baseCoin": m.base_asset,
            "quoteCoin": quote,
            "buyLimitPriceRatio": "0.01",
            "sellLimitPriceRatio": "0.01",
            "feeRateUpRatio": "0.005",
            "makerFeeRate": "0.0002",
            "takerFeeRate": "0.0006",
            "openCostUpRatio": "0.01",
            "supportMarginCoins": [quote],
            "minTradeNum": "0.001",
            "priceEndStep": "1",
            "volumePlace": "3",
            "pricePlace": "1",
            "sizeMultiplier": "0.001",
            "symbolType": "perpetual",
            "minTradeUSDT": "5",
            "maxSymbolOrderNum": "200",
            "maxProductOrderNum": "400",
            "maxPositionNum": "150",
            "symbolStatus": "normal",
            "offTime": "-1",
            "limitOpenTime": "-1",
            "deliveryTime": "",
            "deliveryStartTime": "",
            "deliveryPeriod": "",
            "launchTime": str(int((m.listed_from_s or 1_600_000_000) * 1000)),
            "fundInterval": str(int(m.funding_interval_h)),
            "minLever": "1",
            "maxLever": "125",
            "posLimit": "0.05",
            "maintainTime": "",
        }
        row.update({k: v for k, v in m.extra.items() if k != "productType"})
        return row

    def _ticker(self, m: FakeMarket) -> dict[str, Any]:
        t, w, vid = self.now(), self.world, m.venue_id
        price = w.price(self.name, vid, t)
        perpetual = m.extra.get("symbolType", "perpetual") == "perpetual"
        rate = w.funding(self.name, vid, t)[0] if perpetual else 0.0
        return {
            "symbol": vid,
            "lastPr": repr(price),
            "askPr": repr(price),
            "bidPr": repr(price),
            "high24h": repr(price),
            "low24h": repr(price),
            "ts": str(self.now_ms()),
            "change24h": "0",
            "baseVolume": repr(m.volume / price),
            "quoteVolume": repr(m.volume),
            "usdtVolume": repr(m.volume),
            "openUtc": repr(price),
            "changeUtc24h": "0",
            "indexPrice": repr(price),
            "fundingRate": repr(rate),
            "holdingAmount": repr(w.oi_base(self.name, vid, t)),
            "open24h": repr(price),
            "markPrice": repr(price),
        }

    def _candles(self, request: Request) -> Answer:
        p = request.params
        tf_ms = BITGET_GRANULARITY[p["granularity"]]
        limit = int(p.get("limit", 100))
        if limit > BITGET_CANDLES_MAX[request.path]:
            return 400, {}, {"code": "40034", "msg": "Parameter limit is invalid", "data": None}
        end = int(p.get("endTime", self.now_ms()))
        start = int(p.get("startTime", end - limit * tf_ms))
        if end - start > BITGET_MAX_SPAN_MS:
            return (
                400,
                {},
                {"code": "00001", "msg": "startTime and endTime interval is too long", "data": None},
            )
        rows = self.window(p["symbol"], tf_ms, start, end, 100_000)[-limit:]
        return self._ok([[str(r[0]), *(str(v) for v in r[1:6]), str(r[5] * r[4])] for r in rows])

    def _account_long_short(self, request: Request) -> Answer:
        """The last 30 periods, oldest first (the venue serves no window parameters here)."""
        p = request.params
        m = self.market(str(p.get("symbol")))
        step = RATIO_PERIODS.get(str(p.get("period", "5m")))
        if m is None or step is None:
            return 400, {}, {"code": "40034", "msg": "Parameter symbol or period is invalid", "data": None}
        newest = int(self.now() // step * step)
        rows = []
        for t in range(newest - (RATIO_POINTS - 1) * step, newest + 1, step):
            if m.listed_from_s is not None and t < m.listed_from_s:
                continue
            share = self.world.long_share(self.name, m.venue_id, t)
            rows.append(
                {
                    "longAccountRatio": repr(share),
                    "shortAccountRatio": repr(round(1 - share, 4)),
                    "longShortAccountRatio": repr(self.world.ls_ratio(self.name, m.venue_id, t)),
                    "ts": str(t * 1000),
                }
            )
        return self._ok(rows)
