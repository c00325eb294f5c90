"""The feed, ``master_feed.json`` (docs/design.md §8): built from validated strategy results, written
atomically, read back tolerantly.

:mod:`.build` makes signals and the envelope, :mod:`.io` checks and writes them and packages the JSON
Schema.
"""

from __future__ import annotations

from quantpro.feed.build import (
    FEED_KEYS,
    OI_METADATA_KEYS,
    RUN_KEYS,
    SCHEMA_VERSION,
    SIGNAL_KEYS,
    STRATEGY_TYPES,
    RunSummary,
    build_feed,
    build_signal,
    run_status,
    sanitize,
    sort_signals,
)
from quantpro.feed.io import write_feed
from quantpro.feed.schema import build_schema, load_schema
from quantpro.feed.types import FeedDocument, RunBlock, RunStatus, Signal

__all__ = [
    "FEED_KEYS",
    "OI_METADATA_KEYS",
    "RUN_KEYS",
    "SCHEMA_VERSION",
    "SIGNAL_KEYS",
    "STRATEGY_TYPES",
    "FeedDocument",
    "RunBlock",
    "RunStatus",
    "RunSummary",
    "Signal",
    "build_feed",
    "build_schema",
    "build_signal",
    "load_schema",
    "run_status",
    "sanitize",
    "sort_signals",
    "write_feed",
]
