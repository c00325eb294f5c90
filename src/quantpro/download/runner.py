"""The download run: venues in parallel, requests within a venue paced, failures isolated per venue.

Each venue runs in its own thread with its own exchange, pacer and report; a venue that fails (its
markets cannot be loaded, say) is recorded and the others go on. A failure on one file is recorded in
its venue's report and the venue goes on with the next file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from quantpro.clock import Clock, now_ms
from quantpro.download.fetch import MarketRef, select_symbols, top_by_volume, universe, update_file
from quantpro.download.instruments import instrument_facts
from quantpro.errors import ConfigError, QuantProError, RemoteError
from quantpro.models import TIMEFRAME_MS
from quantpro.store.layout import remove_stale_temp_files
from quantpro.store.markets_file import MarketInfo, write_markets_file
from quantpro.venues.client import VenueClient, build_exchange
from quantpro.venues.table import VENUES, Venue, VenueSpec

log = logging.getLogger(__name__)

#: Builds the ccxt exchange for a venue; tests may pass their own.
ExchangeFactory = Callable[[VenueSpec, "str | None", float], Any]


class ProgressSink(Protocol):
    """Where a run reports progress (the CLI draws it; the library never prints)."""

    def start(self, venue: Venue, total: int) -> None: ...

    def advance(self, venue: Venue) -> None: ...

    def finish(self, venue: Venue, report: VenueReport) -> None: ...


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    """Everything one ``quantpro download`` run needs, resolved at the edge."""

    data_dir: Path
    venues: Sequence[Venue]
    timeframes: Sequence[str] = ("15m", "4h")
    candles: int = 500
    top: int | None = None
    symbols: Sequence[str] | None = None
    url_overrides: Mapping[Venue, str] = field(default_factory=dict)
    timeout_s: float = 30.0
    attempts: int = 4
    #: Where the venues' pacing is shared with other QuantPro processes (the cache directory).
    pacing_dir: Path | None = None

    def validate(self) -> None:
        """Bad arguments are a ConfigError before any request."""
        for timeframe in self.timeframes:
            if timeframe not in TIMEFRAME_MS:
                raise ConfigError(f"unknown timeframe {timeframe!r}; valid: {', '.join(TIMEFRAME_MS)}")
        if self.candles < 1:
            raise ConfigError("--candles must be at least 1")
        if self.top is not None and self.symbols:
            raise ConfigError("give --top or --symbols, not both")


@dataclass
class VenueReport:
    """One venue's outcome, for the summary table."""

    venue: Venue
    markets: int = 0
    files_written: int = 0
    candles_added: int = 0
    requests: int = 0
    retries: int = 0
    failures: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    error: str | None = None
    instruments: list[MarketInfo] = field(default_factory=list)  # for markets.json (§12)

    @property
    def failed(self) -> bool:
        """The venue as a whole failed (nothing could be downloaded from it)."""
        return self.error is not None


@dataclass
class DownloadReport:
    """Every venue's report, in the order asked."""

    venues: list[VenueReport]

    @property
    def all_failed(self) -> bool:
        return bool(self.venues) and all(v.failed for v in self.venues)


class _NoProgress:
    def start(self, venue: Venue, total: int) -> None:
        pass

    def advance(self, venue: Venue) -> None:
        pass

    def finish(self, venue: Venue, report: VenueReport) -> None:
        pass


def _default_factory(spec: VenueSpec, base_url: str | None, timeout_s: float) -> Any:
    return build_exchange(spec, base_url=base_url, timeout_s=timeout_s)


def choose_markets(client: VenueClient, request: DownloadRequest, report: VenueReport) -> list[MarketRef]:
    """The venue's universe, narrowed by ``--symbols`` or ``--top`` (one bulk tickers call)."""
    markets = universe(client.spec, client.load_markets())
    if request.symbols:
        markets, report.unmatched = select_symbols(markets, request.symbols)
    elif request.top is not None and len(markets) > request.top:
        markets = top_by_volume(markets, client.fetch_tickers(), request.top)
    log.info("%s: %d markets to download", client.spec.venue, len(markets))
    return markets


