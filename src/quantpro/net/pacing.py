"""Per-venue request pacing on an injected clock, optionally shared by every process on the machine.

A leaky bucket: each request of cost ``c`` occupies ``c · period / capacity`` seconds of the budget,
and the next request starts no earlier than the previous one's slot ends. Requests are therefore
spread evenly (no burst at start-up that a venue's per-second limit would punish), and any window of
``period`` seconds holds at most ``capacity`` units plus the one request that opens it; the budgets in
the venue table sit well below the venues' limits, so that margin never reaches them. ccxt's own
throttle is switched off; this one runs on :class:`~quantpro.clock.Clock`, so tests check the
schedule without waiting.

With ``state_dir`` the bucket's one number — when its next slot is free — lives in
``venue_pacing.json`` under a ``FileLock`` (docs/design.md §11: "each venue's pacing state is shared,
under a lock, by every QuantPro process on the machine"), read, advanced and rewritten atomically at
every slot, so ``download``, ``snapshot`` and ``watch`` running at once stay within one IP's budget
together. A venue's 429 or 418 pushes the shared slot back (:meth:`Pacer.penalise`), so the other
processes wait too. A missing or corrupt state file counts as "free now".
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quantpro.clock import Clock, format_duration
from quantpro.errors import RateLimitError
from quantpro.store.atomic import atomic_write_json, read_json
from quantpro.store.layout import VENUE_PACING_LOCK, VENUE_PACING_STATE
from quantpro.store.locks import BoundedLock

__all__ = ["STATE_SCHEMA_VERSION", "Budget", "Pacer", "Slot"]

log = logging.getLogger(__name__)

STATE_SCHEMA_VERSION = 1
#: A shared slot further ahead than this is not believed (a clock jump, a hand-edited file).
_MAX_AHEAD_S = 6 * 3600.0


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
    """Spaces one venue's requests to its :class:`Budget`; ``schedule`` records every slot granted here.

    ``state_dir`` shares the bucket named ``name`` with every pacer of that name using the same
    directory, in this process or another.
    """

    def __init__(
        self, budget: Budget, clock: Clock, name: str = "", *, state_dir: Path | None = None
    ) -> None:
        self.budget = budget
        self.name = name or "venue"
        self._clock = clock
        self._next_free = 0.0
        self._lock = threading.Lock()
        self.schedule: list[Slot] = []
        self.state_path = Path(state_dir) / VENUE_PACING_STATE if state_dir is not None else None
        self._file_lock = (
            BoundedLock(Path(state_dir) / VENUE_PACING_LOCK, what="venue pacing")
            if state_dir is not None
            else None
        )

    def acquire(self, cost: float, what: str = "", *, max_wait: float | None = None) -> float:
        """Wait until a request of ``cost`` units may start; returns the seconds waited.

        With ``max_wait``, a wait longer than that (another process was told to back off for an hour,
        say) raises :class:`RateLimitError` at once, with ``retry_after`` the wait, and takes no slot.
        """
        with self._slot() as state:
            now = self._clock.now()
            start = max(now, state["next_free"])
            wait = start - now
            if max_wait is not None and wait > max_wait:
                raise RateLimitError(
                    f"{self.name}: the venue's budget is held for {format_duration(wait)} (a rate limit "
                    "the venue answered, here or in another QuantPro process)",
                    source=self.name,
                    retry_after=wait,
                )
            state["next_free"] = start + self.budget.interval(cost)
            self.schedule.append(Slot(start, cost, what))
        if wait > 0:
            log.debug(
                "%s: waiting %s for budget before %s", self.name, format_duration(wait), what or "request"
            )
            self._clock.sleep(wait)
        return wait

    def penalise(self, seconds: float) -> None:
        """Push the next slot back by ``seconds`` from now (after a 429), here and in every sharer."""
        with self._slot() as state:
            state["next_free"] = max(state["next_free"], self._clock.now() + seconds)

    def free_at(self) -> float:
        """When the next slot is free (shared state included)."""
        with self._slot() as state:
            return float(state["next_free"])

    # -- state --------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _slot(self) -> Iterator[dict[str, float]]:
        """``{"next_free": t}``, locked; shared state is re-read before and written after if changed."""
        with self._lock:
            if self._file_lock is None:
                state = {"next_free": self._next_free}
                yield state
                self._next_free = state["next_free"]
                return
            with self._file_lock:
                doc = self._read()
                before = self._bucket_time(doc)
                state = {"next_free": before}
                yield state
                if state["next_free"] != before:
                    try:
                        self._write(doc, state["next_free"])
                    except OSError as exc:  # a full or read-only disk: pace alone, in memory
                        log.warning(
                            "could not save the shared venue pacing state %s (%s); pacing alone from now on",
                            self.state_path,
                            exc.strerror or exc,
                        )
                        self._next_free = state["next_free"]
                        self._file_lock = None

    def _read(self) -> dict[str, Any]:
        assert self.state_path is not None
        raw = read_json(self.state_path, what="venue pacing state")
        if isinstance(raw, dict) and isinstance(raw.get("venues"), dict):
            return raw
        if raw is not None:
            log.warning("venue pacing state %s has an unexpected shape; starting free", self.state_path)
        return {"schema_version": STATE_SCHEMA_VERSION, "venues": {}}

    def _bucket_time(self, doc: dict[str, Any]) -> float:
        entry = doc["venues"].get(self.name)
        value = entry.get("next_free") if isinstance(entry, dict) else None
        if not isinstance(value, int | float) or not math.isfinite(value):
            return 0.0
        return min(float(value), self._clock.now() + _MAX_AHEAD_S)

    def _write(self, doc: dict[str, Any], next_free: float) -> None:
        assert self.state_path is not None
        now = self._clock.now()
        venues = {
            name: entry
            for name, entry in doc["venues"].items()
            if isinstance(entry, dict)
            and isinstance(entry.get("next_free"), int | float)
            and entry["next_free"] > now
        }
        venues[self.name] = {"next_free": next_free}
        # Written at every slot: atomic (never half-written) but not fsynced — after a power cut the
        # worst is an older "next free" time, i.e. one burst of a few requests.
        atomic_write_json(
            self.state_path, {"schema_version": STATE_SCHEMA_VERSION, "venues": venues}, durable=False
        )
