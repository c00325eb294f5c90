"""QuantPro's exception tree, classified by what the caller does next.

```
QuantProError
├── ConfigError               bad settings/arguments → exit 2
├── DataFileError             malformed candle file → skipped and reported
├── StrategyError             a strategy raised or returned an invalid result → that result dropped, logged
├── FeedWriteError            feed not written → exit 1, previous feed untouched
├── NoMarketsError            no valid market in DATA_DIR → exit 1, no feed
└── CoinalyzeError            .endpoint, .status_code
    ├── TemporaryError        retried (bounded), then the batch degrades
    │   ├── RateLimitError    .retry_after: float | None
    │   ├── ServerError       5xx
    │   └── TransportError    timeout / connection
    │   └── ResponseShapeError 200 but not the documented JSON shape (truncated body, HTML)
    └── RequestRejectedError  not retried
        ├── AuthenticationError 401/403 → stop the API phase at once
        └── BadRequestError     400 / other 4xx
```

A symbol *missing* from a 200 response is not an error: the API drops unknown symbols silently.
No exception ever carries the API key.
"""

from __future__ import annotations


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


class CoinalyzeError(QuantProError):
    """Any failure talking to the Coinalyze API."""

    def __init__(self, message: str, *, endpoint: str = "", status_code: int | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status_code = status_code


class TemporaryError(CoinalyzeError):
    """Worth retrying a bounded number of times; afterwards the request's markets degrade."""


class RateLimitError(TemporaryError):
    """HTTP 429. ``retry_after`` is the server's decimal ``Retry-After`` in seconds, if it sent one."""

    def __init__(self, message: str, *, endpoint: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, endpoint=endpoint, status_code=429)
        self.retry_after = retry_after


class ServerError(TemporaryError):
    """HTTP 5xx."""


class TransportError(TemporaryError):
    """Timeout, refused connection, reset."""


class ResponseShapeError(TemporaryError):
    """A 200 whose body is not the documented JSON shape (truncated, HTML, wrong type)."""


class RequestRejectedError(CoinalyzeError):
    """The API refused the request itself; retrying the same request cannot help."""


class AuthenticationError(RequestRejectedError):
    """HTTP 401/403: the key is missing or refused. The API phase stops at once."""


class BadRequestError(RequestRejectedError):
    """HTTP 400 or another 4xx."""
