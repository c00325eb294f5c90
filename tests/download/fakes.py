"""Loopback fakes of the venues' public APIs, answering only what ccxt reads.

Each fake is a real HTTP server on 127.0.0.1 (ccxt's sync client uses ``requests``), built from the
venue's documented answers as ccxt 4.5.90 parses them: the markets list, OHLCV for the requested
window (the forming candle included, as real venues do) and the bulk tickers. Every request is logged
with its parameters and the fake clock's time; faults (429 with ``Retry-After``, 5xx) are scripted.
"""

from __future__ import annotations

import json
import math
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from quantpro.clock import Clock

Answer = tuple[int, dict[str, str], Any]


@dataclass(frozen=True)
class Request:
    """One request the fake received."""

    method: str
    path: str
    params: dict[str, Any]
    at: float


@dataclass
class Fault:
    """A scripted failure: the next ``times`` requests matching ``match`` get ``status``."""

    match: Callable[[Request], bool]
    status: int
    headers: dict[str, str]
    body: Any
    times: int = 1


@dataclass(frozen=True)
class FakeMarket:
    """A market as the fake lists it; ``coin`` is what the local name must normalise to."""

    venue_id: str
    coin: str
    expected_local: str
    base_price: float = 100.0
    volume: float = 1_000_000.0
    extra: dict[str, Any] = field(default_factory=dict)


def candle_at(venue_id: str, t_ms: int) -> tuple[float, float, float, float, float]:
    """Deterministic OHLCV for any market and open time: a wave plus a per-market offset."""
    seed = zlib.crc32(venue_id.encode()) % 1000
    base = 10.0 + seed
    step = t_ms // 900_000
    mid = base * (1 + 0.05 * math.sin(step / 37.0) + 0.02 * math.sin(step / 5.0))
    nxt = base * (1 + 0.05 * math.sin((step + 1) / 37.0) + 0.02 * math.sin((step + 1) / 5.0))
    high, low = max(mid, nxt) * 1.003, min(mid, nxt) * 0.997
    return round(mid, 6), round(high, 6), round(low, 6), round(nxt, 6), 100.0 + (step % 17)


