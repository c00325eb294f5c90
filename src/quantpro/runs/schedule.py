"""Durations, moments and the slots of ``watch`` (docs/design.md §14): small pure functions.

A slot is a multiple of ``every`` seconds since the Unix epoch (so UTC-aligned: ``15m`` slots fall at
:00, :15, :30, :45) plus ``delay`` seconds (time for the exchanges to close the candle).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from quantpro.errors import ConfigError

__all__ = ["MIN_EVERY_S", "missed_slots", "next_slot", "parse_duration", "parse_since"]

#: The shortest ``--every`` (tests use seconds; a real cycle needs far more).
MIN_EVERY_S = 5.0

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_duration(text: str, *, what: str = "duration") -> float:
    """``"15m"`` → 900, ``"20s"`` → 20, ``"1h30m"`` → 5400, ``"0.5s"`` → 0.5, ``"90"`` → 90 seconds."""
    raw = text.strip().lower().replace(" ", "")
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isnan(value):
        parts = _PART.findall(raw)
        if not raw or "".join(n + u for n, u in parts) != raw:
            raise ConfigError(f"{what} {text!r} is not a duration such as 20s, 15m, 1h or 1h30m")
        value = sum(float(n) * _UNITS[u] for n, u in parts)
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{what} {text!r} must be a finite, non-negative duration")
    return value


def parse_since(text: str, *, now: float) -> float:
    """A moment as Unix seconds: a duration ago (``2h``, ``1d``) or a UTC date and time
    (``2026-01-19``, ``2026-01-19 16:00``, ``2026-01-19T16:00:00Z``; an offset is honoured)."""
    raw = text.strip()
    try:
        return now - parse_duration(raw, what="--since")
    except ConfigError:
        pass
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--since {text!r} is neither a duration ago (2h, 1d) nor a UTC time (2026-01-19 16:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def next_slot(now: float, every: float, delay: float) -> float:
    """The first slot at or after ``now``."""
    k = math.ceil((now - delay) / every)
    slot = k * every + delay
    return slot if slot >= now else slot + every


def missed_slots(slot: float, now: float, every: float) -> int:
    """How many later slots have already passed at ``now`` (the machine asleep, a cycle overrunning)."""
    return max(0, math.floor((now - slot) / every))
