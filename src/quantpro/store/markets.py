"""Find and load the markets of a data directory, tolerant of whatever lands there (docs/design.md §4).

A data directory is shared with people, other programs and the scanner itself, so every entry is
classified before anything is read (by ``stat``, never opened): the scanner's own files are ignored
silently (:func:`quantpro.store.layout.is_own_file`), everything else that is not a usable candle file
is *skipped and named with a reason*, and repairable faults are repaired and *noted*. One bad file
never stops the scan. What is closed, resampled or stale is decided by
:func:`quantpro.candles.prepare_market`, once.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from quantpro.candles import MarketCandles, prepare_market
from quantpro.errors import ConfigError, DataFileError
from quantpro.models import TIMEFRAME_MS, Candles, MarketKey
from quantpro.store.candles import read_candle_file
from quantpro.store.layout import is_own_file, parse_candle_file_name

__all__ = [
    "LoadResult",
    "LoadedMarket",
    "MarketFiles",
    "SkippedFile",
    "discover_markets",
    "load_market",
    "load_markets",
]

log = logging.getLogger(__name__)


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
    """One market's candles: every usable row of its files, and the view a scan at ``now_ms`` uses."""

    key: MarketKey
    ltf_all: Candles  # every usable LTF candle, the forming one included
    htf_all: Candles | None  # the HTF file's candles; None when missing or unusable (then resampled)
    candles: MarketCandles  # closed candles of both timeframes at the load's moment, stale or not
    notes: list[str] = field(default_factory=list)  # "FILE: what was repaired or fell back"
    skipped_htf: SkippedFile | None = None  # the HTF file, when present but unusable

    @property
    def ltf(self) -> Candles:
        return self.candles.ltf

    @property
    def htf(self) -> Candles:
        return self.candles.htf

    @property
    def htf_resampled(self) -> bool:
        return self.candles.htf_resampled

    @property
    def stale(self) -> bool:
        return self.candles.stale

    def at(self, now_ms: int, htf_timeframe: str) -> MarketCandles:
        """The market as a scan at another moment would see it (``scan --as-of``, the backtest)."""
        return prepare_market(self.ltf_all, self.htf_all, htf_timeframe, now_ms=now_ms)


@dataclass
class LoadResult:
    """Everything :func:`load_markets` found: usable markets, skipped files and repair notes."""

    markets: list[LoadedMarket]
    skipped: list[SkippedFile]
    notes: list[tuple[str, str]]  # (file name, note)


# --------------------------------------------------------------------------- discovery


def _inside(link: Path) -> bool:
    """Whether the symlink ``link`` resolves to a file inside its own directory tree (DATA_DIR)."""
    try:
        return Path(os.path.realpath(link)).is_relative_to(Path(os.path.realpath(link.parent)))
    except (OSError, ValueError):
        return False


def _entry_problem(entry: os.DirEntry[str]) -> str | None:
    """Why a directory entry cannot be read as a file, without ever opening it (FIFOs would block)."""
    if entry.is_symlink() and not _inside(Path(entry.path)):
        return "a symlink out of DATA_DIR (not followed)"
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
    parsed = parse_candle_file_name(name)
    if parsed is None:
        return "name does not fit EXCHANGE_SYMBOL_TIMEFRAME.json"
    timeframe = parsed.timeframe
    if timeframe not in TIMEFRAME_MS:
        return f"unknown timeframe {timeframe!r}"
    if timeframe not in (ltf, htf):
        return f"timeframe {timeframe} not used by this scan (ltf {ltf}, htf {htf})"
    problem = _entry_problem(entry)
    if problem is not None:
        return problem
    return parsed.exchange, parsed.symbol, timeframe


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


# --------------------------------------------------------------------------- loading


def load_market(files: MarketFiles, *, now_ms: int, ltf: str = "15m", htf: str = "4h") -> LoadedMarket:
    """Load one market; a bad LTF file raises DataFileError, a bad HTF file falls back to resampling.

    The unusable HTF file is returned in ``skipped_htf`` (and noted) rather than raised: the market
    still scans, on a resampled higher timeframe.
    """
    ltf_candles, ltf_notes = read_candle_file(files.ltf, ltf, now_ms=now_ms)
    notes = [f"{files.ltf.name}: {n}" for n in ltf_notes]
    htf_candles: Candles | None = None
    skipped_htf: SkippedFile | None = None
    if files.htf is not None:
        try:
            htf_candles, htf_notes = read_candle_file(files.htf, htf, now_ms=now_ms)
            notes += [f"{files.htf.name}: {n}" for n in htf_notes]
        except DataFileError as exc:
            skipped_htf = SkippedFile(exc.file, exc.reason)
            notes.append(f"{exc.file}: skipped ({exc.reason}); {htf} resampled from {ltf}")
    return LoadedMarket(
        key=files.key,
        ltf_all=ltf_candles,
        htf_all=htf_candles,
        candles=prepare_market(ltf_candles, htf_candles, htf, now_ms=now_ms),
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
    log.debug("loaded %d markets from %s (%d files skipped)", len(markets), data_dir, len(skipped))
    return LoadResult(markets, skipped, notes)