class FakeVenue:
    """Base: an HTTP server in a thread, a request log, scripted faults, candle windows."""

    name = "FAKE"

    def __init__(self, clock: Clock, markets: list[FakeMarket]) -> None:
        self.clock = clock
        self.markets = markets
        self.log: list[Request] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- scripting -------------------------------------------------------------------------------
    def fail(
        self,
        match: Callable[[Request], bool],
        status: int,
        *,
        retry_after: str | None = None,
        body: Any = None,
        times: int = 1,
    ) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.faults.append(Fault(match, status, headers, body if body is not None else "busy", times))

    def ohlcv_requests(self) -> list[Request]:
        return [r for r in self.log if self.is_ohlcv(r)]

    # --- per-venue -------------------------------------------------------------------------------
    def is_ohlcv(self, request: Request) -> bool:
        raise NotImplementedError

    def route(self, request: Request) -> Answer:
        raise NotImplementedError

    # --- helpers for subclasses ------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def market(self, venue_id: str) -> FakeMarket | None:
        return next((m for m in self.markets if m.venue_id == venue_id), None)

    def window(self, venue_id: str, tf_ms: int, start: int, end: int, limit: int) -> list[tuple[int, ...]]:
        """Open times in [start, end] up to the forming candle, at most ``limit`` from ``start``."""
        first = -(-start // tf_ms) * tf_ms
        last = min(end, self.now_ms())
        rows = []
        t = first
        while t <= last and len(rows) < limit:
            rows.append((t, *candle_at(venue_id, t)))
            t += tf_ms
        return rows

    # --- server ----------------------------------------------------------------------------------
    def _answer(self, request: Request) -> Answer:
        with self._lock:
            self.log.append(request)
            for fault in self.faults:
                if fault.times > 0 and fault.match(request):
                    fault.times -= 1
                    return fault.status, fault.headers, fault.body
        return self.route(request)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @contextmanager
    def running(self) -> Iterator[FakeVenue]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                params: dict[str, Any] = dict(parse_qsl(parts.query))
                if method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    raw = self.rfile.read(length) if length else b""
                    params = json.loads(raw) if raw else {}
                status, headers, body = fake._answer(Request(method, parts.path, params, fake.clock.now()))
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                ctype = "text/plain" if isinstance(body, str) else "application/json"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


# ------------------------------------------------------------------------------------------------
# Bybit v5
# ------------------------------------------------------------------------------------------------
BYBIT_INTERVALS = {"15": 900_000, "60": 3_600_000, "240": 14_400_000, "D": 86_400_000}


class FakeBybit(FakeVenue):
    name = "BYBIT"

    def is_ohlcv(self, request: Request) -> bool:
        return request.path == "/v5/market/kline"

    def route(self, request: Request) -> Answer:
        if request.path == "/v5/market/instruments-info":
            return self._instruments(request)
        if request.path == "/v5/market/tickers":
            return self._ok({"category": "linear", "list": [self._ticker(m) for m in self.markets]})
        if request.path == "/v5/market/kline":
            return self._kline(request)
        return 404, {}, {"retCode": 10001, "retMsg": "not found"}

    def _ok(self, result: Any) -> Answer:
        return 200, {}, {"retCode": 0, "retMsg": "OK", "result": result, "time": self.now_ms()}

    def _instruments(self, request: Request) -> Answer:
        if request.params.get("status") == "PreLaunch":
            return self._ok({"category": "linear", "list": []})
        rows = []
        for m in self.markets:
            row = {
                "symbol": m.venue_id,
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "baseCoin": m.extra.get("base", m.venue_id.removesuffix("USDT")),
                "quoteCoin": m.extra.get("quote", "USDT"),
                "settleCoin": m.extra.get("quote", "USDT"),
                "lotSizeFilter": {"qtyStep": "0.001", "minOrderQty": "0.001", "maxOrderQty": "100"},
                "priceFilter": {"tickSize": "0.01"},
                "leverageFilter": {"minLeverage": "1", "maxLeverage": "100"},
            }
            row.update({k: v for k, v in m.extra.items() if k not in {"base", "quote"}})
            rows.append(row)
        return self._ok({"category": "linear", "list": rows})

    def _ticker(self, m: FakeMarket) -> dict[str, Any]:
        return {
            "symbol": m.venue_id,
            "lastPrice": str(m.base_price),
            "volume24h": str(m.volume / m.base_price),
            "turnover24h": str(m.volume),
            "openInterestValue": "1000",
        }

    def _kline(self, request: Request) -> Answer:
        p = request.params
        tf_ms = BYBIT_INTERVALS[p["interval"]]
        start = int(p.get("start", 0))
        end = int(p.get("end", self.now_ms()))
        rows = self.window(p["symbol"], tf_ms, start, end, int(p.get("limit", 200)))
        data = [[str(v) for v in (*row, row[5] * row[4])] for row in reversed(rows)]
        return self._ok({"category": "linear", "symbol": p["symbol"], "list": data})


# ------------------------------------------------------------------------------------------------
# OKX v5
# ------------------------------------------------------------------------------------------------
OKX_BARS = {"15m": 900_000, "1H": 3_600_000, "4H": 14_400_000, "4Hutc": 14_400_000, "1Dutc": 86_400_000}


class FakeOKX(FakeVenue):
    name = "OKX"

    def is_ohlcv(self, request: Request) -> bool:
        return request.path in {"/api/v5/market/candles", "/api/v5/market/history-candles"}

    def route(self, request: Request) -> Answer:
        if request.path == "/api/v5/public/instruments":
            return self._ok([self._instrument(m) for m in self.markets])
        if request.path == "/api/v5/market/tickers":
            return self._ok([self._ticker(m) for m in self.markets])
        if self.is_ohlcv(request):
            return self._candles(request)
        return 404, {}, {"code": "50000", "msg": "not found", "data": []}

    def _ok(self, data: Any) -> Answer:
        return 200, {}, {"code": "0", "msg": "", "data": data}

    def _instrument(self, m: FakeMarket) -> dict[str, Any]:
        base, quote, _ = m.venue_id.split("-")
        row = {
            "instId": m.venue_id,
            "instType": "SWAP",
            "uly": f"{base}-{quote}",
            "instFamily": f"{base}-{quote}",
            "baseCcy": "",
            "quoteCcy": "",
            "settleCcy": quote if quote != "USD" else base,
            "ctVal": str(m.extra.get("ctVal", "0.01")),
            "ctType": "linear" if quote != "USD" else "inverse",
            "state": "live",
            "lotSz": "1",
            "tickSz": "0.1",
            "minSz": "1",
            "lever": "100",
        }
        return row

    def _ticker(self, m: FakeMarket) -> dict[str, Any]:
        contracts = m.volume / m.base_price / float(m.extra.get("ctVal", "0.01"))
        return {
            "instType": "SWAP",
            "instId": m.venue_id,
            "last": str(m.base_price),
            "vol24h": str(contracts),
            "volCcy24h": str(m.volume / m.base_price),
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


# ------------------------------------------------------------------------------------------------
# Hyperliquid
# ------------------------------------------------------------------------------------------------
HL_INTERVALS = {"15m": 900_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}


class FakeHyperliquid(FakeVenue):
    name = "HYPERLIQUID"

    def is_ohlcv(self, request: Request) -> bool:
        return request.params.get("type") == "candleSnapshot"

    def route(self, request: Request) -> Answer:
        kind = request.params.get("type")
        if request.path == "/info" and kind == "metaAndAssetCtxs":
            universe = [
                {"name": m.venue_id, "szDecimals": 2, "maxLeverage": 20, **m.extra} for m in self.markets
            ]
            ctxs = [
                {"dayNtlVlm": str(m.volume), "markPx": str(m.base_price), "midPx": str(m.base_price)}
                for m in self.markets
            ]
            return 200, {}, [{"universe": universe}, ctxs]
        if request.path == "/info" and kind == "candleSnapshot":
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
        return 422, {}, "Failed to deserialize the JSON body"


# ------------------------------------------------------------------------------------------------
# KuCoin Futures
# ------------------------------------------------------------------------------------------------
KUCOIN_GRANULARITY = {"15": 900_000, "60": 3_600_000, "240": 14_400_000, "1440": 86_400_000}


class FakeKuCoin(FakeVenue):
    name = "KUCOIN"

    def is_ohlcv(self, request: Request) -> bool:
        return request.path == "/api/v1/kline/query"

    def route(self, request: Request) -> Answer:
        if request.path == "/api/v1/contracts/active":
            return 200, {}, {"code": "200000", "data": [self._contract(m) for m in self.markets]}
        if request.path == "/api/v1/kline/query":
            p = request.params
            tf_ms = KUCOIN_GRANULARITY[p["granularity"]]
            rows = self.window(p["symbol"], tf_ms, int(p["from"]), int(p["to"]), 200)
            return 200, {}, {"code": "200000", "data": [list(r) for r in rows]}
        return 404, {}, {"code": "404000", "msg": "Not Found"}

    def _contract(self, m: FakeMarket) -> dict[str, Any]:
        row = {
            "symbol": m.venue_id,
            "rootSymbol": "USDT",
            "type": "FFWCSX",
            "baseCurrency": m.extra.get("base", m.venue_id.removesuffix("USDTM")),
            "quoteCurrency": "USDT",
            "settleCurrency": "USDT",
            "isInverse": False,
            "status": "Open",
            "multiplier": 0.001,
            "lotSize": 1,
            "tickSize": 0.1,
            "maxLeverage": 100,
            "nextFundingRateTime": 3600000,
            "price": str(m.base_price),
            "lastTradePrice": m.base_price,
            "volumeOf24h": m.volume / m.base_price,
            "turnoverOf24h": m.volume,
        }
        row.update({k: v for k, v in m.extra.items() if k != "base"})
        return row


# ------------------------------------------------------------------------------------------------
# Binance USDⓈ-M futures (ccxt ``binanceusdm``: the ``fapi`` host only)
# ------------------------------------------------------------------------------------------------
BINANCE_INTERVALS = {"15m": 900_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}
#: ``/fapi/v1/klines`` serves at most 1,500 candles (ccxt asks at most 1,000).
BINANCE_KLINE_MAX = 1500


class FakeBinance(FakeVenue):
    name = "BINANCE"

    def is_ohlcv(self, request: Request) -> bool:
        return request.path == "/fapi/v1/klines"

    def route(self, request: Request) -> Answer:
        if request.path == "/fapi/v1/exchangeInfo":
            symbols = [self._symbol(m) for m in self.markets]
            return 200, {}, {"timezone": "UTC", "serverTime": self.now_ms(), "symbols": symbols}
        if request.path == "/fapi/v1/ticker/24hr":
            return 200, {}, [self._ticker(m) for m in self.markets]
        if request.path == "/fapi/v1/klines":
            return self._klines(request)
        return 404, {}, {"code": -5000, "msg": "Path not found"}

    def _symbol(self, m: FakeMarket) -> dict[str, Any]:
        base = m.extra.get("base", m.venue_id.removesuffix("USDT").removesuffix("USDC"))
        quote = m.extra.get("quote", "USDC" if m.venue_id.endswith("USDC") else "USDT")
        row: dict[str, Any] = {
            "symbol": m.venue_id,
            "pair": f"{base}{quote}",
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "onboardDate": 1569398400000,
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
        row.update({k: v for k, v in m.extra.items() if k not in {"base", "quote"}})
        return row

    def _ticker(self, m: FakeMarket) -> dict[str, Any]:
        return {
            "symbol": m.venue_id,
            "priceChange": "0",
            "priceChangePercent": "0",
            "weightedAvgPrice": str(m.base_price),
            "lastPrice": str(m.base_price),
            "lastQty": "1",
            "openPrice": str(m.base_price),
            "highPrice": str(m.base_price),
            "lowPrice": str(m.base_price),
            "volume": str(m.volume / m.base_price),
            "quoteVolume": str(m.volume),
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


# ------------------------------------------------------------------------------------------------
# Bitget v2 mix (futures)
# ------------------------------------------------------------------------------------------------
BITGET_GRANULARITY = {"15m": 900_000, "1H": 3_600_000, "4H": 14_400_000, "1Dutc": 86_400_000}
#: ``/api/v2/mix/market/candles`` serves at most 1,000 candles, ``history-candles`` 200.
BITGET_CANDLES_MAX = {"/api/v2/mix/market/candles": 1000, "/api/v2/mix/market/history-candles": 200}
#: And never a window wider than 90 days between ``startTime`` and ``endTime``.
BITGET_MAX_SPAN_MS = 90 * 86_400_000


class FakeBitget(FakeVenue):
    """Bitget's mix API. Candles are aligned from ``endTime``: the venue answers the *last* ``limit``
    candles opening at or before ``endTime`` (``startTime`` only bounds them from below), the forming
    one included; ccxt fills ``endTime`` itself when not given ``until``.
    """

    name = "BITGET"

    def is_ohlcv(self, request: Request) -> bool:
        return request.path in BITGET_CANDLES_MAX

    def route(self, request: Request) -> Answer:
        if request.path == "/api/v2/mix/market/contracts":
            product = request.params["productType"]
            return self._ok([self._contract(m) for m in self.markets if self._product(m) == product])
        if request.path == "/api/v2/mix/market/tickers":
            product = request.params["productType"]
            return self._ok([self._ticker(m) for m in self.markets if self._product(m) == product])
        if self.is_ohlcv(request):
            return self._candles(request)
        return 404, {}, {"code": "40404", "msg": "Request URL NOT FOUND", "data": None}

    def _ok(self, data: Any) -> Answer:
        return 200, {}, {"code": "00000", "msg": "success", "requestTime": self.now_ms(), "data": data}

    @staticmethod
    def _product(m: FakeMarket) -> str:
        return str(m.extra.get("productType", "USDT-FUTURES"))

    def _contract(self, m: FakeMarket) -> dict[str, Any]:
        quote = m.extra.get("quoteCoin", "USDT")
        row: dict[str, Any] = {
            "symbol": m.venue_id,
            "baseCoin": m.extra.get("baseCoin", m.venue_id.removesuffix(quote)),
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
            "launchTime": "",
            "fundInterval": "8",
            "minLever": "1",
            "maxLever": "125",
            "posLimit": "0.05",
            "maintainTime": "",
        }
        row.update({k: v for k, v in m.extra.items() if k not in {"productType"}})
        return row

    def _ticker(self, m: FakeMarket) -> dict[str, Any]:
        return {
            "symbol": m.venue_id,
            "lastPr": str(m.base_price),
            "askPr": str(m.base_price),
            "bidPr": str(m.base_price),
            "high24h": str(m.base_price),
            "low24h": str(m.base_price),
            "ts": str(self.now_ms()),
            "change24h": "0",
            "baseVolume": str(m.volume / m.base_price),
            "quoteVolume": str(m.volume),
            "usdtVolume": str(m.volume),
            "openUtc": str(m.base_price),
            "changeUtc24h": "0",
            "indexPrice": str(m.base_price),
            "fundingRate": "0.0001",
            "holdingAmount": "1000",
            "open24h": str(m.base_price),
            "markPrice": str(m.base_price),
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


# ------------------------------------------------------------------------------------------------
# MEXC contract (futures) API; ccxt's ``mexc`` also loads the spot list with the markets
# ------------------------------------------------------------------------------------------------
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

    def __init__(self, clock: Clock, markets: list[FakeMarket], spot: list[str] | None = None) -> None:
        super().__init__(clock, markets)
        self.spot = spot or []

    def is_ohlcv(self, request: Request) -> bool:
        return request.path.startswith(MEXC_KLINE_PREFIX)

    def route(self, request: Request) -> Answer:
        if request.path == "/api/v3/exchangeInfo":
            symbols = [self._spot_symbol(s) for s in self.spot]
            return 200, {}, {"timezone": "CST", "serverTime": self.now_ms(), "symbols": symbols}
        if request.path == "/api/v1/contract/detail":
            return self._ok([self._contract(m) for m in self.markets])
        if request.path == "/api/v1/contract/ticker":
            return self._ok([self._ticker(m) for m in self.markets])
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
            "contractSize": float(m.extra.get("contractSize", 0.0001)),
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
        }
        row.update(m.extra)
        return row

    def _ticker(self, m: FakeMarket) -> dict[str, Any]:
        size = float(m.extra.get("contractSize", 0.0001))
        return {
            "symbol": m.venue_id,
            "lastPrice": m.base_price,
            "bid1": m.base_price,
            "ask1": m.base_price,
            "volume24": m.volume / m.base_price / size,  # contracts
            "amount24": m.volume,  # settle currency
            "holdVol": 1000,
            "lower24Price": m.base_price,
            "high24Price": m.base_price,
            "riseFallRate": 0,
            "riseFallValue": 0,
            "indexPrice": m.base_price,
            "fairPrice": m.base_price,
            "fundingRate": 0.0001,
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
