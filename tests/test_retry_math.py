"""Retry math as pure functions, checked with parameter tables (openai-python style)."""

from __future__ import annotations

import pytest

from quantpro.errors import (
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    ServerError,
)
from quantpro.net.ratelimit import key_fingerprint
from quantpro.net.retry import MAX_RETRY_AFTER, backoff_delay, parse_retry_after
from quantpro.sources.coinalyze.responses import error_for_status


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("49.119", 49.119),  # the real API's decimal string: int() would raise
        ("59.0", 59.0),
        ("59", 59.0),
        ("  3.5 ", 3.5),
        ("0", 0.0),
        ("0.001", 0.001),
        ("", None),
        ("   ", None),
        (None, None),
        ("abc", None),
        ("-3", None),
        ("nan", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),  # an HTTP date is not what Coinalyze sends
        ("1e9", MAX_RETRY_AFTER),  # capped
        ("inf", MAX_RETRY_AFTER),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 16.0), (6, 30.0), (50, 30.0)],
)
def test_backoff_delay(attempt: int, expected: float) -> None:
    assert backoff_delay(attempt) == expected


def test_backoff_delay_base_and_cap() -> None:
    assert [backoff_delay(n, base=0.5, maximum=3.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]
    with pytest.raises(ValueError):
        backoff_delay(0)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, None),
        (204, None),
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, BadRequestError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
def test_error_for_status(status: int, kind: type[Exception] | None) -> None:
    error = error_for_status(status, endpoint="/funding-rate", retry_after="49.119", message="m")
    if kind is None:
        assert error is None
        return
    assert type(error) is kind
    assert error is not None and error.endpoint == "/funding-rate" and error.status_code == status
    if isinstance(error, RateLimitError):
        assert error.retry_after == 49.119


def test_key_fingerprint_is_short_and_not_the_key() -> None:
    key = "secret-key-123"
    fp = key_fingerprint(key)
    assert len(fp) == 12 and key not in fp and fp == key_fingerprint(key) != key_fingerprint("other")
