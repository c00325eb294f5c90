"""A loopback alert receiver for tests: what Apprise's ``json://`` posts, recorded (docs/design.md §14).

    with AlertReceiver().running() as receiver:
        url = receiver.apprise_url("hook")      # json://127.0.0.1:PORT/hook
        receiver.fail_next(2, status=500)       # the next two posts are refused
        ...
        receiver.messages                       # every accepted post's JSON body, in order

Stdlib ``http.server`` only; like the rest of the simulator it imports nothing from QuantPro.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["AlertReceiver", "Post"]


@dataclass(frozen=True, slots=True)
class Post:
    path: str
    body: Any
    status: int


@dataclass
class AlertReceiver:
    """Records POSTed JSON; refuses posts on demand (``fail_next``, or ``failing`` for all)."""

    host: str = "127.0.0.1"
    failing: bool = False
    fail_status: int = 500
    #: Seconds each answer is held back (a channel that hangs); released at once by ``release()``.
    hang_s: float = 0.0
    posts: list[Post] = field(default_factory=list)
    _fail_count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the receiver is not running"
        return int(self._server.server_address[1])

    def apprise_url(self, path: str = "alerts") -> str:
        return f"json://{self.host}:{self.port}/{path.lstrip('/')}"

    @property
    def messages(self) -> list[Any]:
        """The bodies of the posts that were accepted."""
        with self._lock:
            return [p.body for p in self.posts if p.status < 300]

    def fail_next(self, count: int, *, status: int = 500) -> None:
        with self._lock:
            self._fail_count, self.fail_status = count, status

    def release(self) -> None:
        """Let every held-back answer go now."""
        self._released.set()

    def _answer(self) -> int:
        with self._lock:
            if self.failing:
                return self.fail_status
            if self._fail_count > 0:
                self._fail_count -= 1
                return self.fail_status
            return 200

    def _record(self, path: str, raw: bytes, status: int) -> None:
        try:
            body: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self.posts.append(Post(path, body, status))

    @contextmanager
    def running(self) -> Iterator[AlertReceiver]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if receiver.hang_s > 0:
                    receiver._released.wait(receiver.hang_s)
                status = receiver._answer()
                receiver._record(self.path, raw, status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((self.host, 0), Handler)
        server.daemon_threads = True
        self._server = server
        thread = threading.Thread(target=server.serve_forever, name="alert-receiver", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
            self._server = None
