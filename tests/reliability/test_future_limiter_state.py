"""Issue 16 §8: limiter state from the future (a wait saved 10 days ahead, a full window an hour ahead
after the clock stepped back, ``1e300``) is discarded with a warning instead of stalling every later
scan; a long wait that *is* believed is logged with its reason."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest

from quantpro.clock import FakeClock
from quantpro.net.ratelimit import RateLimiter, key_fingerprint
from quantpro.simulator import RunningSimulator

from .conftest import KEY, assert_valid_feed, scan

DAY = 86_400.0


def _bucket(now: float, *, log_at: float | None = None, blocked_until: float = 0.0) -> dict[str, object]:
    entries = [[log_at, 40, "other-1"]] if log_at is not None else []
    return {"log": entries, "blocked_until": blocked_until}


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(lambda now: _bucket(now, blocked_until=now + 10 * DAY), id="blocked-10-days"),
        pytest.param(lambda now: _bucket(now, log_at=now + 3600), id="full-window-1h-ahead"),
        pytest.param(lambda now: _bucket(now, blocked_until=1e300), id="blocked-1e300"),
        pytest.param(lambda now: _bucket(now, log_at=1e300), id="log-1e300"),
    ],
)
def test_state_from_the_future_is_discarded_with_a_warning(
    state: object,
    sim: RunningSimulator,
    data_dir: Path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = clock.now()
    bucket = state(now)  # type: ignore[operator]
    (data_dir / "coinalyze_ratelimit.json").write_bytes(
        orjson.dumps({"schema_version": 1, "buckets": {key_fingerprint(KEY): bucket}})
    )
    outcome = scan(sim, data_dir, clock)
    assert outcome.exit_code == 0 and outcome.run.status == "ok"
    assert clock.now() - now < 120  # the scan took its usual (fake) time, not the stored stall
    assert_valid_feed(data_dir / "master_feed.json")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("discarded" in w and "rate-limit state" in w for w in warnings) == 1, warnings


def test_a_believed_long_wait_is_logged_with_its_reason(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="quantpro")
    limiter = RateLimiter(40, 60.0, clock=clock, state_dir=tmp_path)
    limiter.acquire(40)
    limiter.block_until(clock.now() + 90)
    assert limiter.acquire(1) == pytest.approx(90)
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("waiting 1m30s for 1 units" in m and "Retry-After" in m for m in info), info
    limiter.acquire(39)
    limiter.acquire(1)  # the window is full again: a minute's wait, said why
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("window full: 40 of 40 units" in m for m in info), info
