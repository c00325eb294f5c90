"""Reading a feed signal for display: how far its stop and target are, and when its setup fired.

The terminal table (``cli/rows.py``) and the dashboard (``web/rows.py``) show the same columns, so
they read them here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quantpro.models import TIMEFRAME_MS

__all__ = ["FIRED_KEYS", "distance_pct", "fired"]

#: The ``details`` keys in which a strategy says how many bars ago its setup fired.
FIRED_KEYS = ("bars_since_break", "bars_since_signal", "bars_since_trigger", "bars_ago")


def distance_pct(entry: float | None, level: float | None) -> float | None:
    """How far ``level`` is from ``entry``, in percent of the entry (``None`` when either is unknown)."""
    if entry is None or level is None or entry == 0:
        return None
    return abs(level - entry) / abs(entry) * 100.0


def fired(signal: Mapping[str, Any], ltf: str) -> tuple[int | None, int | None]:
    """Bars since the setup fired, and the close (ms) of that bar."""
    calculated = signal.get("calculated_at")
    if not isinstance(calculated, int):
        return None, None
    details = signal.get("details") or {}
    bars = next((details[k] for k in FIRED_KEYS if isinstance(details.get(k), int)), 0)
    step = TIMEFRAME_MS.get(ltf)
    if step is None:
        return bars, calculated
    return bars, calculated + step - bars * step  # calculated_at is the last closed bar's open
