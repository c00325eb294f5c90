"""The name of every file QuantPro owns, in one place.

A data directory is shared with people and other programs, so the scanner must know its own files
(never reported as skipped candle files) and where each lives: the feed and the candle files in
DATA_DIR; the caches, the limiter state and the SQLite store in the cache directory (DATA_DIR by
default, docs/design.md §3). Stale temporary files left by a killed writer are cleaned up from here too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BACKTEST_HTML",
    "BACKTEST_JSON",
    "CACHE_SUBDIR",
    "DEMO_MARKER",
    "FEED_NAME",
    "MARKETS_FILE",
    "RATELIMIT_LOCK",
    "RATELIMIT_STATE",
    "STALE_TEMP_AGE_S",
    "STORE_FILE",
    "SYMBOLS_FILE",
    "WATCH_LOCK",
    "WATCH_STATUS",
    "CandleFileName",
    "candle_file_name",
    "candle_path",
    "is_own_file",
    "parse_candle_file_name",
    "remove_stale_temp_files",
]

log = logging.getLogger(__name__)

# -- DATA_DIR ----------------------------------------------------------------------------------------
FEED_NAME = "master_feed.json"
#: Per-market ccxt facts written by ``download`` (tick size, contract size, …; docs/design.md §12).
MARKETS_FILE = "markets.json"
BACKTEST_JSON = "backtest.json"
BACKTEST_HTML = "backtest.html"
WATCH_STATUS = "watch_status.json"
WATCH_LOCK = "watch.lock"
DEMO_MARKER = ".quantpro-demo"

# -- the cache directory -------------------------------------------------------------------------------
SYMBOLS_FILE = "coinalyze_symbols.json"
CACHE_SUBDIR = "coinalyze_cache"
RATELIMIT_STATE = "coinalyze_ratelimit.json"
RATELIMIT_LOCK = "coinalyze_ratelimit.lock"
STORE_FILE = "quantpro.sqlite"
#: Venue pacing state shared by every process on the machine lives in the cache directory too.
VENUE_PACING_STATE = "venue_pacing.json"
VENUE_PACING_LOCK = "venue_pacing.lock"

#: The scanner's own files and folders, never reported as candle files (docs/design.md §4).
_OWN_NAMES = frozenset(
    {
        FEED_NAME,
        MARKETS_FILE,
        BACKTEST_JSON,
        BACKTEST_HTML,
        WATCH_STATUS,
        WATCH_LOCK,
        SYMBOLS_FILE,
        CACHE_SUBDIR,
        RATELIMIT_STATE,
        RATELIMIT_LOCK,
        STORE_FILE,
        STORE_FILE + "-wal",
        STORE_FILE + "-shm",
        STORE_FILE + "-journal",
        VENUE_PACING_STATE,
        VENUE_PACING_LOCK,
        "quantpro.toml",
        ".env",
    }
)
_OWN_SUFFIXES = (".lock", ".holder", ".tmp", ".temp", ".part", ".partial", ".swp", "~")
_OWN_INFIXES = (".corrupt-",)

#: A temp file older than this was left by a writer killed mid-write (SIGKILL, power loss); a younger
#: one may belong to a run going on right now in the same directory, so it is left alone.
STALE_TEMP_AGE_S = 3600.0

# -- candle files --------------------------------------------------------------------------------------
_CANDLE_NAME = re.compile(
    r"^(?P<exchange>[A-Z][A-Z0-9]*)_(?P<symbol>[A-Za-z0-9]+)_(?P<tf>[0-9]+[a-zA-Z]+)\.json$"
)


@dataclass(frozen=True, slots=True)
class CandleFileName:
    """``{EXCHANGE}_{SYMBOL}_{TIMEFRAME}.json`` taken apart (the timeframe is not checked here)."""

    exchange: str
    symbol: str
    timeframe: str


def candle_file_name(exchange: str, symbol: str, timeframe: str) -> str:
    """``MEXC_BTCUSDT_15m.json`` (docs/design.md §4)."""
    return f"{exchange}_{symbol}_{timeframe}.json"


def candle_path(data_dir: Path, exchange: str, symbol: str, timeframe: str) -> Path:
    """``DATA_DIR/{EXCHANGE}_{SYMBOL}_{TIMEFRAME}.json``."""
    return Path(data_dir) / candle_file_name(exchange, symbol, timeframe)


def parse_candle_file_name(name: str) -> CandleFileName | None:
    """The parts of a candle-file name, or ``None`` when ``name`` does not fit the pattern."""
    match = _CANDLE_NAME.match(name)
    if match is None:
        return None
    return CandleFileName(match["exchange"], match["symbol"], match["tf"])


def is_own_file(name: str) -> bool:
    """The scanner's own files, dotfiles and temp/lock files: never candles, never reported."""
    return (
        name.startswith(".")
        or name in _OWN_NAMES
        or name.endswith(_OWN_SUFFIXES)
        or any(infix in name for infix in _OWN_INFIXES)
    )


def remove_stale_temp_files(
    directories: Iterable[Path], *, now: float, older_than_s: float = STALE_TEMP_AGE_S
) -> int:
    """Delete temp files (``.NAME.XXXX.tmp``) that killed writers left in ``directories`` and in their
    ``coinalyze_cache/``; returns how many were removed."""
    folders = dict.fromkeys(Path(d) for d in directories)
    folders.update(dict.fromkeys(Path(d) / CACHE_SUBDIR for d in list(folders)))
    removed = 0
    for folder in folders:
        with contextlib.suppress(OSError):
            for tmp in folder.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    if now - tmp.stat().st_mtime > older_than_s:
                        tmp.unlink()
                        removed += 1
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run", removed)
    return removed


def unreplaceable_reason(path: Path, data_dir: Path) -> str | None:
    """Why the feed must not replace ``path``, or ``None`` when it may (a regular file, or nothing yet).

    ``lstat``, not ``stat``: a symlink is refused, whatever it points to, and so are devices, FIFOs,
    sockets, directories and DATA_DIR's own candle and markets files (issue 16 §2)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        return f"cannot be inspected ({exc.strerror or exc})"
    if info is not None and stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if info is not None and not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a device, FIFO, socket or directory)"
    parent = Path(path).parent
    with contextlib.suppress(OSError):
        if parent.resolve() == Path(data_dir).resolve():
            name = Path(path).name
            if parse_candle_file_name(name) is not None or name == MARKETS_FILE:
                return "is one of DATA_DIR's own input files"
    return None
