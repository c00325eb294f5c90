"""One cycle of §11 alone: every venue's OI and funding into the store (docs/design.md §11).

``run_snapshot`` is what ``quantpro snapshot``, ``scan --derivatives auto`` and the watch loop call.
The venues are read in parallel, each through its own :class:`VenueClient` (shared pacing, retries on
the injected clock); their answers are written by this thread, one venue at a time, under the store's
bucket rule. Every venue's outcome goes into ``fetch_log``. Then missed buckets are repaired — and
markets with too few buckets bootstrapped — from venue history where the venue serves it, each answer
checked against the live data first (the splice check).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantpro.clock import Clock, now_ms
from quantpro.errors import RemoteError, RequestRejectedError
from quantpro.feed.build import default_derivatives_block
from quantpro.settings import Settings
from quantpro.sources.exchanges.coinalyze_spend import bootstrap_hyperliquid, spend_budget
from quantpro.sources.exchanges.history import REPAIR_BELOW, missing_boundaries, splice_check
from quantpro.sources.exchanges.ls_ratios import choose_ls_markets, fetch_ls_ratios
from quantpro.sources.exchanges.series import current_boundary
from quantpro.store.db import Store
from quantpro.store.derivatives import (
    BUCKET_S,
    FetchLogRow,
    MarketRow,
    Sample,
    log_fetch,
    mark_delisted,
    write_history,
    write_ls_ratios,
    write_samples,
)
from quantpro.store.derivatives_read import load_markets, load_series, tier_a_symbols
from quantpro.venues import VENUES, Venue, VenueClient, VenueSnapshot, oi_history, snapshot_venue
from quantpro.venues.client import venue_urls
from quantpro.venues.derivatives import failure_reason

__all__ = ["SnapshotOutcome", "VenueOutcome", "bootstrap_store", "run_snapshot", "spend_coinalyze"]

log = logging.getLogger(__name__)


@dataclass
class VenueOutcome:
    """One venue's part of a snapshot: the feed's ``run.derivatives.venues[venue]``."""

    status: str  # ok | degraded (some perpetuals, with the error) | failed
    snapshot_at: int | None  # ms
    markets: int
    requests: int
    http_429: int
    error: str | None
    buckets_written: int = 0
    buckets_repaired: int = 0

    def block(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "snapshot_at": self.snapshot_at,
            "markets": self.markets,
            "requests": self.requests,
            "http_429": self.http_429,
            "error": self.error,
        }


@dataclass
class SnapshotOutcome:
    """What one snapshot did, per venue and in the store."""

    boundary: int  # the current boundary (s)
    store_path: Path
    venues: dict[str, VenueOutcome] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)  # history discarded by the splice check
    coinalyze: dict[str, Any] | None = None  # run.derivatives.coinalyze of this cycle

    @property
    def buckets_written(self) -> int:
        return sum(v.buckets_written for v in self.venues.values())

    @property
    def buckets_repaired(self) -> int:
        return sum(v.buckets_repaired for v in self.venues.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, v in self.venues.items() if v.status == "failed"]

    def derivatives_block(self, mode: str) -> dict[str, Any]:
        """The feed's ``run.derivatives`` block for this snapshot."""
        block = default_derivatives_block(mode)
        block["venues"] = {name: v.block() for name, v in self.venues.items()}
        block["coinalyze"] = self.coinalyze or block["coinalyze"]
        block["store"].update(buckets_written=self.buckets_written, buckets_repaired=self.buckets_repaired)
        return block


def _clients(settings: Settings, data_dir: Path, clock: Clock, venues: Sequence[Venue]) -> list[VenueClient]:
    urls = venue_urls(settings)
    pacing = settings.cache_path(data_dir)
    return [
        VenueClient.connect(
            VENUES[v], clock, base_url=urls.get(v), timeout_s=settings.http_timeout, pacing_dir=pacing
        )
        for v in venues
    ]


