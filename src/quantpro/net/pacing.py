"""Per-venue request pacing on an injected clock.

A leaky bucket: each request of cost ``c`` occupies ``c · period / capacity`` seconds of the budget,
and the next request starts no earlier than the previous one's slot ends. Requests are therefore
spread evenly (no burst at start-up that a venue's per-second limit would punish), and any window of
``period`` seconds holds at most ``capacity`` units plus the one request that opens it; the budgets in
the venue table sit well below the venues' limits, so that margin never reaches them. ccxt's own
throttle is switched off; this one runs on :class:`~quantpro.clock.Clock`, so tests check the
schedule without waiting.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from quantpro.clock import Clock, format_duration

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Budget:
    """A request budget: at most ``capacity`` cost units per ``period_s`` seconds, spread evenly."""

    capacity: float
    period_s: float

    def interval(self, cost: float) -> float:
        """Seconds a request of ``cost`` units occupies the budget (the pacer's spacing)."""
        return cost * self.period_s / self.capacity


@dataclass(frozen=True, slots=True)
class Slot:
    """One paced request: when it was allowed to start, and what it cost."""

    start: float
    cost: float
    what: str


class Pacer:
    """Spaces one venue's requests to its :class:`Budget`; ``schedule`` records every slot granted."""

    def __init__(self, budget: Budget, clock: Clock, name: str = "") -> None:
        self.budget = budget
        self.name = name
        self._clock = clock
        self._next_free = 0.0
        self._lock = threading.Lock()
        self.schedule: list[Slot] = []

    def acquire(self, cost: float, what: str = "") -> float:
        """Wait until a request of ``cost`` units may start; returns the seconds waited."""
        with self._lock:
            now = self._clock.now()
            start = max(now, self._next_free)
            self._next_free = start + self.budget.interval(cost)
            self.schedule.append(Slot(start, cost, what))
        wait = start - now
        if wait > 0:
            log.debug(
                "%s: waiting %s for budget before %s", self.name, format_duration(wait), what or "request"
            )
            self._clock.sleep(wait)
        return wait

    def penalise(self, seconds: float) -> None:
        """Push the next slot back by ``seconds`` (after a 429), so no request goes out before then."""
        with self._lock:
            self._next_free = max(self._next_free, self._clock.now() + seconds)
