"""The phases a ``watch`` cycle runs, injectable (docs/design.md §14).

:class:`Phases` holds the parts that reach outside: the candle download, the derivatives snapshot
(§11; optional — without it the scan takes its derivatives itself), the scan's derivatives source and
the alert sender. :func:`default_phases` builds the real ones; tests pass their own (a download that
fails, a phase that overruns, a snapshot that records its call).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from quantpro.alerts import Dispatcher
from quantpro.clock import Clock
from quantpro.download import DownloadRequest, download
from quantpro.runs.derivatives_mode import derivatives_source, note_scan
from quantpro.runs.snapshot import run_snapshot
from quantpro.settings import Settings
from quantpro.sources.base import DerivativesSource
from quantpro.sources.coinalyze.source import CoinalyzeSource
from quantpro.store.history import HistoryStore
from quantpro.venues import Venue, venue_urls

__all__ = [
    "AlertPhase",
    "AlertRequest",
    "AlertsPhase",
    "DownloadPhase",
    "NoteScan",
    "PhaseReport",
    "Phases",
    "SnapshotPhase",
    "SnapshotSummary",
    "SourceFactory",
    "WatchRequest",
    "coinalyze_source",
    "default_phases",
    "real_download",
    "store_source",
    "venue_snapshot",
]

Outcome = Literal["ok", "degraded", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class PhaseReport:
    """How a phase went (an exception raised by a phase is a ``failed`` report)."""

    status: Outcome = "ok"
    note: str | None = None
    error: str | None = None
    #: The alert phase's per-channel states, for the status file (names, never URLs).
    channels: tuple[dict[str, Any], ...] = ()
    #: The download phase under ``--top``: each venue downloaded → the local symbols it chose (the scan
    #: covers those, docs/decisions.md §14).
    chosen: Mapping[str, tuple[str, ...]] | None = None


@dataclass(frozen=True, slots=True)
class WatchRequest:
    """What ``quantpro watch`` was asked to do, resolved at the edge."""

    data_dir: Path
    every_s: float = 900.0
    delay_s: float = 20.0
    cycles: int | None = None
    download: bool = True
    top: int | None = None
    symbols: Sequence[str] | None = None
    exchanges: Sequence[Venue] = tuple(Venue)
    strategy: str = "all"
    ltf: str = "15m"
    htf: str = "4h"
    candles: int = 500


@dataclass(frozen=True, slots=True)
class AlertRequest:
    """What the alert phase gets: the store (open for this cycle), the run and its changes."""

    history: HistoryStore | None
    data_dir: Path
    run_id: int | None
    signals: Sequence[Any]  # the feed's signals
    now_ms: int


DownloadPhase = Callable[[WatchRequest, Settings, Clock], PhaseReport]
SourceFactory = Callable[[Settings, Path, Clock], DerivativesSource]
AlertPhase = Callable[[AlertRequest], PhaseReport]
#: ``quantpro.runs.derivatives_mode.note_scan``: tier A for the §11 planner after the scan.
NoteScan = Callable[..., int]


class SnapshotPhase(Protocol):
    """``quantpro.runs.snapshot.run_snapshot`` (§11), when built."""

    def __call__(
        self, settings: Settings, data_dir: Path, *, clock: Clock, exchanges: Any = None
    ) -> object: ...


@dataclass
class Phases:
    download: DownloadPhase | None = None
    snapshot: SnapshotPhase | None = None
    source: SourceFactory | None = None
    alerts: AlertPhase | None = None
    #: Called after the scan under ``auto`` and ``store`` (a failure is a warning, never a failed phase).
    note_scan: NoteScan | None = None
    #: Test hook: called with each phase's name as it starts (a test sends a signal from here).
    on_phase: Callable[[str], None] | None = field(default=None, repr=False)


class AlertsPhase:
    """The alert phase: the dispatcher of ``QUANTPRO_ALERT_URLS`` run on this cycle's run."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertsPhase | None:
        urls = settings.alert_url_list()
        return cls(Dispatcher(urls, settings.alert_min_score)) if urls else None

    def __call__(self, request: AlertRequest) -> PhaseReport:
        if request.history is None or request.run_id is None:
            return PhaseReport(
                "failed", error="no history store: alerts not sent (they could not be deduplicated)"
            )
        from quantpro.feed.changes import data_dir_key

        results = self.dispatcher.dispatch(
            request.history, data_dir_key(request.data_dir), request.run_id, request.signals, request.now_ms
        )
        channels = tuple(r.to_json() for r in results)
        sent = sum(r.sent for r in results)
        bad = [f"{r.channel}: {r.error}" for r in results if r.state in ("failing", "invalid")]
        note = f"{sent} alert(s) sent on {len(results)} channel(s)"
        if bad and len(bad) == len(results):
            return PhaseReport("failed", note, "; ".join(bad), channels)
        return PhaseReport("degraded" if bad else "ok", note, "; ".join(bad) or None, channels)


