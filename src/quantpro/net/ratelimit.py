"""A sliding-window limiter weighted by units, shared across threads and processes (docs/design.md §5).

Coinalyze charges one unit per symbol and allows ``calls`` units per rolling ``period`` seconds per
key, and publishes no quota headers: the only way not to hit a 429 is to count locally. The limiter
keeps a log of ``(time, units)`` reservations and lets a request go at the earliest moment its units
fit in the window, never later (no idling while units are free).

Three refinements keep the local window from running ahead of the server's:

* :meth:`RateLimiter.settle` re-dates a reservation to the moment the answer arrived (the server
  charged somewhere between our send and its answer, so dating at arrival is the safe side);
* :meth:`RateLimiter.release` forgets a reservation the server did not charge (400/401/429);
* :meth:`RateLimiter.block_until` holds every request until a 429's ``Retry-After`` has passed.

With ``state_dir`` the log lives in ``coinalyze_ratelimit.json`` under a ``FileLock``, read, changed and
rewritten atomically on every operation, so two scans sharing a cache directory share one key's quota.
Buckets in that file are named by the caller (the client uses a short SHA-256 fingerprint of the key,
never the key). The retry math (:func:`parse_retry_after`, :func:`backoff_delay`) lives here too, as
small pure functions.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import math
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantpro.clock import Clock, format_duration
from quantpro.net.retry import MAX_RETRY_AFTER
from quantpro.store.atomic import atomic_write_json, read_json
from quantpro.store.layout import RATELIMIT_LOCK, RATELIMIT_STATE
from quantpro.store.locks import DEFAULT_LOCK_TIMEOUT_S, BoundedLock

log = logging.getLogger(__name__)

STATE_FILE = RATELIMIT_STATE
LOCK_FILE = RATELIMIT_LOCK
STATE_SCHEMA_VERSION = 1
#: How long to wait for another process's hold on the shared state before naming it and stopping.
LOCK_TIMEOUT_S = DEFAULT_LOCK_TIMEOUT_S
#: A wait at least this long is logged at INFO with its reason (a shorter one at DEBUG).
LONG_WAIT_S = 10.0


def eta_seconds(units_left: int, calls: int, period: float, free_now: int | None = None) -> float:
    """Seconds the API phase still needs for ``units_left`` quota units at ``calls`` per ``period``.

    ``free_now`` units can go out at once (default: a whole window, as at the start of a cold scan);
    every further window's worth of units waits one more period. With an empty window this is the
    benchmark's floor, (⌈units / C⌉ − 1) · W.
    """
    if units_left <= 0:
        return 0.0
    free = calls if free_now is None else max(0, min(calls, free_now))
    remaining = units_left - free
    if remaining <= 0:
        return 0.0
    return math.ceil(remaining / calls) * period


def key_fingerprint(key: str) -> str:
    """A short, non-reversible name for an API key, for bucket names and logs."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


# -- the window -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reservation:
    """Units taken from the window at ``at``; ``waited`` is how long :meth:`RateLimiter.reserve` blocked."""

    id: str
    units: int
    at: float
    waited: float


@dataclass
class _Entry:
    at: float
    units: int
    id: str


