"""Which derivatives source a scan uses: ``--derivatives auto|store|coinalyze`` (docs/design.md §11).

``coinalyze`` is part one exactly (``run_scan`` builds its Coinalyze source). ``store`` reads the store
and sends nothing. ``auto`` reads the store when a snapshot of the current 15-minute boundary is
there, else takes one first (as ``quantpro snapshot``), then reads it.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from quantpro.clock import Clock, now_ms
from quantpro.feed import Signal
from quantpro.feed.build import default_derivatives_block
from quantpro.runs.snapshot import run_snapshot
from quantpro.settings import Settings
from quantpro.sources.base import DerivativesSource
from quantpro.sources.exchanges import ExchangeSource, current_boundary
from quantpro.store.db import Store
from quantpro.store.derivatives import mark_tier_a
from quantpro.store.derivatives_read import last_fetch
from quantpro.venues import Venue

__all__ = ["derivatives_source", "has_current_snapshot", "note_scan", "stored_venues_block"]

#: A symbol a scan found hot stays tier A for this long (four cycles).
TIER_A_HOLD_MS = 4 * 900_000

log = logging.getLogger(__name__)


def has_current_snapshot(store: Store, now_s: float) -> bool:
    """A venue snapshot was taken since the current boundary (whether or not it came within the lag
    and made a bucket: a second snapshot in the same bucket would not make one either)."""
    boundary = current_boundary(now_s)
    row = store.conn.execute(
        "SELECT COUNT(*) FROM fetch_log WHERE kind = 'venue snapshot' AND at_ms >= ? AND status != 'failed'",
        (boundary * 1000,),
    ).fetchone()
    return bool(row and row[0])


def stored_venues_block(store: Store) -> dict[str, dict[str, Any]]:
    """``run.derivatives.venues`` from the store's newest snapshot of each venue (no network)."""
    venues: dict[str, dict[str, Any]] = {}
    for venue in Venue:
        row = last_fetch(store, "venue snapshot", venue.value)
        if row is None:
            continue
        venues[venue.value] = {
            "status": row.status,
            "snapshot_at": row.at_ms,
            "markets": row.markets,
            "requests": row.requests,
            "http_429": row.http_429,
            "error": row.error,
        }
    return venues


def stored_coinalyze_block(store: Store) -> dict[str, Any] | None:
    """``run.derivatives.coinalyze`` from the newest Coinalyze cycle in the store."""
    row = last_fetch(store, "coinalyze")
    if row is None:
        return None
    block: dict[str, Any] = dict(default_derivatives_block("store")["coinalyze"])
    block.update({"status": row.status, "planned": row.markets, "spent": row.units, "error": row.error})
    return block


def derivatives_source(
    settings: Settings, data_dir: Path, *, clock: Clock, mode: str | None = None
) -> DerivativesSource | None:
    """The source for ``mode`` (default the setting); None means Coinalyze (``run_scan``'s own)."""
    mode = mode or settings.derivatives
    if mode == "coinalyze":
        return None
    path = settings.store_file(Path(data_dir))
    block = default_derivatives_block(mode)
    if mode == "auto":
        with Store(path) as store:
            fresh = has_current_snapshot(store, clock.now())
        if not fresh:
            log.info("no snapshot of the current 15-minute bucket in the store: taking one")
            try:
                outcome = run_snapshot(settings, data_dir, clock=clock)
            except sqlite3.OperationalError as exc:  # locked by another writer past the busy timeout
                log.warning("the store %s is busy (%s): scanning what it holds", path, exc)
                _from_store(path, block)
            else:
                block = outcome.derivatives_block(mode)
        else:
            _from_store(path, block)
    else:
        _from_store(path, block)
    return ExchangeSource(path, clock=clock, derivatives_block=block)


def _from_store(path: Path, block: dict[str, Any]) -> None:
    with Store(path) as store:
        block["venues"] = stored_venues_block(store)
        block["coinalyze"] = stored_coinalyze_block(store) or block["coinalyze"]


def note_scan(settings: Settings, data_dir: Path, signals: list[Signal], *, clock: Clock) -> int:
    """Tier A for the planner: the Coinalyze symbols of markets that had LONG/SHORT, a score ≥ 60 or
    an OI z ≥ 1.0 in this scan (docs/design.md §11); returns how many."""
    hot: set[str] = set()
    for signal in signals:
        meta = signal["oi_metadata"]
        z = meta.get("z_score")
        symbol = meta.get("coinalyze_symbol")
        if symbol and (
            signal["action"] in ("LONG", "SHORT") or signal["score"] >= 60 or (z is not None and z >= 1.0)
        ):
            hot.add(symbol)
    if hot:
        with Store(settings.store_file(Path(data_dir))) as store:
            mark_tier_a(store, hot, until_ms=now_ms(clock) + TIER_A_HOLD_MS)
    return len(hot)
