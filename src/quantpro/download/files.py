"""Candle files (DESIGN.md §4): name, tolerant read, merge/trim, atomic write.

Files are written in the object form of the real sample (``{"time", "open", "high", "low", "close",
"volume"}``), compact, oldest first, through :func:`quantpro.storage.atomic_write_json`, so a crash at
any moment leaves every file either as it was or fully written.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from quantpro.storage import atomic_write_json, read_json

log = logging.getLogger(__name__)


class Candle(NamedTuple):
    """One candle; ``time`` is its open time in Unix ms UTC."""

    time: int
    open: float
    high: float
    low: float
    close: float
    volume: float

    def as_json(self) -> dict[str, float | int]:
        return {
            "time": self.time,
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "close": self.close,
            "volume": self.volume,
        }


def candle_path(data_dir: Path, exchange: str, symbol: str, timeframe: str) -> Path:
    """``DATA_DIR/{EXCHANGE}_{SYMBOL}_{TIMEFRAME}.json``."""
    return Path(data_dir) / f"{exchange}_{symbol}_{timeframe}.json"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def to_candle(row: Any) -> Candle | None:
    """A candle from the object form, the array form or a ccxt row; None when it is unusable."""
    if isinstance(row, dict):
        fields = [row.get(k) for k in ("time", "open", "high", "low", "close", "volume")]
    elif isinstance(row, list | tuple) and len(row) >= 6:
        fields = list(row[:6])
    else:
        return None
    numbers = [_number(value) for value in fields]
    if any(n is None for n in numbers):
        return None
    t, o, h, low, c, v = (float(n) for n in numbers if n is not None)
    if t <= 0 or min(o, h, low, c) <= 0:
        return None
    return Candle(int(t), o, h, low, c, v)


def read_candles(path: Path) -> list[Candle]:
    """The candles already in ``path``, oldest first; a missing or corrupt file reads as empty."""
    content = read_json(path, what="candle file")
    if content is None:
        return []
    if not isinstance(content, list):
        log.warning("candle file %s is not a JSON array; it will be downloaded afresh", path)
        return []
    candles = [c for c in (to_candle(row) for row in content) if c is not None]
    return merge_candles([], candles, keep=len(candles) or 1, last_open=None)


def merge_candles(
    existing: Iterable[Candle], new: Iterable[Candle], *, keep: int, last_open: int | None
) -> list[Candle]:
    """Existing ∪ new (new wins on equal times), none opening after ``last_open``, the last ``keep``."""
    by_time = {c.time: c for c in existing}
    by_time.update((c.time, c) for c in new)
    times = sorted(t for t in by_time if last_open is None or t <= last_open)
    return [by_time[t] for t in times[-keep:]]


def write_candles(path: Path, candles: Sequence[Candle]) -> None:
    """Write ``candles`` atomically in the object form, compact."""
    atomic_write_json(path, [c.as_json() for c in candles])
