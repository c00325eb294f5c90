"""QuantPro's exception tree, classified by what the caller does next.

```
QuantProError
├── ConfigError                bad settings/arguments → exit 2
├── DataFileError              malformed candle file → skipped and reported
├── StrategyError              a strategy raised or returned an invalid result → that result replaced, logged
├── FeedWriteError             feed not written → exit 1, previous feed untouched
├── NoMarketsError             no valid market in DATA_DIR → exit 1, no feed
├── LockTimeoutError           a lock held too long by another process (named) → exit 1, no feed
└── RemoteError                any failure of a remote source: .source ("coinalyze", "BINANCE", …),
    │                          .endpoint, .status_code
    ├── TemporaryError         retried (bounded), then that source's markets degrade
    │   ├── RateLimitError     429/418 · .retry_after: float | None
    │   ├── ServerError        5xx, 408
    │   ├── TransportError     timeout / connection
    │   └── ResponseShapeError 200 but not the documented shape (truncated body, HTML)
    └── RequestRejectedError   not retried
        ├── AuthenticationError 401/403 → stop that source at once
        └── BadRequestError     400 / another 4xx, an unexpected answer
```

Coinalyze and the venues share the tree: the caller decides by class, and ``source`` says who failed.
A symbol *missing* from a 200 response is not an error: the API drops unknown symbols silently.
No exception ever carries the API key.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "CoinalyzeError",
    "ConfigError",
    "DataFileError",
    "FeedWriteError",
    "LockTimeoutError",
    "NoMarketsError",
    "QuantProError",
    "RateLimitError",
    "RemoteError",
    "RequestRejectedError",
    "ResponseShapeError",
    "ServerError",
    "StrategyError",
    "TemporaryError",
    "TransportError",
]

COINALYZE = "coinalyze"


class QuantProError(Exception):
    """Root of every error QuantPro raises on purpose."""


class ConfigError(QuantProError):
    """Bad settings or arguments (exit code 2)."""


class DataFileError(QuantProError):
    """A candle file that cannot be used; the scan skips it and names it with ``reason``."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


class StrategyError(QuantProError):
    """A strategy raised or returned an invalid result."""


class FeedWriteError(QuantProError):
    """The feed could not be written (exit code 1); the previous feed is untouched."""


class NoMarketsError(QuantProError):
    """DATA_DIR holds no valid market, so there is nothing to scan and no feed (exit code 1)."""


class LockTimeoutError(QuantProError):
    """A file lock was not released in time; the message names the lock and its holder (exit 1)."""


class RemoteError(QuantProError):
    """Any failure talking to a remote source: the Coinalyze API or a venue."""

    def __init__(
        self,
        message: str,
        *,
        source: str = COINALYZE,
        endpoint: str = "",
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.endpoint = endpoint
        self.status_code = status_code

    @property
    def venue(self) -> str:
        """The source's name, as the downloader reports it (``BINANCE``)."""
        return self.source


#: Part one's name for the root of remote failures; every remote error is one.
CoinalyzeError = RemoteError


class TemporaryError(RemoteError):
    """Worth retrying a bounded number of times; afterwards the request's markets degrade."""


class RateLimitError(TemporaryError):
    """HTTP 429 (or a venue's 418). ``retry_after`` is the server's ``Retry-After`` in seconds, if any."""

    def __init__(
        self,
        message: str,
        *,
        source: str = COINALYZE,
        endpoint: str = "",
        retry_after: float | None = None,
        status_code: int = 429,
    ) -> None:
        super().__init__(message, source=source, endpoint=endpoint, status_code=status_code)
        self.retry_after = retry_after


class ServerError(TemporaryError):
    """HTTP 5xx (or 408)."""


class TransportError(TemporaryError):
    """Timeout, refused connection, reset."""


class ResponseShapeError(TemporaryError):
    """A 200 whose body is not the documented JSON shape (truncated, HTML, wrong type)."""


class RequestRejectedError(RemoteError):
    """The source refused the request itself; retrying the same request cannot help."""


class AuthenticationError(RequestRejectedError):
    """HTTP 401/403: the key is missing or refused. That source's phase stops at once."""


class BadRequestError(RequestRejectedError):
    """HTTP 400 or another 4xx, or an answer we cannot use."""
