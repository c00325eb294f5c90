"""Request handling, without sockets: (method, path, query, headers) → (status, headers, body).

The order of checks is the order a real gateway would apply them: API down → route (404) → key (401) →
parameters (400) → quota (429, nothing charged) → charge → fault → answer. The server module only moves
bytes; everything a test asserts about behaviour lives here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from quantpro.simulator.catalogue import Catalogue, build_catalogue
from quantpro.simulator.clock import RealClock, SimClock
from quantpro.simulator.endpoints import (
    CATALOGUE_PATHS,
    ENDPOINTS,
    BadRequest,
    DataQuery,
    answer_data,
    parse_data_query,
)
from quantpro.simulator.faults import CHARGED_FAULTS, Fault, FaultPlan, normalise_path
from quantpro.simulator.quota import SlidingWindowQuota, format_retry_after

log = logging.getLogger("quantpro.simulator")

UNAUTHORIZED = {"message": "Invalid/Missing API key"}
TOO_MANY = {"message": "Too many requests"}
HTML_502_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class SimulatorConfig:
    """How the fake API behaves. Defaults are the real API's (40 units per 60 s, 20 symbols at most)."""

    calls: int = 40
    period: float = 60.0
    api_keys: frozenset[str] = frozenset()  # empty: any non-empty key is accepted
    fault_rate: float = 0.0
    seed: int = 0
    max_symbols: int | None = 20  # None: accept more and charge them all (as measured once)
    slow_seconds: float = 1.0  # real seconds the SLOW fault stalls
    faults_on_catalogue: bool = False  # random faults on /exchanges, /future-markets, /spot-markets too
    retry_after_decimals: int = 3  # the API writes "49.119"; 0 writes whole seconds ("50"), rounded up


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request as received. ``headers`` keys are lower-case."""

    method: str
    path: str
    raw_query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Response:
    """What to send back; ``delay`` is real seconds the server waits first (the SLOW fault)."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One handled request, for tests. ``path`` is relative to ``/v1`` (``"/funding-rate"``), like
    :meth:`Simulator.script`'s; ``raw_query`` is exactly as received; the key is only fingerprinted."""

    time: float
    path: str
    raw_query: str
    key_fingerprint: str | None
    symbols: tuple[str, ...]
    units_charged: int
    status: int
    fault: Fault | None = None


