"""The venue fakes' common part: a loopback HTTP server, a request log, scripted faults, candle windows.

Each venue fake (one module per venue) answers only what ccxt 4.5.90 reads, from one
:class:`~quantpro.simulator.venues.world.VenueWorld` and one clock. Every request is logged with its
parameters and the clock's time; faults are scripted per request (``fail``: a status, with or without
``Retry-After``, for the next N matching requests) or for the whole venue (``set_down``: every
connection dropped, or every request answered with one status). docs/design.md §11.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from quantpro.simulator.clock import SimClock
from quantpro.simulator.venues.world import FakeMarket, VenueWorld, candle_at

__all__ = ["Answer", "FakeVenue", "Fault", "Request"]

log = logging.getLogger("quantpro.simulator.venues")

#: (status, headers, body): a ``str`` body goes out as text/plain, anything else as JSON.
Answer = tuple[int, dict[str, str], Any]
#: (open time ms, open, high, low, close, volume)
Candle = tuple[int, float, float, float, float, float]


@dataclass(frozen=True)
class Request:
    """One request the fake received: GET query or POST JSON body in ``params``."""

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


class _Drop(Exception):
    """Raised inside the handler to close the connection without an answer (a venue that is down)."""


class FakeVenue:
    """Base: an HTTP server in a thread, a request log, scripted faults, candle windows.

    ``world`` may be a :class:`VenueWorld` or, for a one-venue test, the list of this venue's markets.
    """

    name: ClassVar[str] = "FAKE"

    def __init__(self, clock: SimClock, world: VenueWorld | Sequence[FakeMarket]) -> None:
        self.clock = clock
        self.world = world if isinstance(world, VenueWorld) else VenueWorld({self.name: list(world)})
        self.log: list[Request] = []
        self.faults: list[Fault] = []
        self._down: tuple[bool, int | None] = (False, None)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- the world, as this venue sees it ----------------------------------------------------------
    @property
    def markets(self) -> list[FakeMarket]:
        """Every market of this venue in the world, listed now or not."""
        return self.world.markets(self.name)

    def listed(self) -> list[FakeMarket]:
        """The markets listed at the clock's time (after ``listed_from_s``, before ``delisted_from_s``)."""
        return self.world.listed(self.name, self.clock.now())

    def market(self, venue_id: str) -> FakeMarket | None:
        """The market ``venue_id`` if it is listed now."""
        found = self.world.market(self.name, venue_id)
        return found if found is not None and found.is_listed(self.clock.now()) else None

    # --- scripting ---------------------------------------------------------------------------------
    def fail(
        self,
        match: Callable[[Request], bool] | str,
        status: int,
        *,
        retry_after: str | None = None,
        body: Any = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests matching ``match`` (a predicate, or a path) get ``status``."""
        test = match if callable(match) else (lambda r, path=match: r.path == path)
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.faults.append(Fault(test, status, headers, body if body is not None else "busy", times))

    def set_down(self, down: bool = True, *, status: int | None = None) -> None:
        """Take the whole venue down: connections dropped unanswered, or (``status``) every request
        answered with that status (a 502 from the venue's proxy, say). ``set_down(False)`` recovers."""
        self._down = (down, status)

    def requests(self, path: str | None = None) -> list[Request]:
        """The request log, optionally only one path."""
        return [r for r in self.log if path is None or r.path == path]

    def ohlcv_requests(self) -> list[Request]:
        return [r for r in self.log if self.is_ohlcv(r)]

    # --- per venue ---------------------------------------------------------------------------------
    def is_ohlcv(self, request: Request) -> bool:
        raise NotImplementedError

    def route(self, request: Request) -> Answer:
        raise NotImplementedError

    # --- helpers for subclasses --------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def window(self, venue_id: str, tf_ms: int, start: int, end: int, limit: int) -> list[Candle]:
        """Candle open times in [start, end] up to the forming candle, at most ``limit`` from ``start``."""
        first = -(-start // tf_ms) * tf_ms
        last = min(end, self.now_ms())
        rows: list[Candle] = []
        t = first
        while t <= last and len(rows) < limit:
            rows.append((t, *candle_at(venue_id, t)))
            t += tf_ms
        return rows

    # --- server ------------------------------------------------------------------------------------
    def answer(self, request: Request) -> Answer:
        """Log the request, then a scripted fault if one matches, else the venue's own answer."""
        with self._lock:
            self.log.append(request)
            down, status = self._down
            if down:
                if status is None:
                    raise _Drop
                return status, {}, "<html>Service Unavailable</html>"
            for fault in self.faults:
                if fault.times > 0 and fault.match(request):
                    fault.times -= 1
                    return fault.status, fault.headers, fault.body
        return self.route(request)

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Serve on a free loopback port in a daemon thread (``stop`` ends it)."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"venue-fake-{self.name.lower()}",
            daemon=True,
        )
        thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @contextmanager
    def running(self) -> Iterator[FakeVenue]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


class _Handler(BaseHTTPRequestHandler):
    """Parses a request into :class:`Request`, asks the fake, writes its answer (keep-alive)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see quantpro.simulator.server: avoids ~40 ms per answer
    fake: ClassVar[FakeVenue]

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            params = json.loads(raw) if raw else {}
        try:
            status, headers, body = self.fake.answer(
                Request(method, parts.path, params, self.fake.clock.now())
            )
        except _Drop:
            self.close_connection = True
            return
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
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
        """Silent: the fake keeps its own request log."""
