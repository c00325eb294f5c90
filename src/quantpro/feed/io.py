"""Writing and checking the feed: cheap invariants before every write, the atomic replace, the schema.

``write_feed`` checks the envelope, the exact key sets, ``run.status`` and the sort order, then
replaces the file atomically (temp file in the same directory, fsync, rename): a crash at any moment
leaves the previous feed or the new one. The full JSON Schema (draft 2020-12) is packaged with
quantpro; the tests validate every feed they produce against it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from quantpro.errors import FeedWriteError
from quantpro.feed.build import FEED_KEYS, RUN_KEYS, SCHEMA_VERSION, SIGNAL_KEYS, sort_signals
from quantpro.feed.types import FeedDocument
from quantpro.store.atomic import atomic_write_bytes, dumps_json

__all__ = ["write_feed"]

log = logging.getLogger(__name__)


def _invariant_problems(feed: Mapping[str, Any]) -> list[str]:
    """Cheap structural checks done before every write (the JSON Schema is the full check, in tests)."""
    problems: list[str] = []
    if set(feed) != set(FEED_KEYS):
        problems.append(f"top-level keys are {sorted(feed)}, expected {list(FEED_KEYS)}")
        return problems
    if feed["schema_version"] != SCHEMA_VERSION:
        problems.append(f"schema_version is {feed['schema_version']!r}")
    run = feed["run"]
    if not isinstance(run, Mapping) or set(run) != set(RUN_KEYS):
        problems.append("run block does not have exactly the documented keys")
    elif run["status"] not in ("ok", "degraded", "failed", "stale"):
        problems.append(f"run.status is {run['status']!r}")
    signals = feed["signals"]
    if not isinstance(signals, list):
        return [*problems, "signals is not a list"]
    expected = set(SIGNAL_KEYS)
    for index, signal in enumerate(signals):
        if not isinstance(signal, Mapping) or set(signal) != expected:
            problems.append(f"signal {index} does not have exactly the documented keys")
            break
    if signals and not problems and signals != sort_signals(signals):
        problems.append("signals are not sorted by score, exchange, symbol, strategy")
    return problems


def write_feed(path: Path, feed: FeedDocument) -> None:
    """Check ``feed``'s invariants, then replace ``path`` atomically (temp file in the same directory,
    fsync, rename). Any failure raises :class:`FeedWriteError` naming the path and the reason; the
    previous feed is then untouched."""
    path = Path(path)
    problems = _invariant_problems(feed)
    if problems:
        raise FeedWriteError(f"refusing to write an invalid feed to {path}: {'; '.join(problems)}")
    try:
        data = dumps_json(feed, indent=True)  # orjson writes NaN/Infinity as null
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise FeedWriteError(f"could not serialise the feed for {path}: {exc}") from exc
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise FeedWriteError(f"could not write the feed {path}: {exc.strerror or exc}") from exc
    log.debug("wrote %d bytes, %d signals to %s", len(data), len(feed["signals"]), path)
