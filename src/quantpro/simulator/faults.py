"""Faults the simulator can inject: scripted for one test, or drawn at a rate from a seeded sequence.

A fault happens after the request passed auth, validation and the quota, so it is charged like a real
answer would have been (except the 429, which is charged like any other 429: not at all).
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    """What can go wrong with an answer the client is entitled to."""

    SERVER_ERROR = "server_error"  # 500 with a JSON body
    HTML_502 = "html_502"  # 502 with a proxy's HTML page
    SLOW = "slow"  # a valid answer after ``slow_seconds`` of real time (the client's timeout)
    TRUNCATED = "truncated"  # 200 whose JSON is cut mid-way
    RATE_LIMIT_NO_RETRY_AFTER = "rate_limit_no_retry_after"  # 429 without the header (seen once, S6)
    DROP_SYMBOLS = "drop_symbols"  # 200 that silently omits some requested, known symbols


#: Faults that leave the unit charged (everything except the 429).
CHARGED_FAULTS = frozenset(Fault) - {Fault.RATE_LIMIT_NO_RETRY_AFTER}


@dataclass(frozen=True, slots=True)
class _Scripted:
    fault: Fault
    path: str | None  # None: any data endpoint


def normalise_path(path: str) -> str:
    """``"open-interest-history"``, ``"/v1/open-interest-history"`` → ``"/open-interest-history"``."""
    path = "/" + path.strip("/")
    return path[3:] if path.startswith("/v1/") else path


class FaultPlan:
    """Scripted faults first (in order, for matching paths), then random ones at ``rate``.

    The random draws come from ``random.Random(seed)`` and are taken once per eligible request under the
    simulator's lock, so the same request sequence meets the same faults on every run.
    """

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self._rng = random.Random(seed)
        self._queue: deque[_Scripted] = deque()

    def script(self, faults: tuple[Fault, ...], path: str | None, count: int) -> None:
        """Queue each fault ``count`` times, in order, for the next requests matching ``path``."""
        where = normalise_path(path) if path is not None else None
        for fault in faults:
            self._queue.extend(_Scripted(Fault(fault), where) for _ in range(count))

    def pending(self) -> int:
        """Scripted faults not yet used."""
        return len(self._queue)

    def next_fault(self, path: str, *, is_data: bool, random_allowed: bool) -> Fault | None:
        """The fault for this request, if any; consumes a scripted entry or one random draw."""
        for item in self._queue:
            if item.path == path or (item.path is None and is_data):
                self._queue.remove(item)
                return item.fault
        if not random_allowed or self.rate <= 0:
            return None
        if self._rng.random() >= self.rate:
            return None
        return self._rng.choice(tuple(Fault))
