"""KuCoin Futures: ``contracts/active`` (the contract list, which carries open interest in lots, the
``multiplier`` that makes them base units, funding and its granularity), klines, and the unified
account's open-interest history (``/api/ua/v1/market/open-interest``, ≤ 200 points) (docs/design.md §11)."""

from __future__ import annotations

from typing import Any

from quantpro.simulator.venues.base import Answer, FakeVenue, Request
from quantpro.simulator.venues.world import FakeMarket

__all__ = ["FakeKuCoin"]

KUCOIN_GRANULARITY = {"15": 900_000, "60": 3_600_000, "240": 14_400_000, "1440": 86_400_000}
KUCOIN_OI_INTERVALS = {
    "5min": 300, "15min": 900, "30min": 1800, "1hour": 3600, "4hour": 14_400, "1day": 86_400,
}  # fmt: skip
OI_HISTORY_MAX = 200
OI_HISTORY_PATHS = {"/api/ua/v1/market/open-interest", "/api/v1/market/open-interest"}


class FakeKuCoin(FakeVenue):
    name = "KUCOIN"

    def is_ohlcv(self, request: Request) -> bool:
        return request.path == "/api/v1/kline/query"

    def route(self, request: Request) -> Answer:
        path = request.path
        if path == "/api/v1/contracts/active":
            return self._ok([self._contract(m) for m in self.listed()])
        if path == "/api/v1/kline/query":
            p = request.params
            tf_ms = KUCOIN_GRANULARITY[p["granularity"]]
            rows = self.window(p["symbol"], tf_ms, int(p["from"]), int(p["to"]), 200)
            return self._ok([list(r) for r in rows])
        if path in OI_HISTORY_PATHS:
            return self._oi_history(request)
        return 404, {}, {"code": "404000", "msg": "Not Found"}

    def _ok(self, data: Any) -> Answer:
        return 200, {}, {"code": "200000", "data": data}

    def _error(self, message: str) -> Answer:
        return 400, {}, {"code": "400100", "msg": message}

    def _contract(self, m: FakeMarket) -> dict[str, Any]:
        t, w, vid = self.now(), self.world, m.venue_id
        price = w.price(self.name, vid, t)
        rate, interval = w.funding(self.name, vid, t)
        granularity = int(interval * 3_600_000)
        row: dict[str, Any] = {
            "symbol": vid,
            "rootSymbol": m.quote,
            "type": "FFWCSX",
            "firstOpenDate": int((m.listed_from_s or 1_600_000_000) * 1000),
            "baseCurrency": m.base_asset,
            "quoteCurrency": m.quote,
            "settleCurrency": m.quote,
            "isInverse": False,
            "status": "Open",
            "multiplier": m.contract_size_at(t),
            "lotSize": 1,
            "tickSize": 0.1,
            "maxLeverage": 100,
            "fundingRateGranularity": granularity,
            "nextFundingRateTime": granularity - int(t * 1000) % granularity,
            "fundingFeeRate": rate,
            "predictedFundingFeeRate": rate,
            "openInterest": repr(w.oi_raw(self.name, vid, t)),
            "markPrice": price,
            "indexPrice": price,
            "price": repr(price),
            "lastTradePrice": price,
            "volumeOf24h": m.volume / price,
            "turnoverOf24h": m.volume,
        }
        row.update(m.extra)
        return row

    def _oi_history(self, request: Request) -> Answer:
        """Newest first within [startAt, endAt], at most ``pageSize`` (default 30, ≤ 200), in lots."""
        p = request.params
        m = self.market(str(p.get("symbol")))
        step = KUCOIN_OI_INTERVALS.get(str(p.get("interval")))
        if m is None or step is None:
            return self._error("symbol or interval invalid")
        size = int(p.get("pageSize", 30))
        if not 1 <= size <= OI_HISTORY_MAX:
            return self._error("pageSize invalid")
        end = min(int(p.get("endAt", self.now_ms())) / 1000, self.now())
        start = int(p["startAt"]) / 1000 if "startAt" in p else float("-inf")
        first = max(start, m.listed_from_s or float("-inf"))
        rows: list[dict[str, Any]] = []
        t = int(end // step * step)
        while t >= first and len(rows) < size:
            raw = self.world.oi_base(self.name, m.venue_id, t) / m.contract_size_at(t)
            rows.append({"symbol": m.venue_id, "openInterest": repr(raw), "ts": t * 1000})
            t -= step
        return self._ok(rows)
