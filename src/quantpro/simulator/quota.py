"""Per-key quota: a sliding log of units spent in the last ``period`` seconds (docs/coinalyze_api.md §2).

Not thread-safe on its own; the :class:`~quantpro.simulator.app.Simulator` calls it under its lock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

#: Tolerance for float time: an entry is free once ``spent_at + period <= now + EPSILON``, so a client that
#: waits exactly the advertised ``Retry-After`` (rounded up to the millisecond) is always let through.
EPSILON = 1e-6


@dataclass
class _KeyLog:
    entries: deque[tuple[float, int]] = field(default_factory=deque)

    def expire(self, now: float, period: float) -> None:
        while self.entries and self.entries[0][0] + period <= now + EPSILON:
            self.entries.popleft()

    def used(self) -> int:
        return sum(units for _, units in self.entries)


class SlidingWindowQuota:
    """``calls`` units per sliding ``period`` seconds, per key."""

    def __init__(self, calls: int, period: float) -> None:
        self.calls = calls
        self.period = period
        self._logs: dict[str, _KeyLog] = {}

    def try_charge(self, key_id: str, units: int, now: float) -> float | None:
        """Charge ``units`` to ``key_id`` and return None, or return the seconds to wait (nothing charged).

        A request larger than the whole window is accepted only when the window is empty (the API took a
        40-symbol request on a fresh key, docs/coinalyze_api.md §2), otherwise it waits for the window
        to clear.
        """
        log = self._logs.setdefault(key_id, _KeyLog())
        log.expire(now, self.period)
        used = log.used()
        if used + units <= self.calls or (used == 0 and units > self.calls):
            log.entries.append((now, units))
            return None
        must_free = used if units > self.calls else used + units - self.calls
        return self._wait_for(log, must_free, now)

    def _wait_for(self, log: _KeyLog, must_free: int, now: float) -> float:
        """Seconds until the oldest entries have freed ``must_free`` units."""
        freed = 0
        for spent_at, spent in log.entries:
            freed += spent
            if freed >= must_free:
                return max(spent_at + self.period - now, 0.001)
        return self.period  # unreachable: freeing every entry always makes room

    def refund_last(self, key_id: str) -> None:
        """Take back the latest charge (an answer that turned out to be a 429 after all)."""
        log = self._logs.get(key_id)
        if log and log.entries:
            log.entries.pop()

    def used(self, key_id: str, now: float) -> int:
        """Units ``key_id`` has spent in the current window (for tests and logs)."""
        log = self._logs.get(key_id)
        if log is None:
            return 0
        log.expire(now, self.period)
        return log.used()


def format_retry_after(seconds: float, decimals: int = 3) -> str:
    """``Retry-After`` as the API writes it: a decimal string with 3 decimals, rounded up (``"49.119"``),
    or whole seconds with ``decimals=0`` (``"50"``), as other servers do."""
    scale = 10**decimals
    return f"{math.ceil(seconds * scale - 1e-6) / scale:.{decimals}f}"
