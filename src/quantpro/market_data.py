"""Find and load candle files, tolerant of whatever lands in a data directory (DESIGN.md §4).

A data directory is shared with people, other programs and the scanner itself, so every entry is
classified before anything is read: the scanner's own files are ignored silently, everything else
that is not a usable candle file is *skipped and named with a reason*, and repairable faults
(unsorted or duplicate times, a few bad candles, high/low not containing open/close) are repaired
and *noted*. One bad file never stops the scan.

Loading is on the analysis benchmark's hot path (DESIGN.md §10: a warm scan of 658 markets within
10× the time orjson needs to parse the files), so each file is read once, parsed by orjson, turned
into one ``(n, 6)`` float64 matrix in a single pass, and validated with vectorised numpy. pandas is
imported only by :func:`candles_from_frame`/:func:`candles_to_frame`, the ``analyze_symbol`` boundary.
"""

from __future__ import annotations

import errno
import json
import logging
import operator
import os
import re
import stat
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import orjson

from quantpro.errors import ConfigError, DataFileError
from quantpro.models import TIMEFRAME_MS, Candles, FloatArray, IntArray, MarketKey

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LoadResult",
    "LoadedMarket",
    "MarketFiles",
    "SkippedFile",
    "candles_from_frame",
    "candles_to_frame",
    "closed_candles",
    "discover_markets",
    "is_stale",
    "load_candle_file",
    "load_market",
    "load_markets",
    "resample",
]

log = logging.getLogger(__name__)

#: Fewer closed, usable candles than this and a file is skipped (DESIGN.md §4).
MIN_CANDLES = 50
#: More than this share of bad candles (NaN, zero or negative values) and a file is skipped, not repaired.
MAX_BAD_FRACTION = 0.05
#: A market whose last closed LTF candle ended more than this many LTF intervals ago is stale.
STALE_INTERVALS = 4
#: Files larger than this are skipped unread: real files are ~150 KB; this bounds memory per file.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Unix ms below this (1973-03-03) are taken for seconds or garbage: the contract says milliseconds.
_MIN_PLAUSIBLE_MS = 100_000_000_000

COLUMNS = ("time", "open", "high", "low", "close", "volume")
_ROW = operator.itemgetter(*COLUMNS)

_CANDLE_NAME = re.compile(
    r"^(?P<exchange>[A-Z][A-Z0-9]*)_(?P<symbol>[A-Za-z0-9]+)_(?P<tf>[0-9]+[a-zA-Z]+)\.json$"
)
#: The scanner's own files and folders, never reported (DESIGN.md §4).
_OWN_NAMES = frozenset(
    {
        "master_feed.json",
        "coinalyze_symbols.json",
        "coinalyze_cache",
        "coinalyze_ratelimit.json",
        "quantpro.toml",
        ".env",
    }
)
_OWN_SUFFIXES = (".lock", ".tmp", ".temp", ".part", ".partial", ".swp", "~")


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file in the data directory that the scan did not use, and why."""

    file: str  # the file name, not the path
    reason: str


@dataclass(frozen=True, slots=True)
class MarketFiles:
    """The files of one market: its LTF file and, when present, its HTF file."""

    key: MarketKey
    ltf: Path
    htf: Path | None


@dataclass
class LoadedMarket:
    """One market's closed candles, ready for :class:`quantpro.features.FeatureFactory`."""

    key: MarketKey
    ltf: Candles
    htf: Candles
    htf_resampled: bool  # the HTF was built from the LTF (file missing or unusable)
    stale: bool  # last closed LTF candle ended more than 4 LTF intervals before the scan
    notes: list[str] = field(default_factory=list)  # "FILE: what was repaired or fell back"
    skipped_htf: SkippedFile | None = None  # the HTF file, when present but unusable


@dataclass
class LoadResult:
    """Everything :func:`load_markets` found: usable markets, skipped files and repair notes."""

    markets: list[LoadedMarket]
    skipped: list[SkippedFile]
    notes: list[tuple[str, str]]  # (file name, note)


# --------------------------------------------------------------------------- discovery


def is_own_file(name: str) -> bool:
    """The scanner's own files, dotfiles and temp/lock files: never candles, never reported."""
    return name.startswith(".") or name in _OWN_NAMES or name.endswith(_OWN_SUFFIXES)


