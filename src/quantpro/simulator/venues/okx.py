"""OKX v5: instruments (``ctVal``), tickers, candles, funding for every swap (``instId=ANY``), open
interest for every swap (contracts and base), the 5-minute open-interest history (≤ 100 points a
request, about three days back) and the long/short account ratio (docs/design.md §11)."""

from __future__ import annotations

from typing import Any

from quantpro.simulator.venues.base import Answer, FakeVenue, Request
from quantpro.simulator.venues.world import FakeMarket

__all__ = ["FakeOKX"]

OKX_BARS = {"15m": 900_000, "1H": 3_600_000, "4H": 14_400_000, "4Hutc": 14_400_000, "1Dutc": 86_400_000}
OKX_STAT_PERIODS = {"5m": 300, "1H": 3600, "1D": 86_400}
STAT_LIMIT_MAX = 100
#: How far back the 5-minute statistics go (the venue keeps about three days of them).
STAT_5M_RETENTION_S = 3 * 86_400


class FakeOKX(FakeVenue):
    name = "OKX"

    def is_ohlcv(self, request: Request) -> bool:
        return request.path in {"/api/v5/market/candles", "/api/v5/market/history-candles"}

    def route(self, request: Request) -> Answer:
        path = request.path
        if path == "/api/v5/public/instruments":
            return self._ok([self._instrument(m) for m in self.listed()])
        if path == "/api/v5/market/tickers":
            return self._ok([self._ticker(m) for m in self.listed()])
        if self.is_ohlcv(request):
            return self._candles(request)
        if path == "/api/v5/public/funding-rate":
            return self._funding(request)
        if path == "/api/v5/public/open-interest":
            return self._ok([self._open_interest(m) for m in self.listed()])
        if path == "/api/v5/rubik/stat/contracts/open-interest-history":
            return self._stat(request, self._oi_row)
        if path == "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract":
            return self._stat(request, self._ratio_row)
        return 404, {}, {"code": "50000", "msg": "not found", "data": []}

    def _ok(self, data: Any) -> Answer:
        return 200, {}, {"code": "0", "msg": "", "data": data}

    def _error(self, code: str, message: str) -> Answer:
        return 400, {}, {"code": code, "msg": message, "data": []}

    def _size(self, m: FakeMarket) -> str:
        return repr(m.contract_size_at(self.now()))

    def _instrument(self, m: FakeMarket) -> dict[str, Any]:
        base, quote, _ = m.venue_id.split("-")
        return {
            "instId": m.venue_id,
            "instType": "SWAP",
            "uly": f"{base}-{quote}",
            "instFamily": f"{base}-{quote}",
            "baseCcy": "",
            "quoteCcy": "",
            "settleCcy": quote if quote != "USD" else base,
            "ctVal": self._size(m),
            "ctValCcy": base if quote != "USD" else "USD",
            "ctType": "linear" if quote != "USD" else "inverse",
            "listTime": str(int((m.listed_from_s or 1_600_000_000) * 1000)),
            "state": "live",
            "lotSz": "1",
            "tickSz": "0.1",
            "minSz": "1",
            "lever": "100",
        }

    def _ticker(self, m: FakeMarket) -> dict[str, Any]:
        price = self.world.price(self.name, m.venue_id, self.now())
        contracts = m.volume / price / m.contract_size_at(self.now())
        return {
            "instType": "SWAP",
            "instId": m.venue_id,
            "last": repr(price),
            "vol24h": repr(contracts),
            "volCcy24h": repr(m.volume / price),
            "ts": str(self.now_ms()),
        }

    def _candles(self, request: Request) -> Answer:
        p = request.params
        tf_ms = OKX_BARS[p["bar"]]
        before = int(p.get("before", -1))
        after = int(p.get("after", self.now_ms() + tf_ms))
        limit = int(p.get("limit", 100))
        rows = self.window(p["instId"], tf_ms, before + 1, after - 1, 10_000)[-limit:]
        data = [
            [str(v) for v in (*row[:5], row[5] * 100, row[5], row[5] * row[4], "1")] for row in reversed(rows)
        ]
        return self._ok(data)

    def _funding(self, request: Request) -> Answer:
        wanted = request.params.get("instId")
        if wanted is None:
            return self._error("51000", "Parameter instId can not be empty")
        rows = [self._funding_row(m) for m in self.listed() if wanted in ("ANY", m.venue_id)]
        if not rows:
            return self._error("51001", "Instrument ID does not exist")
        return self._ok(rows)

    def _funding_row(self, m: FakeMarket) -> dict[str, Any]:
        t = self.now()
        rate, interval = self.world.funding(self.name, m.venue_id, t)
        step = int(interval * 3600)
        funding_time = (int(t) // step + 1) * step * 1000  # the next settlement
        return {
            "instId": m.venue_id,
            "instType": "SWAP",
            "method": "current_period",
            "fundingRate": repr(rate),
            "fundingTime": str(funding_time),
            "nextFundingRate": "",
            "nextFundingTime": str(funding_time + step * 1000),
            "minFundingRate": "-0.0075",
            "maxFundingRate": "0.0075",
            "settState": "settled",
            "ts": str(self.now_ms()),
        }

    def _open_interest(self, m: FakeMarket) -> dict[str, Any]:
        t, w = self.now(), self.world
        base = w.oi_base(self.name, m.venue_id, t)
        return {
            "instId": m.venue_id,
            "instType": "SWAP",
            "oi": repr(w.oi_raw(self.name, m.venue_id, t)),
            "oiCcy": repr(base),
            "oiUsd": repr(base * w.price(self.name, m.venue_id, t)),
            "ts": str(self.now_ms()),
        }

    def _oi_row(self, m: FakeMarket, t: int) -> list[str]:
        w = self.world
        base = w.oi_base(self.name, m.venue_id, t)
        raw = base / m.contract_size_at(t)
        return [str(t * 1000), repr(raw), repr(base), repr(base * w.price(self.name, m.venue_id, t))]

    def _ratio_row(self, m: FakeMarket, t: int) -> list[str]:
        return [str(t * 1000), repr(self.world.ls_ratio(self.name, m.venue_id, t))]

    def _stat(self, request: Request, row: Any) -> Answer:
        """Trading statistics: newest first, both bounds exclusive, at most ``limit`` (≤ 100)."""
        p = request.params
        m = self.market(str(p.get("instId")))
        if m is None:
            return self._error("51001", "Instrument ID does not exist")
        step = OKX_STAT_PERIODS.get(str(p.get("period", "5m")))
        limit = int(p.get("limit", STAT_LIMIT_MAX))
        if step is None or not 1 <= limit <= STAT_LIMIT_MAX:
            return self._error("50014", "Parameter period or limit error")
        now = self.now()
        end = min(int(p["end"]) / 1000 if "end" in p else now + 1, now + 1)
        begin = int(p["begin"]) / 1000 if "begin" in p else float("-inf")
        oldest = max(now - STAT_5M_RETENTION_S if step == 300 else float("-inf"), m.listed_from_s or 0)
        rows: list[Any] = []
        t = int(-(-end // step) * step) - step  # the newest point strictly before ``end``
        while t > begin and t >= oldest and len(rows) < limit:
            rows.append(row(m, t))
            t -= step
        return self._ok(rows)