def download_venue(
    spec: VenueSpec,
    request: DownloadRequest,
    clock: Clock,
    *,
    progress: ProgressSink,
    stop: threading.Event,
    factory: ExchangeFactory = _default_factory,
) -> VenueReport:
    """Download one venue; never raises (the failure is in the report)."""
    report = VenueReport(spec.venue)
    client: VenueClient | None = None
    try:
        exchange = factory(spec, request.url_overrides.get(spec.venue), request.timeout_s)
        client = VenueClient(spec, exchange, clock, attempts=request.attempts, pacing_dir=request.pacing_dir)
        _check_timeframes(exchange, spec, request.timeframes)
        markets = choose_markets(client, request, report)
        report.markets = len(markets)
        loaded = getattr(exchange, "markets", None) or {}  # ccxt keeps what load_markets loaded
        report.instruments = instrument_facts(
            spec.venue.value, markets, loaded, getattr(exchange, "precisionMode", None)
        )
        _download_files(client, request, markets, report, progress, stop, now=now_ms(clock))
    except QuantProError as exc:
        report.error = str(exc)
        log.error("%s failed: %s", spec.venue, exc)
    except Exception as exc:  # a venue's failure must not stop the others
        report.error = f"{type(exc).__name__}: {exc}"
        log.exception("%s failed unexpectedly", spec.venue)
    finally:
        if client is not None:
            report.requests, report.retries = client.requests, client.retries
        progress.finish(spec.venue, report)
    return report


def _check_timeframes(exchange: Any, spec: VenueSpec, timeframes: Sequence[str]) -> None:
    offered = getattr(exchange, "timeframes", None) or {}
    missing = [tf for tf in timeframes if tf not in offered]
    if missing:
        raise RemoteError(f"{spec.venue} does not offer timeframe(s) {', '.join(missing)}", source=spec.venue)


def _download_files(
    client: VenueClient,
    request: DownloadRequest,
    markets: Sequence[MarketRef],
    report: VenueReport,
    progress: ProgressSink,
    stop: threading.Event,
    *,
    now: int,
) -> None:
    progress.start(client.spec.venue, len(markets) * len(request.timeframes))
    for market in markets:
        for timeframe in request.timeframes:
            if stop.is_set():
                return
            try:
                result = update_file(
                    client, request.data_dir, market, timeframe, candles=request.candles, now_ms=now
                )
            except RemoteError as exc:
                report.failures.append(f"{market.local} {timeframe}: {exc}")
                log.warning("%s %s %s: %s", client.spec.venue, market.local, timeframe, exc)
            else:
                report.files_written += int(result.written)
                report.candles_added += result.added
            progress.advance(client.spec.venue)


def download(
    request: DownloadRequest,
    clock: Clock,
    *,
    progress: ProgressSink | None = None,
    factory: ExchangeFactory = _default_factory,
) -> DownloadReport:
    """Run the download on every requested venue in parallel; returns each venue's report."""
    request.validate()
    request.data_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files([request.data_dir], now=clock.now())
    sink = progress or _NoProgress()
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=len(request.venues), thread_name_prefix="download") as pool:
        futures = [
            pool.submit(download_venue, VENUES[v], request, clock, progress=sink, stop=stop, factory=factory)
            for v in request.venues
        ]
        try:
            report = DownloadReport([f.result() for f in futures])
        except BaseException:
            stop.set()  # Ctrl-C: each venue stops before its next file; written files are whole
            raise
    _write_instruments(request.data_dir, report, now_ms(clock))
    return report


def _write_instruments(data_dir: Path, report: DownloadReport, now: int) -> None:
    """Record every downloaded market's ticks and sizes in ``DATA_DIR/markets.json`` (§12)."""
    infos = [info for venue in report.venues for info in venue.instruments]
    if not infos:
        return
    try:
        write_markets_file(data_dir, infos, now_ms=now)
    except OSError as exc:  # the candles are written; without the file setups are simply not rounded
        log.warning("could not write the markets file in %s: %s", data_dir, exc.strerror or exc)
