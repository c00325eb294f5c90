"""A hostile outside world on loopback (issue 16): a server in front of the simulator that answers chosen
paths its own way — trickling, echoing the key, bombing, lying — and forwards every other request.

Each override is a function of the request that writes its own raw answer, so a test can send what no
well-behaved server would: a body one byte a second, a gzip bomb, a 200 with an empty catalogue.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import orjson

#: An override: given the handler (``.path``, ``.headers``, ``.wfile``), write a whole raw answer.
Override = Callable[[BaseHTTPRequestHandler], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    upstream: ClassVar[str]
    overrides: ClassVar[dict[str, Override]]
    seen: ClassVar[list[str]]

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.seen.append(path)
        override = self.overrides.get(path) or self.overrides.get("*")
        try:
            if override is not None:
                override(self)
            else:
                self._forward()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _forward(self) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("api_key",)}
        answer = httpx.get(self.upstream + self.path, headers=headers, timeout=10)
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-answer is what these tests make happen: not worth a traceback."""


@contextmanager
def hostile_api(upstream: str, overrides: dict[str, Override]) -> Iterator[tuple[str, list[str]]]:
    """A loopback server answering ``overrides`` itself and forwarding the rest to ``upstream``.

    Yields its base URL and the list of paths it was asked for."""
    seen: list[str] = []
    handler = type("Handler", (_Handler,), {"upstream": upstream, "overrides": overrides, "seen": seen})
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


# -- answers ---------------------------------------------------------------------------------------


def answer(status: int, body: bytes, *, headers: dict[str, str] | None = None) -> Override:
    """A fixed answer."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return write


def tampered(change: Callable[[Any], Any]) -> Override:
    """The upstream's answer, its JSON changed by ``change`` (which returns the new document)."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        headers = {k: v for k, v in handler.headers.items() if k.lower() == "api_key"}
        upstream = getattr(handler, "upstream")  # noqa: B009 - set on the handler class
        got = httpx.get(upstream + handler.path, headers=headers, timeout=10)
        body = orjson.dumps(change(got.json())) if got.status_code == 200 else got.content
        answer(got.status_code, body, headers={"Content-Type": "application/json"})(handler)

    return write


def trickle(body: bytes, *, every: float = 0.2, seconds: float = 30.0) -> Override:
    """A 200 whose body arrives one byte every ``every`` seconds (each read is quick; the whole is not)."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body) + 10_000))
        handler.end_headers()
        handler.wfile.flush()
        stop = time.monotonic() + seconds
        for byte in body + b" " * 10_000:
            if time.monotonic() > stop:
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(every)

    return write


def gzip_bomb(decoded_bytes: int) -> Override:
    """A 200 with ``Content-Encoding: gzip`` whose small body decodes to ``decoded_bytes`` of ``[``…."""
    chunk = b" " * (1 << 20)
    buffer = bytearray()
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    buffer += deflate.compress(b"[")
    for _ in range(decoded_bytes // len(chunk)):
        buffer += deflate.compress(chunk)
    buffer += deflate.flush()
    return answer(
        200, bytes(buffer), headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