def run_snapshot(
    settings: Settings,
    data_dir: Path,
    *,
    clock: Clock,
    exchanges: Sequence[str] | None = None,
    repair: bool = True,
    coinalyze: bool = True,
) -> SnapshotOutcome:
    """One snapshot of every venue (or ``exchanges``) into the store, then repair and bootstrap from
    venue history, then the cycle's Coinalyze budget (liquidations, the Hyperliquid bootstrap)."""
    venues = [Venue(v.upper()) for v in exchanges] if exchanges else list(Venue)
    path = settings.store_file(Path(data_dir))
    outcome = SnapshotOutcome(current_boundary(clock.now()), path)
    clients = _clients(settings, Path(data_dir), clock, venues)
    with Store(path) as store:
        order = _binance_order(store)
        with ThreadPoolExecutor(max_workers=len(clients) or 1) as pool:
            snaps = list(pool.map(lambda c: _snapshot(c, order), clients))
        for snap in snaps:
            outcome.venues[snap.venue.value] = _record(store, snap, settings.snapshot_max_lag_s)
        if repair:
            _repair_all(store, clients, outcome, clock)
        _ls_all(store, clients, outcome, settings, clock)
        if coinalyze:
            cache = settings.cache_path(Path(data_dir))
            outcome.coinalyze = spend_budget(store, settings, clock=clock, cache_dir=cache)
    return outcome


def spend_coinalyze(settings: Settings, data_dir: Path, *, clock: Clock) -> dict[str, Any]:
    """The cycle's Coinalyze budget alone (for a caller that runs the venue part first, scans, then
    spends: the watch loop, the benchmark); returns ``run.derivatives.coinalyze``."""
    with Store(settings.store_file(Path(data_dir))) as store:
        return spend_budget(store, settings, clock=clock, cache_dir=settings.cache_path(Path(data_dir)))


def _snapshot(client: VenueClient, order: list[str]) -> VenueSnapshot:
    return snapshot_venue(client, oi_symbols=order or None if client.spec.oi_per_symbol else None)


def _binance_order(store: Store) -> list[str]:
    """Binance's per-symbol OI, hot markets first: by the coin's largest 24 h quote volume on any venue
    (Binance's own funding answer carries none)."""
    everything = load_markets(store)
    hot: dict[str, float] = {}
    for m in everything:
        hot[m.coin] = max(hot.get(m.coin, 0.0), m.quote_volume_24h or 0.0)
    binance = [m for m in everything if m.venue == Venue.BINANCE.value and not m.delisted]
    binance.sort(key=lambda m: -hot.get(m.coin, 0.0))
    return [m.ccxt_symbol for m in binance]


def _record(store: Store, snap: VenueSnapshot, max_lag_s: float) -> VenueOutcome:
    samples = [
        Sample(
            venue=p.venue.value,
            venue_id=p.venue_id,
            ccxt_symbol=p.ccxt_symbol,
            local_symbol=p.local_symbol,
            coin=p.coin,
            contract_size=p.contract_size,
            oi_unit=p.oi_unit,
            oi_raw=p.oi_raw,
            oi_base=p.oi_base,
            price=p.price,
            funding_rate=p.funding_rate,
            funding_interval_h=p.funding_interval_h,
            quote_volume_24h=p.quote_volume_24h,
            observed_ms=p.observed_ms,
        )
        for p in snap.perps
    ]
    written = write_samples(store, samples, max_lag_s=max_lag_s) if samples else 0
    status = "ok" if snap.error is None else ("degraded" if samples else "failed")
    if status == "ok":  # a complete snapshot: what it no longer lists is delisted
        mark_delisted(store, snap.venue.value, {s.venue_id for s in samples})
    row = FetchLogRow(
        snap.finished_ms,
        "venue snapshot",
        snap.venue.value,
        status,
        len(samples),
        snap.requests,
        0,
        snap.http_429,
        snap.error,
    )
    log_fetch(store, row)
    if snap.error is not None:
        log.warning("%s: snapshot %s: %s", snap.venue.value, status, snap.error)
    return VenueOutcome(
        status,
        snap.finished_ms if samples else None,
        len(samples),
        snap.requests,
        snap.http_429,
        snap.error,
        buckets_written=written,
    )


