"""The API phase's ETA and its rendering, as pure functions with parameter tables."""

from __future__ import annotations

import math

import pytest

from quantpro.clock import format_duration
from quantpro.net.ratelimit import eta_seconds


@pytest.mark.parametrize(
    ("units_left", "calls", "period", "free_now", "expected"),
    [
        (0, 40, 60.0, None, 0.0),  # nothing left
        (-5, 40, 60.0, None, 0.0),
        (1, 40, 60.0, None, 0.0),  # a cold start: the first window's units go at once
        (40, 40, 60.0, None, 0.0),
        (41, 40, 60.0, None, 60.0),  # one unit more waits a whole window
        (80, 40, 60.0, None, 60.0),
        (81, 40, 60.0, None, 120.0),
        (2800, 40, 60.0, None, 4140.0),  # DESIGN §1's cold scan: (70 − 1) windows ≈ 69 minutes
        (10, 40, 60.0, 0, 60.0),  # a busy window: even one unit waits
        (10, 40, 60.0, 10, 0.0),
        (10, 40, 60.0, 5, 60.0),
        (100, 40, 60.0, 100, 120.0),  # free_now is capped at the window's capacity
        (10, 40, 60.0, -3, 60.0),  # and floored at zero
        (400, 400, 10.0, None, 0.0),  # the demo's quota
        (401, 400, 10.0, None, 10.0),
        (1000, 400, 10.0, 0, 30.0),
        (3, 1, 0.5, None, 1.0),
    ],
)
def test_eta_seconds(
    units_left: int, calls: int, period: float, free_now: int | None, expected: float
) -> None:
    assert eta_seconds(units_left, calls, period, free_now) == pytest.approx(expected)


@pytest.mark.parametrize(("calls", "period"), [(40, 60.0), (400, 10.0), (7, 3.5)])
def test_cold_eta_is_the_benchmark_floor(calls: int, period: float) -> None:
    for units in range(1, 5 * calls):
        assert eta_seconds(units, calls, period) == pytest.approx((math.ceil(units / calls) - 1) * period)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.04, "0s"),
        (0.4, "0.4s"),  # under ten seconds one decimal: a Retry-After of 0.5 s is not "0s"
        (2.0, "2s"),
        (9.94, "9.9s"),
        (10.4, "10s"),
        (-5, "0s"),
        (59, "59s"),
        (60, "1m00s"),
        (75, "1m15s"),
        (3599, "59m59s"),
        (3600, "1h00m"),
        (3725, "1h02m"),
        (4140, "1h09m"),
        (90_000, "25h00m"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