def fingerprint(key: str) -> str:
    """A short, stable, one-way name for a key, so logs and records can tell keys apart without it."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _json(status: int, payload: object, extra: Sequence[tuple[str, str]] = ()) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, (("Content-Type", "application/json"), *extra))


class Simulator:
    """The fake Coinalyze API's state and request handling; thread-safe (one lock around state)."""

    def __init__(self, config: SimulatorConfig | None = None, clock: SimClock | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.clock: SimClock = clock or RealClock()
        self.catalogue: Catalogue = build_catalogue()
        self._quota = SlidingWindowQuota(self.config.calls, self.config.period)
        self._faults = FaultPlan(self.config.fault_rate, self.config.seed)
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._revoked: set[str] = set()
        self._down = False
        self._catalogue_bodies = {
            "/exchanges": _json(200, list(self.catalogue.exchanges)),
            "/future-markets": _json(200, list(self.catalogue.future_markets)),
            "/spot-markets": _json(200, list(self.catalogue.spot_markets)),
        }

    # -- controls used by tests and the demo ------------------------------------------------------

    @property
    def log(self) -> list[RequestRecord]:
        """A snapshot of every request handled so far."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def script(self, *faults: Fault, path: str | None = None, count: int = 1) -> None:
        """Queue faults (each ``count`` times, in order) for the next requests to ``path`` (any data
        endpoint when None)."""
        with self._lock:
            self._faults.script(faults, path, count)

    def pending_faults(self) -> int:
        with self._lock:
            return self._faults.pending()

    def set_down(self, down: bool) -> None:
        """While down, every request gets 503 and nothing is charged."""
        with self._lock:
            self._down = down

    def revoke_key(self, key: str) -> None:
        """Refuse ``key`` (401) from now on, as when a key is revoked mid-run."""
        with self._lock:
            self._revoked.add(key)

    def units_used(self, key: str) -> int:
        """Units ``key`` has spent in the current window."""
        with self._lock:
            return self._quota.used(fingerprint(key), self.clock.now())

    # -- request handling -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request and record it."""
        params = dict(parse_qsl(request.raw_query, keep_blank_values=True))
        under_v1 = request.path.startswith("/v1/")
        path = normalise_path(request.path) if under_v1 else request.path
        key = request.headers.get("api_key") or params.get("api_key") or ""
        with self._lock:
            now = self.clock.now()
            response, symbols, units, fault = self._decide(
                request.method, path if under_v1 else "", params, key, now
            )
            record = RequestRecord(
                now, path, request.raw_query, fingerprint(key) if key else None, symbols, units,
                response.status, fault,
            )  # fmt: skip
            self._log.append(record)
        log.debug(
            "%s %s symbols=%d units=%d status=%d fault=%s key=%s",
            request.method, path, len(symbols), units, response.status, fault, record.key_fingerprint,
        )  # fmt: skip
        return response

    def _decide(
        self, method: str, path: str, params: Mapping[str, str], key: str, now: float
    ) -> tuple[Response, tuple[str, ...], int, Fault | None]:
        """The response, the symbols asked, the units charged and the fault applied (under the lock)."""
        if self._down:
            return _json(503, {"message": "Service Unavailable"}), (), 0, None
        if path not in ENDPOINTS:  # "" for anything outside /v1
            return _json(404, {"message": "Not found"}), (), 0, None
        if method != "GET":
            return _json(405, {"message": "Method Not Allowed"}), (), 0, None
        if not key or key in self._revoked or (self.config.api_keys and key not in self.config.api_keys):
            return _json(401, UNAUTHORIZED), (), 0, None
        query: DataQuery | None = None
        if path not in CATALOGUE_PATHS:
            try:
                query = parse_data_query(path, params, self.config.max_symbols)
            except BadRequest as exc:
                return _json(400, {"message": str(exc)}), (), 0, None
        symbols = query.symbols if query else ()
        units = len(symbols) if query else 1
        wait = self._quota.try_charge(fingerprint(key), units, now)
        if wait is not None:
            retry_after = format_retry_after(wait, self.config.retry_after_decimals)
            return _json(429, TOO_MANY, [("Retry-After", retry_after)]), symbols, 0, None
        fault = self._faults.next_fault(
            path,
            is_data=query is not None,
            random_allowed=query is not None or self.config.faults_on_catalogue,
        )
        if fault is not None and fault not in CHARGED_FAULTS:
            self._quota.refund_last(fingerprint(key))
            units = 0
        return self._answer(path, query, now, fault), symbols, units, fault

    def _answer(self, path: str, query: DataQuery | None, now: float, fault: Fault | None) -> Response:
        """The 200 answer, or what the fault makes of it."""
        if fault is Fault.SERVER_ERROR:
            return _json(500, {"message": "Internal Server Error"})
        if fault is Fault.HTML_502:
            return Response(502, HTML_502_PAGE, (("Content-Type", "text/html"),))
        if fault is Fault.RATE_LIMIT_NO_RETRY_AFTER:
            return _json(429, TOO_MANY)
        if query is None:
            good = self._catalogue_bodies[path]
        else:
            drop = fault is Fault.DROP_SYMBOLS
            good = _json(200, answer_data(self.catalogue, query, now, drop_every_other=drop))
        if fault is Fault.SLOW:
            return Response(good.status, good.body, good.headers, self.config.slow_seconds)
        if fault is Fault.TRUNCATED:
            return Response(200, good.body[: max(1, len(good.body) // 2)], good.headers)
        return good
