"""The response cache: fetched API data per (data type, symbol), empty answers included (docs/design.md §5).

A cached symbol costs no quota, so a warm scan spends nothing. Layout, under the cache directory's
``coinalyze_cache/``: one JSON file per data type (``oi_history.json``, …) holding
``{symbol: {"fetched_at": ms, "value": …}}``. Each file is read once (orjson, so a warm scan of ~1,100
markets parses four small files), kept in memory, and rewritten atomically after each batch that changed
it. Two processes may share the directory: a writer takes a ``FileLock``, re-reads the file, merges
(newest ``fetched_at`` wins) and writes. A corrupt or truncated file is a miss with a warning and is
rebuilt by the next write.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quantpro.clock import Clock, now_ms
from quantpro.errors import LockTimeoutError
from quantpro.sources.coinalyze.endpoints import DEFAULT_HOURS, DataType
from quantpro.store.atomic import atomic_write_json, read_json
from quantpro.store.layout import CACHE_SUBDIR
from quantpro.store.locks import BoundedLock

log = logging.getLogger(__name__)

#: How long a write waits for another process's lock on a cache file before giving up on caching it.
LOCK_TIMEOUT_S = 30.0


_SAFE_NAME = re.compile(r"^[a-z0-9_]+$")

Entry = dict[str, Any]  # {"fetched_at": ms, "value": …}


def cache_table(data_type: DataType, hours: int = DEFAULT_HOURS) -> str:
    """The cache's table for a request: a non-default window is cached apart from the default one."""
    if data_type in (DataType.OI_HISTORY, DataType.LIQUIDATIONS) and hours != DEFAULT_HOURS:
        return f"{data_type.value}_{hours}h"
    return data_type.value


class ResponseCache:
    """Fresh-for-``ttl_seconds`` values per (data type, symbol), persisted under ``directory``.

    ``directory`` is the folder holding the per-type files (``<cache_dir>/coinalyze_cache``; see
    :meth:`in_cache_dir`). A TTL of 0 disables it: nothing is ever fresh.
    """

    def __init__(self, directory: Path, ttl_seconds: float, *, clock: Clock) -> None:
        self.directory = Path(directory)
        self.ttl_seconds = float(ttl_seconds)
        self.clock = clock
        self._tables: dict[str, dict[str, Entry]] = {}
        self._lock = threading.Lock()

    @classmethod
    def in_cache_dir(cls, cache_dir: Path, ttl_seconds: float, *, clock: Clock) -> ResponseCache:
        """The cache of a QuantPro cache directory (``cache_dir/coinalyze_cache``)."""
        return cls(Path(cache_dir) / CACHE_SUBDIR, ttl_seconds, clock=clock)

    # -- reading ------------------------------------------------------------------------------------

    def get(self, data_type: str, symbol: str) -> tuple[bool, Any]:
        """``(True, value)`` when a fresh value is cached (``value`` may be empty), else ``(False, None)``."""
        with self._lock:
            entry = self._table(data_type).get(symbol)
        if entry is None or not self._fresh(entry):
            return False, None
        return True, entry["value"]

    def is_fresh(self, data_type: str, symbol: str) -> bool:
        return self.get(data_type, symbol)[0]

    def fetched_at(self, data_type: str, symbol: str) -> int | None:
        """When the cached value was fetched (Unix ms), fresh or not; ``None`` when never."""
        with self._lock:
            entry = self._table(data_type).get(symbol)
        return None if entry is None else int(entry["fetched_at"])

    # -- writing ------------------------------------------------------------------------------------

    def put_many(self, data_type: str, values: Mapping[str, Any]) -> None:
        """Cache every symbol's value now, and persist the data type's file once for the whole batch."""
        if not values:
            return
        stamp = now_ms(self.clock)
        fresh = {symbol: {"fetched_at": stamp, "value": value} for symbol, value in values.items()}
        with self._lock:
            table = self._table(data_type)
            table.update(fresh)
            self._persist(data_type, table)

    def clear(self) -> None:
        """Forget what is in memory (the files stay); the next read loads them again."""
        with self._lock:
            self._tables.clear()

    # -- internals ----------------------------------------------------------------------------------

    def _fresh(self, entry: Entry) -> bool:
        age_ms = now_ms(self.clock) - int(entry["fetched_at"])
        return 0 <= age_ms < self.ttl_seconds * 1000.0

    def _path(self, data_type: str) -> Path:
        name = str(data_type)
        if not _SAFE_NAME.match(name):
            raise ValueError(f"not a cache table name: {name!r}")
        return self.directory / f"{name}.json"

    def _table(self, data_type: str) -> dict[str, Entry]:
        """The in-memory table, loaded from disk on first use."""
        name = str(data_type)
        table = self._tables.get(name)
        if table is None:
            table = self._load(self._path(name))
            self._tables[name] = table
        return table

    def _load(self, path: Path) -> dict[str, Entry]:
        raw = read_json(path, what="response cache")
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            log.warning("response cache %s is not an object; rebuilding it", path)
            return {}
        table = {sym: entry for sym, entry in raw.items() if _valid_entry(entry)}
        if len(table) != len(raw):
            log.warning("response cache %s: dropped %d malformed entries", path, len(raw) - len(table))
        return table

    def _persist(self, data_type: str, table: dict[str, Entry]) -> None:
        """Merge with what another process may have written since we loaded, then write atomically."""
        path = self._path(data_type)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with BoundedLock(
                path.with_name(path.name + ".lock"), what="response cache", timeout=LOCK_TIMEOUT_S
            ):
                on_disk = self._load(path)
                for symbol, entry in on_disk.items():
                    mine = table.get(symbol)
                    if mine is None or entry["fetched_at"] > mine["fetched_at"]:
                        table[symbol] = entry
                self._drop_expired(table)
                atomic_write_json(path, table)
        except (OSError, LockTimeoutError) as exc:  # a cache is an optimisation: the scan goes on without it
            log.warning("could not write the response cache %s (%s); continuing without it", path, exc)

    def _drop_expired(self, table: dict[str, Entry]) -> None:
        """Keep files small: expired entries can never be served again."""
        stale = [symbol for symbol, entry in table.items() if not self._fresh(entry)]
        for symbol in stale:
            del table[symbol]


def _valid_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and "value" in entry
        and isinstance(entry.get("fetched_at"), int | float)
        and not isinstance(entry.get("fetched_at"), bool)
    )
