"""Candle files (docs/design.md §4): the strict read a scan uses, and the tolerant read, merge and atomic
write the downloader uses. File names come from :mod:`quantpro.store.layout`.

The strict read is on the analysis benchmark's hot path: each file is read once, parsed by orjson and
turned into one ``(n, 6)`` float64 matrix (:func:`quantpro.candles.rows_to_matrix`). A file is opened
non-blocking and re-checked with ``fstat``, so a FIFO swapped in never hangs a scan, and files over
64 MiB are skipped unread. Files are written in the object form of the real sample, compact, oldest
first, through :func:`quantpro.store.atomic.atomic_write_json`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from quantpro.candles import (
    MIN_CANDLES,
    clean_matrix,
    closed_candles,
    closed_count,
    matrix_to_candles,
    rows_to_matrix,
)
from quantpro.errors import DataFileError
from quantpro.models import Candles
from quantpro.store.atomic import atomic_write_json, read_json
from quantpro.store.layout import candle_path

__all__ = [
    "MAX_FILE_BYTES",
    "Candle",
    "candle_path",
    "load_candle_file",
    "merge_candles",
    "read_candle_file",
    "read_candles",
    "to_candle",
    "write_candles",
]

log = logging.getLogger(__name__)

#: Files larger than this are skipped unread: real files are ~150 KB; this bounds memory per file.
MAX_FILE_BYTES = 64 * 1024 * 1024


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; opened non-blocking and re-checked, so a FIFO swapped in never hangs us."""
    name = path.name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise DataFileError(name, f"cannot open: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataFileError(name, "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise DataFileError(name, f"file too large ({info.st_size} bytes, limit {MAX_FILE_BYTES})")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DataFileError(name, f"cannot read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise DataFileError(name, f"file too large (more than {MAX_FILE_BYTES} bytes)")
    return data


def _parse(name: str, data: bytes) -> Any:
    """orjson, strict; NaN/Infinity literals (which orjson rejects) get a second try with stdlib json."""
    if not data.strip():
        raise DataFileError(name, "empty file")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if b"NaN" in data or b"Infinity" in data:
            try:
                return json.loads(data)
            except ValueError:
                pass
        raise DataFileError(name, f"invalid JSON at byte {exc.pos}") from exc


def read_candle_file(path: Path, timeframe: str, *, now_ms: int) -> tuple[Candles, list[str]]:
    """Every usable candle of one file (the forming one included) and its repair notes.

    DataFileError (with the file name) when the file is unusable, including when fewer than
    :data:`~quantpro.candles.MIN_CANDLES` of its candles are closed at ``now_ms``.
    """
    name = Path(path).name
    matrix = rows_to_matrix(name, _parse(name, _read_bytes(Path(path))))
    matrix, notes = clean_matrix(name, matrix, timeframe)
    candles = matrix_to_candles(matrix, timeframe)
    closed = closed_count(candles, now_ms)
    unclosed = len(candles) - closed
    if unclosed > 1:
        notes.append(f"ignored {unclosed} candles not closed at scan time")
    if closed < MIN_CANDLES:
        raise DataFileError(name, f"only {closed} usable closed candles (need {MIN_CANDLES})")
    return candles, notes


def load_candle_file(path: Path, timeframe: str, *, now_ms: int) -> tuple[Candles, list[str]]:
    """One file's candles closed at ``now_ms``, and its repair notes (see :func:`read_candle_file`)."""
    candles, notes = read_candle_file(path, timeframe, now_ms=now_ms)
    return closed_candles(candles, now_ms), notes


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
