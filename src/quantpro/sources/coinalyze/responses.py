"""The Coinalyze boundary: an HTTP answer → the exception tree, once (docs/architecture.md–4), and the
retry policy tenacity follows. Only this module and the client catch ``httpx`` or JSON errors.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import tenacity

from quantpro.errors import (
    AuthenticationError,
    BadRequestError,
    CoinalyzeError,
    RateLimitError,
    ResponseShapeError,
    ServerError,
    TemporaryError,
    TransportError,
)
from quantpro.net.deadline import AnswerTooLarge, AnswerTooSlow
from quantpro.net.retry import backoff_delay, parse_retry_after
from quantpro.secrets import MASK, redact

__all__ = [
    "MAX_RATE_LIMIT_RETRIES",
    "MAX_RETRIES",
    "UNCHARGED_STATUSES",
    "RetryPolicy",
    "bounded_error",
    "decode",
    "error_for_status",
    "error_message",
    "transport_error",
]

#: Re-sends after a 5xx, a timeout, a connection error or a malformed body (waits 1, 2, 4 s).
MAX_RETRIES = 3
#: Re-sends after a 429 (each waits ``Retry-After`` or a full window).
MAX_RATE_LIMIT_RETRIES = 6
#: Statuses the API does not charge for.
UNCHARGED_STATUSES = frozenset({400, 401, 403, 429})


def error_for_status(
    status: int, *, endpoint: str, retry_after: str | None = None, message: str = ""
) -> CoinalyzeError | None:
    """The exception for an HTTP status (``None`` for 2xx), with the facts on it and never the key."""
    if 200 <= status < 300:
        return None
    text = f"HTTP {status} from {endpoint}" + (f" ({message})" if message else "")
    if status in (401, 403):
        return AuthenticationError(
            f"the Coinalyze API refused the key: {text}; check COINALYZE_API_KEY",
            endpoint=endpoint,
            status_code=status,
        )
    if status == 429:
        return RateLimitError(text, endpoint=endpoint, retry_after=parse_retry_after(retry_after))
    if status >= 500:
        return ServerError(text, endpoint=endpoint, status_code=status)
    return BadRequestError(text, endpoint=endpoint, status_code=status)


def error_message(content: bytes, secret: str) -> str:
    """The API's short ``{"message": …}``, if any (HTML pages and other bodies are not quoted).

    Redacted *before* it is cut: a key cut in half would no longer match (issue 16 §5)."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    if not message:
        return ""
    text = redact(str(message).replace(secret, MASK) if secret else str(message))
    return " ".join(text.split())[:200]


def decode(content: bytes, endpoint: str) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise ResponseShapeError(f"malformed JSON from {endpoint} ({exc})", endpoint=endpoint) from None


def bounded_error(exc: AnswerTooSlow | AnswerTooLarge, endpoint: str) -> TemporaryError:
    """A deadline or size cap that broke the read, as the temporary error it is."""
    if isinstance(exc, AnswerTooSlow):
        return TransportError(f"{exc} on {endpoint}", endpoint=endpoint)
    return ResponseShapeError(f"{exc} from {endpoint}", endpoint=endpoint)


def transport_error(exc: httpx.TransportError, endpoint: str, timeout: float) -> TransportError:
    if isinstance(exc, httpx.TimeoutException):
        text = f"timeout after {timeout:g}s on {endpoint}"
    else:
        text = f"connection error on {endpoint} ({type(exc).__name__})"
    return TransportError(text, endpoint=endpoint)


# -- retry policy ---------------------------------------------------------------------------------------


class RetryPolicy:
    """Separate budgets for 429s and other temporary errors; the waits tenacity sleeps on the clock."""

    def __init__(self) -> None:
        self.attempts = 0
        self.rate_limited = 0
        self.failed = 0

    @property
    def retries(self) -> int:
        """Re-sends so far (every attempt after the first)."""
        return max(0, self.attempts - 1)

    def record(self, exc: BaseException) -> None:
        if isinstance(exc, RateLimitError):
            self.rate_limited += 1
        elif isinstance(exc, TemporaryError):
            self.failed += 1

    def stop(self, state: tenacity.RetryCallState) -> bool:
        return self.rate_limited > MAX_RATE_LIMIT_RETRIES or self.failed > MAX_RETRIES

    def wait(self, state: tenacity.RetryCallState) -> float:
        # After a 429 the limiter already holds the next request until Retry-After has passed.
        exc = state.outcome.exception() if state.outcome is not None else None
        return 0.0 if isinstance(exc, RateLimitError) else backoff_delay(max(1, self.failed))
