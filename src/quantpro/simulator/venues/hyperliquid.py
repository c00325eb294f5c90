"""Hyperliquid ``/info``: ``metaAndAssetCtxs`` (the perpetuals with their contexts: hourly funding, open
interest in coins, mark price, day volume) and ``candleSnapshot`` (docs/design.md §11).

The universe keeps a delisted coin (``isDelisted``) with a zero context, as the venue does, so the
contexts stay aligned with the universe by index.
"""

from __future__ import annotations

from typing import Any

from quantpro.simulator.venues.base import Answer, FakeVenue, Request
from quantpro.simulator.venues.world import FakeMarket

__all__ = ["FakeHyperliquid"]

HL_INTERVALS = {"15m": 900_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}


class FakeHyperliquid(FakeVenue):
    name = "HYPERLIQUID"

    def is_ohlcv(self, request: Request) -> bool:
        return request.params.get("type") == "candleSnapshot"

    def route(self, request: Request) -> Answer:
        kind = request.params.get("type")
        if request.path == "/info" and kind == "metaAndAssetCtxs":
            return self._meta_and_ctxs()
        if request.path == "/info" and kind == "candleSnapshot":
            return self._candles(request)
        return 422, {}, "Failed to deserialize the JSON body"

    def _shown(self) -> list[FakeMarket]:
        """Listed markets, plus delisted ones (the universe keeps them, flagged)."""
        t = self.now()
        return [m for m in self.markets if m.is_listed(t) or self._delisted(m)]

    def _delisted(self, m: FakeMarket) -> bool:
        return m.delisted_from_s is not None and self.now() >= m.delisted_from_s

    def _meta_and_ctxs(self) -> Answer:
        universe, ctxs = [], []
        for m in self._shown():
            entry: dict[str, Any] = {"name": m.venue_id, "szDecimals": 2, "maxLeverage": 20}
            entry.update(m.extra)
            if self._delisted(m):
                entry["isDelisted"] = True
            universe.append(entry)
            ctxs.append(self._ctx(m))
        return 200, {}, [{"universe": universe}, ctxs]

    def _ctx(self, m: FakeMarket) -> dict[str, Any]:
        t, w, vid = self.now(), self.world, m.venue_id
        price = w.price(self.name, vid, t)
        if self._delisted(m) or m.extra.get("isDelisted"):
            oi, rate, volume = 0.0, 0.0, 0.0
        else:
            oi, rate, volume = w.oi_base(self.name, vid, t), w.funding(self.name, vid, t)[0], m.volume
        return {
            "dayNtlVlm": repr(volume),
            "funding": repr(rate),
            "impactPxs": [repr(price * 0.9999), repr(price * 1.0001)],
            "markPx": repr(price),
            "midPx": repr(price),
            "openInterest": repr(oi),
            "oraclePx": repr(price),
            "premium": "0.0",
            "prevDayPx": repr(price),
        }

    def _candles(self, request: Request) -> Answer:
        req = request.params["req"]
        tf_ms = HL_INTERVALS[req["interval"]]
        rows = self.window(req["coin"], tf_ms, int(req["startTime"]), int(req["endTime"]), 5000)
        data = [
            {
                "t": r[0],
                "T": r[0] + tf_ms - 1,
                "s": req["coin"],
                "i": req["interval"],
                "o": str(r[1]),
                "h": str(r[2]),
                "l": str(r[3]),
                "c": str(r[4]),
                "v": str(r[5]),
                "n": 10,
            }
            for r in rows
        ]
        return 200, {}, data
