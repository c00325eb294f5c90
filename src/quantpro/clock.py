"""Time as a dependency.

The rate limiter, the caches and the simulator all take a :class:`Clock`, so a test can run the
client and the in-process simulator on one :class:`FakeClock` and never wait for real quota.
Library code never calls ``time.sleep`` or ``time.time`` directly.
"""

from __future__ import annotations

import threading
import time
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
