"""Who may read the dashboard (docs/design.md §15).

- Bound to loopback without a token: only this machine, and only under a loopback ``Host`` name, so a web
  page elsewhere cannot read the feed through DNS rebinding.
- Any other address needs ``QUANTPRO_SERVE_TOKEN`` (:func:`check_bind` refuses to start without one).
  A token set is always required: ``Authorization: Bearer TOKEN``, or ``?token=TOKEN`` once — answered by
  a redirect to the same address without the token and an HttpOnly cookie holding a value derived from
  the token (never the token itself), so it does not stay in the address bar, the history or a referrer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from quantpro.errors import ConfigError

__all__ = ["COOKIE", "LOOPBACK_HOSTS", "SECURITY_HEADERS", "AccessGuard", "check_bind", "is_loopback"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
COOKIE = "quantpro_session"
#: Every response: no sniffing, no framing, no referrer, and only our own scripts, styles and requests.
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
]


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the dashboard on this machine."""
    return host.strip().lower() in LOOPBACK_HOSTS or host.startswith("127.")


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback address without a token (ConfigError, exit 2)."""
    if not is_loopback(host) and not (token and token.strip()):
        raise ConfigError(
            f"refusing to serve on {host}: any address but 127.0.0.1 needs QUANTPRO_SERVE_TOKEN "
            "(a long random value, e.g. `openssl rand -hex 24`), or keep 127.0.0.1 and use an SSH tunnel"
        )


def _session_value(token: str) -> str:
    return hmac.new(token.encode(), b"quantpro serve session", hashlib.sha256).hexdigest()


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", [])}


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class AccessGuard:
    """ASGI middleware: the token rules above, the loopback ``Host`` check, the security headers."""

    def __init__(self, app: ASGIApp, *, token: str | None) -> None:
        self.app = app
        self.token = token.strip() if token and token.strip() else None
        self._session = _session_value(self.token) if self.token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if self.token is None:
            host = _host_name(headers.get(b"host", b"").decode("latin-1").strip().lower())
            if host not in LOOPBACK_HOSTS and not host.startswith("127."):
                await _plain(send, 403, "This dashboard answers only on 127.0.0.1 / localhost.")
                return
            await self.app(scope, receive, _with_headers(send))
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [v for k, v in query if k == "token"]
        if given:
            if not self._matches(given[-1]):
                await _plain(send, 401, "Wrong token.")
                return
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            path = "/" + str(scope.get("path", "/")).lstrip("/")  # never "//host": no open redirect
            await self._redirect(send, path + (f"?{rest}" if rest else ""))
            return
        if self._authorised(headers):
            await self.app(scope, receive, _with_headers(send))
            return
        await _plain(
            send,
            401,
            "A token is required: open this address once with ?token=YOUR_TOKEN "
            "(QUANTPRO_SERVE_TOKEN), or send Authorization: Bearer YOUR_TOKEN.",
        )

    def _matches(self, candidate: str) -> bool:
        assert self.token is not None
        return hmac.compare_digest(candidate.strip().encode(), self.token.encode())

    def _authorised(self, headers: dict[bytes, bytes]) -> bool:
        auth = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value and self._matches(value):
            return True
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # a malformed Cookie header is no cookie
            return False
        morsel = cookies.get(COOKIE)
        assert self._session is not None
        return morsel is not None and hmac.compare_digest(morsel.value.encode(), self._session.encode())

    async def _redirect(self, send: Send, location: str) -> None:
        assert self._session is not None
        cookie = f"{COOKIE}={self._session}; Path=/; HttpOnly; SameSite=Strict"
        headers = [
            (b"location", location.encode("latin-1")),
            (b"set-cookie", cookie.encode()),
            (b"cache-control", b"no-store"),
            (b"content-length", b"0"),
            *SECURITY_HEADERS,
        ]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
        await send(message)

    return wrapped


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *SECURITY_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
