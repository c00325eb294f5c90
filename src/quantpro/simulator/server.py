"""The HTTP layer: a stdlib threading server on loopback that hands each request to the Simulator.

Only bytes move here. The one real wait in the simulator lives here too — the SLOW fault's stall, in real
time, because the client's timeout is measured in real time.
"""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import ClassVar
from urllib.parse import urlsplit

from quantpro.simulator.app import Request, RequestRecord, Response, Simulator, SimulatorConfig
from quantpro.simulator.clock import SimClock
from quantpro.simulator.faults import Fault

log = logging.getLogger("quantpro.simulator")


class _Handler(BaseHTTPRequestHandler):
    """Feeds every request, whatever the method, to the server's Simulator."""

    protocol_version = "HTTP/1.1"
    server_version = "CoinalyzeSimulator/1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm meets the
    # client's delayed ACK and every answer waits ~40 ms.
    disable_nagle_algorithm = True
    simulator: ClassVar[Simulator]  # set on a per-server subclass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.simulator.handle(Request(self.command, parts.path, parts.query, headers))
        self._send(response)

    def _send(self, response: Response) -> None:
        if response.delay > 0:
            time.sleep(response.delay)  # the SLOW fault: real time, to trip the client's timeout
        try:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("client went away before the answer (status %d)", response.status)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Silence the stdlib's stderr access log; the Simulator logs each request at DEBUG."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class RunningSimulator:
    """A simulator serving in a background thread; a context manager (``close()`` stops it)."""

    def __init__(self, simulator: Simulator, host: str, port: int) -> None:
        self.simulator = simulator
        handler = type("BoundHandler", (_Handler,), {"simulator": simulator})
        self._server = _Server((host, port), handler)
        address = self._server.server_address
        bound_host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
        bound_port = address[1]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.base_url = f"http://{shown}:{bound_port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="coinalyze-sim",
            daemon=True,
        )
        self._thread.start()
        log.info("Coinalyze simulator listening on %s", self.base_url)

    @property
    def log(self) -> list[RequestRecord]:
        """Every request handled so far (a snapshot)."""
        return self.simulator.log

    def script(self, *faults: Fault, path: str | None = None, count: int = 1) -> None:
        """Queue faults for the next matching requests (see :meth:`Simulator.script`)."""
        self.simulator.script(*faults, path=path, count=count)

    def set_down(self, down: bool) -> None:
        self.simulator.set_down(down)

    def revoke_key(self, key: str) -> None:
        self.simulator.revoke_key(key)

    def close(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def start_simulator(
    config: SimulatorConfig | None = None,
    *,
    clock: SimClock | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> RunningSimulator:
    """Start the simulator on ``host:port`` (0 = any free port) in a background thread."""
    return RunningSimulator(Simulator(config, clock), host, port)