def _ls_all(
    store: Store, clients: Sequence[VenueClient], outcome: SnapshotOutcome, settings: Settings, clock: Clock
) -> None:
    """The long/short ratios of the chosen markets of every venue that publishes them, in parallel."""
    hot = tier_a_symbols(store, now_ms=now_ms(clock))
    watch = {w.upper() for w in settings.watchlist}
    work = [
        (c, choose_ls_markets(load_markets(store, c.spec.venue.value), hot, watch))
        for c in clients
        if c.spec.has_ls_ratio and outcome.venues[c.spec.venue.value].status != "failed"
    ]
    if not work:
        return
    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        results = list(pool.map(lambda w: fetch_ls_ratios(*w), work))
    for (client, _), (rows, error) in zip(work, results, strict=True):
        write_ls_ratios(store, rows)
        if error is not None:
            venue = outcome.venues[client.spec.venue.value]
            venue.error = venue.error or f"long/short ratios: {error}"


def _repair_all(store: Store, clients: Sequence[VenueClient], outcome: SnapshotOutcome, clock: Clock) -> None:
    for client in clients:
        venue = client.spec.venue.value
        result = outcome.venues.get(venue)
        if not client.spec.has_oi_history or result is None or result.status == "failed":
            continue
        result.buckets_repaired += bootstrap_venue(store, client, outcome.boundary, outcome.rejected)


def bootstrap_venue(store: Store, client: VenueClient, current: int, rejected: list[str]) -> int:
    """Fill the last 32 buckets of every stored market of the venue missing more than two, from the
    venue's history; returns the buckets filled. A failing venue stops at its first error."""
    venue = client.spec.venue.value
    markets = [m for m in load_markets(store, venue) if not m.delisted]
    since = current - 31 * BUCKET_S
    series = load_series(store, [m.id for m in markets], since_s=since, until_s=current)
    need = [m for m in markets if 32 - missing_boundaries(series[m.id], current=current) < REPAIR_BELOW]
    filled, requests, error = 0, client.requests, None
    for market in need:
        try:
            points = oi_history(client, market.ccxt_symbol, since_ms=since * 1000, until_ms=current * 1000)
        except RequestRejectedError as exc:  # this market only (delisted, no history): the next one
            log.info("%s: no history for %s: %s", venue, market.ccxt_symbol, exc)
            continue
        except RemoteError as exc:
            error = failure_reason(exc)
            log.warning("%s: history stopped: %s", venue, error)
            break
        filled += _splice(store, market, points, series[market.id], rejected)
    if need:
        status = "ok" if error is None else "failed"
        row = FetchLogRow(
            now_ms(client.clock),
            "venue history",
            venue,
            status,
            len(need),
            client.requests - requests,
            0,
            0,
            error,
        )
        log_fetch(store, row)
    return filled


def _splice(
    store: Store, market: MarketRow, points: list[tuple[int, float]], live: Any, rejected: list[str]
) -> int:
    verdict = splice_check(points, live)
    if verdict.reason is not None:
        log.warning("%s %s: %s", market.venue, market.venue_id, verdict.reason)
        rejected.append(f"{market.venue}:{market.venue_id}: {verdict.reason}")
        return 0
    return write_history(
        store, market.id, verdict.points, contract_size=market.contract_size, source="venue history"
    )


def bootstrap_store(
    settings: Settings, data_dir: Path, *, clock: Clock, exchanges: Sequence[str] | None = None
) -> SnapshotOutcome:
    """``quantpro bootstrap``: the last 32 buckets of every stored market from venue history, and
    of Hyperliquid markets from Coinalyze (its OI history; skipped, with a reason, without a key)."""
    venues = [Venue(v.upper()) for v in exchanges] if exchanges else list(Venue)
    path = settings.store_file(Path(data_dir))
    outcome = SnapshotOutcome(current_boundary(clock.now()), path)
    clients = [c for c in _clients(settings, Path(data_dir), clock, venues) if c.spec.has_oi_history]
    with Store(path) as store:
        for client in clients:
            result = VenueOutcome("ok", None, 0, 0, 0, None)
            outcome.venues[client.spec.venue.value] = result
            before = client.requests
            result.buckets_repaired = bootstrap_venue(store, client, outcome.boundary, outcome.rejected)
            result.requests = client.requests - before
            result.markets = len(load_markets(store, client.spec.venue.value))
        if not exchanges or Venue.HYPERLIQUID in venues:
            cache = settings.cache_path(Path(data_dir))
            outcome.coinalyze = bootstrap_hyperliquid(store, settings, clock=clock, cache_dir=cache)
    return outcome