@dataclass
class _Bucket:
    """One key's log. Pure data; every method takes ``now`` so the arithmetic is testable."""

    entries: list[_Entry] = field(default_factory=list)
    blocked_until: float = 0.0
    dirty: bool = False

    def prune(self, now: float, period: float) -> None:
        # One expression for expiry everywhere (``at + period <= now``): the wait computed in
        # ``earliest_start`` lands exactly on it, so a fake clock never loops on a rounding error.
        kept = [e for e in self.entries if not e.at + period <= now]
        if len(kept) != len(self.entries):
            self.entries = kept
            self.dirty = True

    def used(self, now: float, period: float) -> int:
        return sum(e.units for e in self.entries if not e.at + period <= now)

    def discard_future(self, now: float, period: float) -> float:
        """Forget what would hold requests longer than a window plus the largest believed
        ``Retry-After`` (a clock stepped back, an edited file, ``1e300``); returns the longest such
        hold in seconds (0 when nothing was discarded)."""
        horizon = now + period + MAX_RETRY_AFTER
        worst = 0.0
        kept = []
        for entry in self.entries:
            if entry.at + period > horizon:
                worst = max(worst, entry.at + period - now)
            else:
                kept.append(entry)
        if self.blocked_until > horizon:
            worst = max(worst, self.blocked_until - now)
            self.blocked_until = 0.0
        if worst:
            self.entries = kept
            self.dirty = True
        return worst

    def find(self, reservation_id: str) -> _Entry | None:
        return next((e for e in self.entries if e.id == reservation_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "log": [[e.at, e.units, e.id] for e in self.entries],
            "blocked_until": self.blocked_until,
        }

    @classmethod
    def from_json(cls, raw: Any) -> _Bucket:
        if not isinstance(raw, dict):
            return cls()
        entries = [
            _Entry(float(item[0]), int(item[1]), str(item[2]))
            for item in raw.get("log", [])
            if isinstance(item, list) and len(item) == 3
        ]
        blocked = raw.get("blocked_until", 0.0)
        return cls(entries, float(blocked) if isinstance(blocked, int | float) else 0.0)


def earliest_start(
    entries: list[tuple[float, int]],
    units: int,
    *,
    calls: int,
    period: float,
    now: float,
    blocked_until: float,
) -> float:
    """The earliest moment ≥ ``now`` when ``units`` more fit in the window and no 429 block holds.

    ``entries`` are ``(time, units)`` reservations. Units free up as the oldest reservations leave the
    window, so the answer is ``now`` or the expiry of the reservation that frees the last unit needed.
    """
    start = max(now, blocked_until)
    live = sorted((at, n) for at, n in entries if not at + period <= start)
    excess = sum(n for _, n in live) + units - calls
    if excess <= 0:
        return start
    freed = 0
    for at, n in live:
        freed += n
        if freed >= excess:
            return at + period
    raise ValueError(f"{units} units can never fit in a window of {calls}")


def units_fitting(
    entries: list[tuple[float, int]],
    wanted: int,
    *,
    calls: int,
    period: float,
    now: float,
    blocked_until: float,
) -> int:
    """How many of ``wanted`` units can go at the earliest moment any unit can (docs/design.md §5: no idling
    while units are free). A caller that sends that many at once never waits for the rest to free up."""
    start = earliest_start(entries, 1, calls=calls, period=period, now=now, blocked_until=blocked_until)
    used = sum(n for at, n in entries if not at + period <= start)
    return max(1, min(wanted, calls - used))


class RateLimiter:
    """``calls`` units per rolling ``period`` seconds; thread-safe, optionally shared across processes."""

    def __init__(
        self,
        calls: int,
        period: float,
        *,
        clock: Clock,
        state_dir: Path | None = None,
        name: str = "default",
    ) -> None:
        if calls < 1 or period <= 0:
            raise ValueError(f"a window needs calls ≥ 1 and period > 0 (got {calls}, {period})")
        self.calls = calls
        self.period = float(period)
        self.clock = clock
        self.name = name
        self.state_path = Path(state_dir) / STATE_FILE if state_dir is not None else None
        self._file_lock = (
            BoundedLock(Path(state_dir) / LOCK_FILE, what="Coinalyze quota", timeout=LOCK_TIMEOUT_S)
            if state_dir is not None
            else None
        )
        self._thread_lock = threading.Lock()
        self._memory = _Bucket()
        self._ids = itertools.count(1)
        self._id_prefix = f"{os.getpid():x}-{id(self):x}"

    # -- public API ---------------------------------------------------------------------------------

    def acquire(self, units: int) -> float:
        """Block until ``units`` fit, record them, and return the seconds waited."""
        return self.reserve(units).waited

    def reserve(self, units: int) -> Reservation:
        """Like :meth:`acquire`, returning the reservation to :meth:`settle` or :meth:`release` later."""
        self._check_units(units)
        started = self.clock.now()
        while True:
            with self._bucket() as bucket:
                now = self.clock.now()
                bucket.prune(now, self.period)
                start = earliest_start(
                    [(e.at, e.units) for e in bucket.entries],
                    units,
                    calls=self.calls,
                    period=self.period,
                    now=now,
                    blocked_until=bucket.blocked_until,
                )
                if start <= now:
                    entry = _Entry(now, units, f"{self._id_prefix}-{next(self._ids)}")
                    bucket.entries.append(entry)
                    bucket.dirty = True
                    waited = now - started
                    return Reservation(entry.id, units, now, waited)
                if start <= bucket.blocked_until:
                    reason = "held until the API's Retry-After has passed (HTTP 429)"
                else:
                    used = bucket.used(now, self.period)
                    window = format_duration(self.period)
                    reason = f"window full: {used} of {self.calls} units used in the last {window}"
            self._wait(start - now, units, reason)

    def settle(self, reservation: Reservation, at: float) -> None:
        """Date a charge no earlier than ``at`` (when the answer arrived), so we never run ahead."""
        with self._bucket() as bucket:
            entry = bucket.find(reservation.id)
            if entry is None:  # pruned while the request was in flight: the server still charged it
                bucket.entries.append(_Entry(at, reservation.units, reservation.id))
            elif at > entry.at:
                entry.at = at
            else:
                return
            bucket.dirty = True

    def release(self, reservation: Reservation) -> None:
        """Give back units the server did not charge (answers 400, 401, 403, 429)."""
        with self._bucket() as bucket:
            entry = bucket.find(reservation.id)
            if entry is not None:
                bucket.entries.remove(entry)
                bucket.dirty = True

    def block_until(self, when: float) -> None:
        """Hold every request until ``when`` (after a 429); the window is still checked afterwards."""
        with self._bucket() as bucket:
            if when > bucket.blocked_until:
                bucket.blocked_until = when
                bucket.dirty = True

    def fitting(self, wanted: int) -> int:
        """How many of ``wanted`` units would go at the earliest moment the window lets anything go."""
        with self._bucket() as bucket:
            now = self.clock.now()
            entries = [(e.at, e.units) for e in bucket.entries]
            return units_fitting(
                entries,
                min(wanted, self.calls),
                calls=self.calls,
                period=self.period,
                now=now,
                blocked_until=bucket.blocked_until,
            )

    def used(self) -> int:
        """Units in the window now (including other processes' when shared)."""
        with self._bucket() as bucket:
            return bucket.used(self.clock.now(), self.period)

    # -- internals ----------------------------------------------------------------------------------

    def _check_units(self, units: int) -> None:
        if units < 1:
            raise ValueError(f"units must be ≥ 1, got {units}")
        if units > self.calls:
            raise ValueError(
                f"{units} units can never fit in a window of {self.calls}; shrink the batch "
                "(settings.batch_size)"
            )

    def _wait(self, seconds: float, units: int, reason: str) -> None:
        level = logging.INFO if seconds >= LONG_WAIT_S else logging.DEBUG
        log.log(level, "waiting %s for %d units: %s", format_duration(seconds), units, reason)
        self.clock.sleep(seconds)

    @contextlib.contextmanager
    def _bucket(self) -> Iterator[_Bucket]:
        """This limiter's bucket, locked; shared state is re-read before and written after if changed."""
        with self._thread_lock:
            if self._file_lock is None:
                yield self._memory
                return
            with self._file_lock:
                doc = self._read_state()
                bucket = self._load_bucket(doc)
                yield bucket
                if bucket.dirty:
                    try:
                        self._write_state(doc, bucket)
                    except OSError as exc:  # a full or read-only disk: keep counting, in memory
                        self._go_private(bucket, exc)

    def _go_private(self, bucket: _Bucket, exc: OSError) -> None:
        """Stop sharing: the state file cannot be written, so this limiter counts alone from here on."""
        log.warning(
            "could not save the shared quota state %s (%s); this scan counts its quota alone from now on",
            self.state_path,
            exc.strerror or exc,
        )
        bucket.dirty = False
        self._memory = bucket
        self._file_lock = None

    def _read_state(self) -> dict[str, Any]:
        assert self.state_path is not None
        raw = read_json(self.state_path, what="rate-limit state")
        if isinstance(raw, dict) and isinstance(raw.get("buckets"), dict):
            return raw
        if raw is not None:
            log.warning("rate-limit state %s has an unexpected shape; starting empty", self.state_path)
        return {"schema_version": STATE_SCHEMA_VERSION, "buckets": {}}

    def _load_bucket(self, doc: dict[str, Any]) -> _Bucket:
        try:
            bucket = _Bucket.from_json(doc["buckets"].get(self.name))
        except (TypeError, ValueError, IndexError, OverflowError):
            log.warning("rate-limit state %s holds a malformed log; starting empty", self.state_path)
            doc["buckets"].pop(self.name, None)
            return _Bucket(dirty=True)
        ahead = bucket.discard_future(self.clock.now(), self.period)
        if ahead:
            log.warning(
                "rate-limit state %s would hold requests %s from now, longer than a window plus the "
                "largest Retry-After we believe (the clock stepped back, or the file was edited); discarded",
                self.state_path,
                format_duration(ahead) if ahead < 1e9 else f"{ahead:.3g} s",
            )
        return bucket

    def _write_state(self, doc: dict[str, Any], bucket: _Bucket) -> None:
        assert self.state_path is not None
        now = self.clock.now()
        bucket.prune(now, self.period)
        buckets: dict[str, Any] = {}
        for name, raw in doc["buckets"].items():  # drop other buckets that hold nothing any more
            try:
                other = _Bucket.from_json(raw)
            except (TypeError, ValueError, IndexError):
                continue
            other.prune(now, self.period)
            if other.entries or other.blocked_until > now:
                buckets[name] = other.to_json()
        buckets[self.name] = bucket.to_json()
        atomic_write_json(self.state_path, {"schema_version": STATE_SCHEMA_VERSION, "buckets": buckets})
