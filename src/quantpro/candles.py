"""Pure candle operations: parse rows, repair, closed candles, resample, stale — decided once.

No I/O here: :mod:`quantpro.store.candles` reads the files, :mod:`quantpro.store.markets` finds a data
directory's markets, and both hand arrays to these functions. :func:`prepare_market` is the one place
that decides which candles are *closed* at a moment, whether the higher timeframe is *resampled* from
the lower one, and whether the market is *stale* (docs/design.md §4); the scan, ``scan --as-of`` and the
backtest all call it, so the three can never disagree.

Everything is vectorised numpy on one ``(n, 6)`` float64 matrix per file: loading is on the analysis
benchmark's hot path. pandas is imported only by :func:`candles_from_frame`/:func:`candles_to_frame`,
the ``analyze_symbol`` boundary.
"""

from __future__ import annotations

import logging
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from quantpro.errors import DataFileError
from quantpro.models import TIMEFRAME_MS, Candles, FloatArray, IntArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COLUMNS",
    "MIN_CANDLES",
    "STALE_INTERVALS",
    "MarketCandles",
    "candles_from_frame",
    "candles_to_frame",
    "clean_matrix",
    "closed_candles",
    "closed_count",
    "is_stale",
    "matrix_to_candles",
    "prepare_market",
    "resample",
    "rows_to_matrix",
    "slice_candles",
]

log = logging.getLogger(__name__)

#: Fewer closed, usable candles than this and a file is skipped (docs/design.md §4).
MIN_CANDLES = 50
#: More than this share of bad candles (NaN, zero or negative values) and a file is skipped, not repaired.
MAX_BAD_FRACTION = 0.05
#: A market whose last closed LTF candle ended more than this many LTF intervals ago is stale.
STALE_INTERVALS = 4
#: Unix ms below this (1973-03-03) are taken for seconds or garbage: the contract says milliseconds.
_MIN_PLAUSIBLE_MS = 100_000_000_000

COLUMNS = ("time", "open", "high", "low", "close", "volume")
_ROW = operator.itemgetter(*COLUMNS)


