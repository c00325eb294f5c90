"""Time as a dependency.

The rate limiter, the caches and the simulator all take a :class:`Clock`, so a test can run the
client and the in-process simulator on one :class:`FakeClock` and never wait for real quota.
Library code never calls ``time.sleep`` or ``time.time`` directly.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Wall-clock seconds since the Unix epoch, and a way to wait."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to; ``sleep`` advances it instantly.

    Thread-safe: the in-process simulator reads it from its server thread while the client sleeps
    on it. ``sleeps`` records every wait, so tests can assert a schedule.
    """

    def __init__(self, start: float = 1_768_842_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if seconds > 0:
                self._now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def set(self, when: float) -> None:
        with self._lock:
            self._now = float(when)


def now_ms(clock: Clock) -> int:
    """The clock's time in Unix milliseconds."""
    return int(clock.now() * 1000)


def format_duration(seconds: float) -> str:
    """A duration in the one human form every QuantPro line uses (docs/design.md §16).

    ``0.25`` → ``0.2s``; ``2`` → ``2s``; ``42.4`` → ``42s``; ``75`` → ``1m15s``; ``2580`` → ``43m00s``;
    ``3725`` → ``1h02m``; ``90000`` → ``25h00m``. Under ten seconds one decimal is kept (a Retry-After of
    0.5 s is not "0s"); negative durations and NaN read as ``0s``.
    """
    if not seconds > 0:  # also NaN
        return "0s"
    if seconds < 10:
        text = f"{seconds:.1f}".rstrip("0").rstrip(".")
        return f"{text}s" if text != "0" else "0s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def utc_text(ms: int | float, *, seconds: bool = True) -> str:
    """Unix milliseconds as ``2026-01-19 16:23:58 UTC`` (``seconds=False``: ``2026-01-19 16:23 UTC``)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")
