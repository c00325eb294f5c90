"""The feed as the dashboard holds it: the last good ``master_feed.json`` and what is wrong with the file
on disk now, if anything (docs/design.md §15).

The scanner replaces the feed atomically, but the dashboard reads a directory other programs write to:
a feed may be missing (no scan yet), torn (copied in by hand, a full disk), or written by an older
QuantPro. Then the page says so and keeps showing the last good feed. The file is re-read only when
its identity changes (inode, size, mtime), so polling it costs one ``stat``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from quantpro.clock import Clock, now_ms
from quantpro.feed.build import SCHEMA_VERSION
from quantpro.secrets import redact, registered
from quantpro.store.layout import FEED_NAME

__all__ = ["FeedSnapshot", "FeedWatcher", "feed_problem"]

#: What each signal must carry for the table to show it; a feed without them is not one we can read.
_SIGNAL_NEEDS = ("exchange", "symbol", "strategy", "action", "score")

Signature = tuple[int, int, int, int]  # device, inode, size, mtime_ns


@dataclass(frozen=True, slots=True)
class FeedSnapshot:
    """One good feed: the parsed document, its bytes as served, and when it was read."""

    document: Mapping[str, Any]
    body: bytes  # the file's bytes (secrets redacted, as a second line of defence)
    version: int  # increments with every new good feed this process reads
    read_at_ms: int

    @property
    def signals(self) -> list[Mapping[str, Any]]:
        return list(self.document["signals"])

    @property
    def last_updated(self) -> int:
        return int(self.document["last_updated"])


def feed_problem(document: Any) -> str | None:
    """Why a parsed feed cannot be shown (the envelope, the schema version, the fields the table needs)."""
    if not isinstance(document, Mapping):
        return "not a JSON object"
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        return (
            f"schema_version {version!r}; this QuantPro reads {SCHEMA_VERSION} — run `quantpro scan` "
            "with this version to rewrite it"
        )
    if not isinstance(document.get("last_updated"), int) or isinstance(document.get("last_updated"), bool):
        return "last_updated is not a time in ms"
    if not isinstance(document.get("run"), Mapping):
        return "the run block is missing"
    signals = document.get("signals")
    if not isinstance(signals, list):
        return "signals is not a list"
    for index, signal in enumerate(signals):
        if not isinstance(signal, Mapping) or any(k not in signal for k in _SIGNAL_NEEDS):
            return f"signal {index} lacks {', '.join(_SIGNAL_NEEDS)}"
    return None


class FeedWatcher:
    """Holds the last good feed of ``DATA_DIR/master_feed.json`` and the current file's problem.

    :meth:`refresh` is cheap when nothing changed (one ``stat``); thread-safe, so the request handlers
    and the event stream can call it from worker threads.
    """

    def __init__(self, data_dir: Path, clock: Clock) -> None:
        self.path = Path(data_dir) / FEED_NAME
        self._clock = clock
        self._lock = threading.Lock()
        self._signature: Signature | None = None
        self._good: FeedSnapshot | None = None
        self._problem: str | None = None
        self._checked = False

    @property
    def snapshot(self) -> FeedSnapshot | None:
        """The last good feed, or ``None`` when none was ever read."""
        return self._good

    @property
    def problem(self) -> str | None:
        """What is wrong with the file on disk now (``None`` when it is the good feed)."""
        return self._problem

    def refresh(self) -> FeedSnapshot | None:
        """Re-read the file if it changed; returns the last good feed."""
        with self._lock:
            signature = self._stat()
            if self._checked and signature == self._signature:
                return self._good
            self._checked = True
            self._signature = signature
            if signature is None:
                self._problem = f"no {FEED_NAME} in the data directory yet: run `quantpro scan`"
                return self._good
            self._read()
            return self._good

    def _stat(self) -> Signature | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def _read(self) -> None:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            self._problem = f"{FEED_NAME} is unreadable ({exc.strerror or exc})"
            return
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            self._problem = f"{FEED_NAME} is not valid JSON ({exc}); torn or still being copied"
            return
        problem = feed_problem(document)
        if problem is not None:
            self._problem = f"{FEED_NAME} cannot be shown: {problem}"
            return
        body = redact(raw.decode("utf-8")).encode("utf-8") if registered() else raw
        version = self._good.version + 1 if self._good is not None else 1
        self._good = FeedSnapshot(document, body, version, now_ms(self._clock))
        self._problem = None

    def state(self) -> dict[str, Any]:
        """What the page and ``/api/status`` say about the feed: the file's problem and the feed shown."""
        good = self._good
        return {
            "file": FEED_NAME,
            "problem": self._problem,
            "version": good.version if good else 0,
            "last_updated": good.last_updated if good else None,
            "read_at": good.read_at_ms if good else None,
            "signals": len(good.document["signals"]) if good else 0,
        }