def _describe(value: Any) -> str:
    """A JSON value's kind, with its article, for reasons like "got an object"."""
    names = {dict: "an object", list: "an array", str: "a string", type(None): "null", bool: "a boolean"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def _diagnose(name: str, rows: list[Any]) -> DataFileError:
    """The first candle that breaks the contract, in words (only run once the fast path has failed)."""
    first = rows[0]
    for i, row in enumerate(rows):
        if type(row) is not type(first):
            return DataFileError(name, f"candle {i} is {_describe(row)}, candle 0 {_describe(first)}")
        if isinstance(row, dict):
            missing = [k for k in COLUMNS if k not in row]
            if missing:
                return DataFileError(name, f"candle {i} lacks {', '.join(missing)}")
            values = list(_ROW(row))
        elif len(row) != len(COLUMNS):
            return DataFileError(name, f"candle {i} has {len(row)} values, expected 6 [time, o, h, l, c, v]")
        else:
            values = row
        for column, value in zip(COLUMNS, values, strict=True):
            try:
                float(value)
            except (TypeError, ValueError):
                return DataFileError(
                    name, f"candle {i} has a non-numeric {column} (a {type(value).__name__})"
                )
    return DataFileError(name, "candles are not numeric")


def rows_to_matrix(name: str, rows: Any) -> FloatArray:
    """One ``(n, 6)`` float64 matrix from parsed JSON, in one pass; DataFileError on a wrong shape.

    Numeric strings (``"1.5"``) are accepted as numbers, ``null`` becomes NaN (a bad candle).
    """
    if not isinstance(rows, list):
        raise DataFileError(name, f"expected a JSON array of candles, got {_describe(rows)}")
    if not rows:
        raise DataFileError(name, "no candles")
    first = rows[0]
    try:
        if isinstance(first, dict):
            matrix = np.array(list(map(_ROW, rows)), dtype=np.float64)
        elif isinstance(first, list):
            matrix = np.array(rows, dtype=np.float64)
        else:
            raise DataFileError(name, f"candles must be objects or arrays, got {_describe(first)}")
    except (KeyError, TypeError, ValueError) as exc:
        raise _diagnose(name, rows) from exc
    if matrix.ndim != 2 or matrix.shape[1] != len(COLUMNS):
        raise _diagnose(name, rows)
    return matrix


def _bad_rows(m: FloatArray) -> npt.NDArray[np.bool_]:
    """Rows that cannot be used: time not a positive integer, prices ≤ 0, volume < 0, anything non-finite.

    NaN compares False, so the non-finite test alone catches it; one fused pass per condition.
    """
    time = m[:, 0]
    bad = ~np.isfinite(m).all(axis=1)
    bad |= (m[:, 1:5] <= 0).any(axis=1)
    bad |= m[:, 5] < 0
    bad |= (time <= 0) | (time != np.floor(time))
    return np.asarray(bad, dtype=np.bool_)


def _drop_bad(name: str, m: FloatArray, notes: list[str], *, strict: bool) -> FloatArray:
    bad = _bad_rows(m)
    count = int(bad.sum())
    if count == 0:
        return m
    total = int(m.shape[0])
    if count == total:
        raise DataFileError(name, "no usable prices (every candle has NaN, zero or negative values)")
    if strict and count > MAX_BAD_FRACTION * total:
        raise DataFileError(
            name, f"{count} of {total} candles have NaN, zero or negative values (more than 5 %)"
        )
    notes.append(f"dropped {count} candle(s) with NaN, zero or negative values")
    return m[~bad]


def _order(m: FloatArray, notes: list[str]) -> FloatArray:
    """Sorted by time, duplicates removed keeping the last one in file order."""
    time = m[:, 0]
    steps = np.diff(time)
    if steps.size and (steps < 0).any():
        notes.append(f"sorted {int((steps < 0).sum())} out-of-order candle(s)")
        m = m[np.argsort(time, kind="stable")]
        time = m[:, 0]
        steps = np.diff(time)
    duplicate = steps == 0
    if duplicate.any():
        notes.append(f"removed {int(duplicate.sum())} duplicate time(s), keeping the last")
        keep = np.append(~duplicate, True)
        m = m[keep]
    return m


def _contain_bodies(m: FloatArray, notes: list[str]) -> FloatArray:
    """High/low widened to contain open and close (an exchange glitch); the body is trusted."""
    o, h, lo, c = m[:, 1], m[:, 2], m[:, 3], m[:, 4]
    top = np.maximum(np.maximum(o, c), np.maximum(h, lo))
    bottom = np.minimum(np.minimum(o, c), np.minimum(h, lo))
    wrong = (h != top) | (lo != bottom)
    if wrong.any():
        notes.append(f"widened high/low of {int(wrong.sum())} candle(s) to contain open and close")
        m = m.copy()
        m[:, 2] = top
        m[:, 3] = bottom
    return m


def _check_spacing(name: str, m: FloatArray, timeframe: str) -> None:
    """Times in ms, and most candles one interval apart (a misnamed or seconds-based file is skipped).

    Gaps are allowed (KuCoin omits empty periods), but a file whose usual spacing is not its
    timeframe's would give every indicator the wrong meaning.
    """
    time = m[:, 0]
    if time.size and float(time[-1]) < _MIN_PLAUSIBLE_MS:
        raise DataFileError(name, "times are not Unix milliseconds (seconds?)")
    steps = np.diff(time)
    interval = TIMEFRAME_MS[timeframe]
    if steps.size >= 2 and 2 * int(np.count_nonzero(steps == interval)) < steps.size:
        spacing = float(np.median(steps))
        raise DataFileError(name, f"candles are {spacing:.0f} ms apart, expected {interval} for {timeframe}")


def clean_matrix(
    name: str, m: FloatArray, timeframe: str, *, strict: bool = True
) -> tuple[FloatArray, list[str]]:
    """Validate and repair a ``(n, 6)`` matrix; the notes say what was repaired.

    ``strict`` (files) skips a file with more than 5 % bad candles or the wrong spacing; the pandas
    boundary is lenient and only drops bad rows.
    """
    notes: list[str] = []
    m = _drop_bad(name, m, notes, strict=strict)
    m = _order(m, notes)
    m = _contain_bodies(m, notes)
    if strict:
        _check_spacing(name, m, timeframe)
    return m, notes


def matrix_to_candles(m: FloatArray, timeframe: str) -> Candles:
    """Column views of a cleaned matrix (times as int64)."""
    cols = np.ascontiguousarray(m.T)
    return Candles(timeframe, cols[0].astype(np.int64), cols[1], cols[2], cols[3], cols[4], cols[5])


def _read_only(array: Any) -> Any:
    view = array.view()
    view.flags.writeable = False
    return view


def slice_candles(candles: Candles, stop: int | None) -> Candles:
    """The first ``stop`` rows as read-only views: cheap, and the caller's arrays stay protected."""
    return Candles(
        candles.timeframe,
        *(_read_only(getattr(candles, col)[:stop]) for col in COLUMNS),
    )


def closed_count(candles: Candles, now_ms: int) -> int:
    """How many leading candles are closed at ``now_ms`` (open time + interval ≤ now)."""
    return int(np.searchsorted(candles.time, now_ms - candles.interval_ms, side="right"))


def closed_candles(candles: Candles, now_ms: int) -> Candles:
    """Only candles closed at ``now_ms``: the forming one (and anything later) is never used."""
    return slice_candles(candles, closed_count(candles, now_ms))


def is_stale(ltf: Candles, now_ms: int) -> bool:
    """Whether the last closed LTF candle ended more than 4 LTF intervals before ``now_ms`` (or none)."""
    if len(ltf) == 0:
        return True
    closed_at = int(ltf.time[-1]) + ltf.interval_ms
    return now_ms - closed_at > STALE_INTERVALS * ltf.interval_ms


def resample(ltf: Candles, timeframe: str) -> Candles:
    """Aggregate LTF candles into ``timeframe`` buckets aligned to UTC multiples of its interval.

    A bucket is kept only when complete at both ends: the first when the LTF data starts at the bucket's
    start, the last when the LTF data reaches its end (a partial bucket would give a false open/close).
    Gaps inside a bucket (venues that omit empty periods) do not make it incomplete.
    """
    step = TIMEFRAME_MS[timeframe]
    if len(ltf) == 0:
        return _empty(timeframe)
    bucket = (ltf.time // step) * step
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(ltf)] - 1
    keep = np.ones(starts.size, dtype=bool)
    keep[0] = ltf.time[0] == bucket[0]
    keep[-1] &= int(ltf.time[-1]) + ltf.interval_ms >= int(bucket[-1]) + step
    out = Candles(
        timeframe,
        bucket[starts],
        ltf.open[starts],
        np.maximum.reduceat(ltf.high, starts),
        np.minimum.reduceat(ltf.low, starts),
        ltf.close[ends],
        np.add.reduceat(ltf.volume, starts),
    )
    return Candles(timeframe, *(getattr(out, col)[keep] for col in COLUMNS))


def _empty(timeframe: str) -> Candles:
    f: FloatArray = np.empty(0, dtype=np.float64)
    t: IntArray = np.empty(0, dtype=np.int64)
    return Candles(timeframe, t, f, f.copy(), f.copy(), f.copy(), f.copy())


@dataclass(frozen=True)
class MarketCandles:
    """One market's candles as the strategies see them at a moment: closed only, both timeframes."""

    ltf: Candles
    htf: Candles
    htf_resampled: bool  # the HTF was built from the LTF (its file missing or unusable)
    stale: bool  # the last closed LTF candle ended more than 4 LTF intervals before the moment


def prepare_market(ltf: Candles, htf: Candles | None, htf_timeframe: str, *, now_ms: int) -> MarketCandles:
    """Closed candles of both timeframes at ``now_ms``, the HTF resampled when ``htf`` is None, and the
    stale verdict. Views only: the inputs are never copied or changed."""
    ltf_closed = closed_candles(ltf, now_ms)
    if htf is None:
        htf_closed = slice_candles(resample(ltf_closed, htf_timeframe), None)
    else:
        htf_closed = closed_candles(htf, now_ms)
    return MarketCandles(ltf_closed, htf_closed, htf is None, is_stale(ltf_closed, now_ms))


# --------------------------------------------------------------------------- the pandas boundary


def _frame_times_ms(column: pd.Series) -> FloatArray:
    """A DataFrame's ``time`` column as Unix ms (float64, checked later); naive datetimes are UTC."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(column):
        stamps = pd.to_datetime(column, utc=True).dt.tz_convert(None).dt.as_unit("ms")
        ms = np.asarray(stamps.astype("int64"), dtype=np.float64)
        ms[np.asarray(stamps.isna())] = np.nan
        return ms
    return np.asarray(column, dtype=np.float64)


def candles_from_frame(frame: pd.DataFrame, timeframe: str) -> Candles:
    """Candles from a DataFrame with ``time, open, high, low, close, volume``; the frame is not modified.

    The same repairs as files apply (bad rows dropped, sorted, de-duplicated, bodies contained), but
    leniently: a caller's frame is never rejected for its size or its share of bad rows.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"DataFrame lacks column(s) {', '.join(missing)}")
    if timeframe not in TIMEFRAME_MS:
        raise ValueError(f"unknown timeframe {timeframe!r}")
    matrix = np.empty((len(frame), len(COLUMNS)), dtype=np.float64)
    matrix[:, 0] = _frame_times_ms(frame["time"])
    for i, col in enumerate(COLUMNS[1:], start=1):
        matrix[:, i] = np.asarray(frame[col], dtype=np.float64)
    if matrix.shape[0] == 0:
        return _empty(timeframe)
    matrix, notes = clean_matrix("DataFrame", matrix, timeframe, strict=False)
    for note in notes:
        log.debug("%s frame: %s", timeframe, note)
    return matrix_to_candles(matrix, timeframe)


def candles_to_frame(candles: Candles) -> pd.DataFrame:
    """A DataFrame ``time, open, high, low, close, volume`` (time as int64 ms), copies of the arrays."""
    import pandas as pd

    return pd.DataFrame({col: np.array(getattr(candles, col)) for col in COLUMNS})
