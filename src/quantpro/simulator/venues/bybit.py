"""Bybit v5 (``category=linear``): instruments, tickers (which carry funding and open interest in base
units), klines, open-interest history and the account long/short ratio (docs/design.md §11)."""

from __future__ import annotations

from typing import Any

from quantpro.simulator.venues.base import Answer, FakeVenue, Request
from quantpro.simulator.venues.world import FakeMarket

__all__ = ["FakeBybit"]

BYBIT_INTERVALS = {"15": 900_000, "60": 3_600_000, "240": 14_400_000, "D": 86_400_000}
#: ``intervalTime`` of ``/v5/market/open-interest`` and ``period`` of ``/v5/market/account-ratio``.
BYBIT_STAT_PERIODS = {
    "5min": 300, "15min": 900, "30min": 1800, "1h": 3600, "4h": 14_400, "1d": 86_400,
}  # fmt: skip
OI_HISTORY_MAX = 200
ACCOUNT_RATIO_MAX = 500


class FakeBybit(FakeVenue):
    name = "BYBIT"

    def is_ohlcv(self, request: Request) -> bool:
        return request.path == "/v5/market/kline"

    def route(self, request: Request) -> Answer:
        path = request.path
        if path == "/v5/market/instruments-info":
            return self._instruments(request)
        if path == "/v5/market/tickers":
            wanted = request.params.get("symbol")
            rows = [self._ticker(m) for m in self.listed() if wanted in (None, m.venue_id)]
            return self._ok({"category": "linear", "list": rows})
        if path == "/v5/market/kline":
            return self._kline(request)
        if path == "/v5/market/open-interest":
            return self._open_interest(request)
        if path == "/v5/market/account-ratio":
            return self._account_ratio(request)
        return 404, {}, {"retCode": 10001, "retMsg": "not found"}

    def _ok(self, result: Any) -> Answer:
        return 200, {}, {"retCode": 0, "retMsg": "OK", "result": result, "time": self.now_ms()}

    def _error(self, message: str) -> Answer:
        return 200, {}, {"retCode": 10001, "retMsg": message, "result": {}, "time": self.now_ms()}

    def _instruments(self, request: Request) -> Answer:
        if request.params.get("status") == "PreLaunch":
            return self._ok({"category": "linear", "list": []})
        rows = []
        for m in self.listed():
            row = {
                "symbol": m.venue_id,
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "baseCoin": m.base_asset,
                "quoteCoin": m.quote,
                "settleCoin": m.quote,
                "launchTime": str(int((m.listed_from_s or 1_600_000_000) * 1000)),
                "fundingInterval": int(m.funding_interval_h * 60),
                "lotSizeFilter": {"qtyStep": "0.001", "minOrderQty": "0.001", "maxOrderQty": "100"},
                "priceFilter": {"tickSize": "0.01"},
                "leverageFilter": {"minLeverage": "1", "maxLeverage": "100"},
            }
            row.update(m.extra)
            rows.append(row)
        return self._ok({"category": "linear", "list": rows})

    def _ticker(self, m: FakeMarket) -> dict[str, Any]:
        t, w, vid = self.now(), self.world, m.venue_id
        price = w.price(self.name, vid, t)
        rate, interval = w.funding(self.name, vid, t)
        oi = w.oi_base(self.name, vid, t)
        next_funding = (int(t // (interval * 3600)) + 1) * int(interval * 3600) * 1000
        return {
            "symbol": vid,
            "lastPrice": repr(price),
            "markPrice": repr(price),
            "indexPrice": repr(price),
            "volume24h": repr(m.volume / price),
            "turnover24h": repr(m.volume),
            "openInterest": repr(oi),
            "openInterestValue": repr(oi * price),
            "fundingRate": repr(rate),
            "nextFundingTime": str(next_funding),
            "fundingIntervalHour": str(int(interval)),
        }

    def _kline(self, request: Request) -> Answer:
        p = request.params
        tf_ms = BYBIT_INTERVALS[p["interval"]]
        start = int(p.get("start", 0))
        end = int(p.get("end", self.now_ms()))
        rows = self.window(p["symbol"], tf_ms, start, end, int(p.get("limit", 200)))
        data = [[str(v) for v in (*row, row[5] * row[4])] for row in reversed(rows)]
        return self._ok({"category": "linear", "symbol": p["symbol"], "list": data})

    def _stat_window(self, request: Request, key: str, cap: int, default: int) -> list[int] | Answer:
        """Boundaries (s) the statistics endpoints answer: newest first, walking back from endTime."""
        p = request.params
        m = self.market(str(p.get("symbol")))
        step = BYBIT_STAT_PERIODS.get(str(p.get(key)))
        if m is None or step is None:
            return self._error(f"params error: symbol or {key} invalid")
        limit = int(p.get("limit", default))
        if not 1 <= limit <= cap:
            return self._error("params error: limit invalid")
        end = min(int(p.get("endTime", self.now_ms())) / 1000, self.now())
        start = int(p["startTime"]) / 1000 if "startTime" in p else float("-inf")
        first = max(start, m.listed_from_s or float("-inf"))
        out: list[int] = []
        t = int(end // step * step)
        while t >= first and len(out) < limit:
            out.append(t)
            t -= step
        return out

    def _open_interest(self, request: Request) -> Answer:
        times = self._stat_window(request, "intervalTime", OI_HISTORY_MAX, 50)
        if not isinstance(times, list):
            return times
        vid = str(request.params["symbol"])
        rows = [
            {"openInterest": repr(self.world.oi_base(self.name, vid, t)), "timestamp": str(t * 1000)}
            for t in times
        ]
        return self._ok({"symbol": vid, "category": "linear", "list": rows, "nextPageCursor": ""})

    def _account_ratio(self, request: Request) -> Answer:
        times = self._stat_window(request, "period", ACCOUNT_RATIO_MAX, 50)
        if not isinstance(times, list):
            return times
        vid = str(request.params["symbol"])
        rows = []
        for t in times:
            share = self.world.long_share(self.name, vid, t)
            rows.append(
                {
                    "symbol": vid,
                    "buyRatio": repr(share),
                    "sellRatio": repr(round(1 - share, 4)),
                    "timestamp": str(t * 1000),
                }
            )
        return self._ok({"list": rows})
