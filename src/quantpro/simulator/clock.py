"""The simulator's own view of time.

The simulator imports nothing from the rest of QuantPro, so it states the clock it needs here. Any object
with ``now()`` (Unix seconds) and ``sleep(seconds)`` fits, so a test can hand the client and the
simulator the same ``quantpro.clock.FakeClock`` and quota windows of minutes pass in microseconds.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class SimClock(Protocol):
    """Wall-clock seconds since the Unix epoch, and a way to wait."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """The machine's clock, for the simulator run from the command line."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