def _entry_problem(entry: os.DirEntry[str]) -> str | None:
    """Why a directory entry cannot be read as a file, without ever opening it (FIFOs would block)."""
    try:
        mode = entry.stat(follow_symlinks=True).st_mode
    except OSError as exc:
        kind = (
            "symlink loop"
            if exc.errno == errno.ELOOP
            else "broken symlink"
            if entry.is_symlink()
            else "cannot stat"
        )
        return f"{kind}: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO, not a regular file"
    return "not a regular file"


def _classify(entry: os.DirEntry[str], ltf: str, htf: str) -> tuple[str, str, str] | str | None:
    """``(exchange, symbol, timeframe)`` of a candle file, a reason to skip it, or ``None`` to ignore it."""
    name = entry.name
    if is_own_file(name):
        return None
    if not name.endswith(".json"):
        if entry.is_dir(follow_symlinks=False):
            log.debug("ignoring directory %s", name)
        else:
            log.debug("ignoring %s: not a .json file", name)
        return None
    match = _CANDLE_NAME.match(name)
    if match is None:
        return "name does not fit EXCHANGE_SYMBOL_TIMEFRAME.json"
    timeframe = match["tf"]
    if timeframe not in TIMEFRAME_MS:
        return f"unknown timeframe {timeframe!r}"
    if timeframe not in (ltf, htf):
        return f"timeframe {timeframe} not used by this scan (ltf {ltf}, htf {htf})"
    problem = _entry_problem(entry)
    if problem is not None:
        return problem
    return match["exchange"], match["symbol"], timeframe


def _check_timeframes(ltf: str, htf: str) -> None:
    for name, tf in (("ltf", ltf), ("htf", htf)):
        if tf not in TIMEFRAME_MS:
            raise ConfigError(
                f"unknown {name} timeframe {tf!r}; valid timeframes are {', '.join(TIMEFRAME_MS)}"
            )
    if TIMEFRAME_MS[htf] <= TIMEFRAME_MS[ltf] or TIMEFRAME_MS[htf] % TIMEFRAME_MS[ltf]:
        raise ConfigError(f"htf {htf} must be a whole multiple of ltf {ltf}, and longer")


def _scan_dir(data_dir: Path) -> list[os.DirEntry[str]]:
    if not data_dir.is_dir():
        raise ConfigError(f"data directory not found: {data_dir}")
    try:
        with os.scandir(data_dir) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise ConfigError(f"cannot read data directory {data_dir}: {exc.strerror or exc}") from exc


def discover_markets(
    data_dir: Path, *, ltf: str = "15m", htf: str = "4h", ignore: Collection[str] = ()
) -> tuple[list[MarketFiles], list[SkippedFile]]:
    """Pair each market's LTF and HTF files; name every other file that is not the scanner's own.

    ``ignore`` adds file names to leave alone silently (e.g. a feed written under a custom name).
    Raises ConfigError when ``data_dir`` is not a readable directory or the timeframes are invalid.
    """
    _check_timeframes(ltf, htf)
    data_dir = Path(data_dir)
    found: dict[tuple[str, str], dict[str, Path]] = {}
    skipped: list[SkippedFile] = []
    for entry in _scan_dir(data_dir):
        if entry.name in ignore:
            continue
        verdict = _classify(entry, ltf, htf)
        if isinstance(verdict, str):
            skipped.append(SkippedFile(entry.name, verdict))
        elif verdict is not None:
            exchange, symbol, timeframe = verdict
            found.setdefault((exchange, symbol), {})[timeframe] = data_dir / entry.name
    markets: list[MarketFiles] = []
    for (exchange, symbol), files in sorted(found.items()):
        if ltf not in files:
            skipped.append(SkippedFile(files[htf].name, f"{htf} file without its {ltf} pair"))
            continue
        markets.append(MarketFiles(MarketKey(exchange, symbol), files[ltf], files.get(htf)))
    log.debug("discovered %d markets, %d files skipped in %s", len(markets), len(skipped), data_dir)
    return markets, skipped


# --------------------------------------------------------------------------- reading and parsing


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
                return DataFileError(name, f"candle {i} has a non-numeric {column}: {value!r:.40}")
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


# --------------------------------------------------------------------------- validation and repair


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


# --------------------------------------------------------------------------- closed candles, resampling


