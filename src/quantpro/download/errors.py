"""The downloader's exceptions, classified by what the caller does next.

```
QuantProError
└── VenueError                 .venue
    ├── VenueTemporaryError    429, 5xx, 408, timeout, connection: retried (bounded)
    │   └── VenueRateLimitError  .retry_after: float | None
    └── VenueRejectedError     another 4xx, a bad symbol, an unexpected answer: not retried
```

Only :mod:`quantpro.download.client` catches ccxt's exceptions and turns them into these.
"""

from __future__ import annotations

from quantpro.errors import QuantProError


class VenueError(QuantProError):
    """Any failure talking to one venue."""

    def __init__(self, message: str, *, venue: str = "", status_code: int | None = None) -> None:
        super().__init__(message)
        self.venue = venue
        self.status_code = status_code


class VenueTemporaryError(VenueError):
    """Worth retrying a bounded number of times."""


class VenueRateLimitError(VenueTemporaryError):
    """HTTP 429 (or 418): ``retry_after`` is the venue's ``Retry-After`` in seconds, if it sent one."""

    def __init__(self, message: str, *, venue: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, venue=venue, status_code=429)
        self.retry_after = retry_after


class VenueRejectedError(VenueError):
    """The venue refused the request itself, or answered something we cannot use; not retried."""