def real_download(request: WatchRequest, settings: Settings, clock: Clock) -> PhaseReport:
    """The incremental candle download of ``quantpro download``, failures per venue in the report."""
    report = download(
        DownloadRequest(
            data_dir=request.data_dir,
            venues=list(request.exchanges),
            timeframes=tuple(dict.fromkeys((request.ltf, request.htf))),
            candles=request.candles,
            top=request.top,
            symbols=list(request.symbols) if request.symbols else None,
            url_overrides=venue_urls(settings),
            timeout_s=settings.http_timeout,
            pacing_dir=settings.cache_path(request.data_dir),
        ),
        clock,
    )
    failed = [v for v in report.venues if v.failed]
    files = sum(v.files_written for v in report.venues)
    added = sum(v.candles_added for v in report.venues)
    problems = [f"{v.venue}: {v.error}" for v in failed]
    problems += [f"{v.venue}: {len(v.failures)} file(s) failed" for v in report.venues if v.failures]
    note = f"{files} files written, {added} candles added"
    chosen = None
    if request.top is not None:
        chosen = {
            v.venue.value: tuple(i.symbol for i in v.instruments) for v in report.venues if not v.failed
        }
    if report.all_failed:
        return PhaseReport("failed", note, "; ".join(problems))
    if problems:
        return PhaseReport("degraded", note, "; ".join(problems), chosen=chosen)
    return PhaseReport("ok", note, chosen=chosen)


def coinalyze_source(settings: Settings, data_dir: Path, clock: Clock) -> DerivativesSource:
    """The scan's default source (what ``quantpro scan`` uses)."""
    return CoinalyzeSource.for_scan(settings, cache_dir=settings.cache_path(data_dir), clock=clock)


@dataclass(frozen=True, slots=True)
class SnapshotSummary:
    """What the watch's snapshot phase records of one §11 snapshot."""

    status: str  # ok | degraded | failed
    text: str

    def __str__(self) -> str:
        return self.text


def venue_snapshot(
    settings: Settings, data_dir: Path, *, clock: Clock, exchanges: Any = None
) -> SnapshotSummary:
    """§11's snapshot (every perpetual's OI and funding into the store, repairs, the Coinalyze budget),
    judged per venue: every venue failed → failed; any venue failed or degraded → degraded."""
    outcome = run_snapshot(settings, data_dir, clock=clock, exchanges=exchanges)
    failed = outcome.failed
    troubled = [f"{name}: {v.error or v.status}" for name, v in outcome.venues.items() if v.status != "ok"]
    status = "ok"
    if troubled:
        status = "failed" if len(failed) == len(outcome.venues) else "degraded"
    text = (
        f"{len(outcome.venues)} venues, {outcome.buckets_written} buckets written, "
        f"{outcome.buckets_repaired} repaired"
    )
    return SnapshotSummary(status, text + (f"; {'; '.join(troubled)}" if troubled else ""))


def store_source(settings: Settings, data_dir: Path, clock: Clock) -> DerivativesSource:
    """The store the snapshot phase has just filled, read without a request (``--derivatives store``)."""
    source = derivatives_source(settings, data_dir, clock=clock, mode="store")
    assert source is not None  # only ``coinalyze`` has no store source
    block = getattr(source, "block", None)
    if isinstance(block, dict):  # the feed names the mode the watch runs under (auto: snapshot, then this)
        block["mode"] = settings.derivatives
    return source


def default_phases(request: WatchRequest, settings: Settings, alerts: AlertPhase | None = None) -> Phases:
    """The real phases: the download unless ``--no-download``; under ``--derivatives auto`` §11's
    snapshot then the store, under ``store`` the store alone, under ``coinalyze`` part one's source;
    tier A noted for the planner after each scan unless ``coinalyze``; the alerts given."""
    mode = settings.derivatives
    return Phases(
        download=real_download if request.download else None,
        snapshot=venue_snapshot if mode == "auto" else None,
        source=coinalyze_source if mode == "coinalyze" else store_source,
        alerts=alerts,
        note_scan=None if mode == "coinalyze" else note_scan,
    )