def _read_only(array: Any) -> Any:
    view = array.view()
    view.flags.writeable = False
    return view


def slice_candles(candles: Candles, stop: int) -> Candles:
    """The first ``stop`` rows as read-only views: cheap, and the caller's arrays stay protected."""
    return Candles(
        candles.timeframe,
        *(_read_only(getattr(candles, col)[:stop]) for col in COLUMNS),
    )


def closed_candles(candles: Candles, now_ms: int) -> Candles:
    """Only candles closed at ``now_ms`` (open time + interval ≤ now): the forming one is never used."""
    stop = int(np.searchsorted(candles.time, now_ms - candles.interval_ms, side="right"))
    return slice_candles(candles, stop)


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


# --------------------------------------------------------------------------- loading


def load_candle_file(path: Path, timeframe: str, *, now_ms: int) -> tuple[Candles, list[str]]:
    """One file's closed candles and repair notes; DataFileError (with the file name) when unusable."""
    name = Path(path).name
    matrix = rows_to_matrix(name, _parse(name, _read_bytes(Path(path))))
    matrix, notes = clean_matrix(name, matrix, timeframe)
    candles = closed_candles(matrix_to_candles(matrix, timeframe), now_ms)
    unclosed = int(matrix.shape[0]) - len(candles)
    if unclosed > 1:
        notes.append(f"ignored {unclosed} candles not closed at scan time")
    if len(candles) < MIN_CANDLES:
        raise DataFileError(name, f"only {len(candles)} usable closed candles (need {MIN_CANDLES})")
    return candles, notes


def load_market(files: MarketFiles, *, now_ms: int, ltf: str = "15m", htf: str = "4h") -> LoadedMarket:
    """Load one market; a bad LTF file raises DataFileError, a bad HTF file falls back to resampling.

    The unusable HTF file is returned in ``skipped_htf`` (and noted) rather than raised: the market
    still scans, on a resampled higher timeframe.
    """
    ltf_candles, ltf_notes = load_candle_file(files.ltf, ltf, now_ms=now_ms)
    notes = [f"{files.ltf.name}: {n}" for n in ltf_notes]
    htf_candles: Candles | None = None
    skipped_htf: SkippedFile | None = None
    if files.htf is not None:
        try:
            htf_candles, htf_notes = load_candle_file(files.htf, htf, now_ms=now_ms)
            notes += [f"{files.htf.name}: {n}" for n in htf_notes]
        except DataFileError as exc:
            skipped_htf = SkippedFile(exc.file, exc.reason)
            notes.append(f"{exc.file}: skipped ({exc.reason}); {htf} resampled from {ltf}")
    if htf_candles is None:
        htf_candles = resample(ltf_candles, htf)
    return LoadedMarket(
        key=files.key,
        ltf=ltf_candles,
        htf=htf_candles,
        htf_resampled=files.htf is None or skipped_htf is not None,
        stale=is_stale(ltf_candles, now_ms),
        notes=notes,
        skipped_htf=skipped_htf,
    )


def load_markets(
    data_dir: Path, *, now_ms: int, ltf: str = "15m", htf: str = "4h", ignore: Collection[str] = ()
) -> LoadResult:
    """Every usable market in ``data_dir``; unusable files are skipped with a reason, repairs noted."""
    found, skipped = discover_markets(data_dir, ltf=ltf, htf=htf, ignore=ignore)
    markets: list[LoadedMarket] = []
    notes: list[tuple[str, str]] = []
    for files in found:
        try:
            market = load_market(files, now_ms=now_ms, ltf=ltf, htf=htf)
        except DataFileError as exc:
            log.debug("skipping %s: %s", exc.file, exc.reason)
            skipped.append(SkippedFile(exc.file, exc.reason))
            if files.htf is not None:
                skipped.append(SkippedFile(files.htf.name, f"its {ltf} pair {exc.file} was skipped"))
            continue
        if market.skipped_htf is not None:
            skipped.append(market.skipped_htf)
        for note in market.notes:
            file, _, text = note.partition(": ")
            notes.append((file, text))
            log.info("%s: %s", file, text)  # repairs are named where people read them, not only at debug
        markets.append(market)
    skipped.sort(key=lambda s: s.file)
    log.info("loaded %d markets from %s (%d files skipped)", len(markets), data_dir, len(skipped))
    return LoadResult(markets, skipped, notes)


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
