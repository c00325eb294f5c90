"""Retry math as small pure functions, tested with parameter tables (docs/architecture.md).

Shared by the Coinalyze client and the venue client: how long a ``Retry-After`` header asks us to wait,
and how long to back off after a temporary failure.
"""

from __future__ import annotations

import math

from quantpro.errors import RateLimitError

__all__ = ["MAX_RETRY_AFTER", "backoff_delay", "parse_retry_after", "venue_retry_delay"]

#: A ``Retry-After`` above this is not believed; it is capped (ten windows of the real API).
MAX_RETRY_AFTER = 600.0


def parse_retry_after(header: str | None, *, cap: float = MAX_RETRY_AFTER) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or ``None`` when absent or unusable.

    Coinalyze sends a decimal string (``"49.119"``), so this parses a float, never an int. Negative,
    NaN, infinite and garbage values are ``None`` (the caller then waits a full window); very large
    values are capped at ``cap`` (:data:`MAX_RETRY_AFTER`) so a broken header cannot stall a run for hours.
    """
    if header is None:
        return None
    try:
        seconds = float(header.strip())
    except ValueError:
        return None
    if math.isnan(seconds) or seconds < 0:
        return None
    return min(seconds, cap)


def backoff_delay(attempt: int, *, base: float = 1.0, maximum: float = 30.0) -> float:
    """Exponential backoff before re-sending after the ``attempt``-th failure: 1, 2, 4, 8 … seconds.

    Deterministic (no jitter): the limiter already spreads processes apart, and tests assert schedules.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    return float(min(maximum, base * 2.0 ** (attempt - 1)))


def venue_retry_delay(attempt: int, error: BaseException | None) -> float:
    """Seconds to wait after failed ``attempt`` (1-based) on a venue: ``Retry-After`` first, else doubling.

    A 429 without ``Retry-After`` backs off from 5 s (the venue told us we are too fast); other
    temporary faults from 1 s. Both are capped, so a run never stalls for long on one request.
    """
    if isinstance(error, RateLimitError):
        if error.retry_after is not None:
            return error.retry_after
        return min(60.0, 5.0 * 2.0 ** (attempt - 1))
    return min(30.0, 1.0 * 2.0 ** (attempt - 1))
