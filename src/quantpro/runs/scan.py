"""The scan as a staged use case: load → fetch → analyse → publish (docs/design.md §2, §8).

``run_scan`` is what ``quantpro scan`` and ``quantpro demo`` call. Each stage is one method of
:class:`Scan` and reads what the stages before it produced; nothing is carried through parameters it
does not use. The derivatives source is any :class:`~quantpro.sources.base.DerivativesSource`
(Coinalyze by default) and is closed when the fetch stage ends.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from quantpro.analysis.features import FeatureFactory
from quantpro.clock import Clock, SystemClock, now_ms, utc_text
from quantpro.errors import ConfigError, NoMarketsError
from quantpro.feed import FeedDocument, RunSummary, Signal, build_feed, run_status, write_feed
from quantpro.feed.build import default_derivatives_block
from quantpro.feed.changes import Change, change_counts, count_changes
from quantpro.models import MarketData, MarketKey, neutral_market_data
from quantpro.runs.analyze import signals_for
from quantpro.runs.asof import AsOfSource, DerivativesAt, NoDerivativesAt
from quantpro.runs.backtest.report import attach_track_records
from quantpro.runs.freshness import EXIT_STALE, mostly_stale, not_fetched_data, split_fresh, stale_message
from quantpro.runs.history import previous_run, record_feed, scan_history
from quantpro.runs.reasons import log_skipped
from quantpro.settings import Settings
from quantpro.sources.base import DerivativesSource, ProgressCallback, SourceResult, SourceStats
from quantpro.sources.coinalyze.source import CoinalyzeSource
from quantpro.store.history import HistoryStore
from quantpro.store.layout import FEED_NAME, remove_stale_temp_files, unreplaceable_reason
from quantpro.store.markets import LoadedMarket, LoadResult, load_markets
from quantpro.store.markets_file import tick_sizes
from quantpro.strategies import PlanRules, Strategy, get_strategies

log = logging.getLogger(__name__)

__all__ = ["FEED_NAME", "Scan", "ScanOutcome", "ScanRequest", "run_scan"]


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """What one scan was asked to do, resolved at the edge."""

    data_dir: Path
    strategy: str = "all"
    output: Path | None = None
    ltf: str = "15m"
    htf: str = "4h"
    as_of_ms: int | None = None  # scan --as-of: analyse as if now were this moment (§13)

    @property
    def feed_path(self) -> Path:
        return Path(self.output) if self.output is not None else self.data_dir / FEED_NAME


@dataclass
class ScanOutcome:
    """What a scan produced: the feed written, its ``run`` block, and the exit code it implies."""

    feed_path: Path
    feed: FeedDocument
    run: RunSummary
    exit_code: int
    signals: list[Signal] = field(default_factory=list)
    #: Against the newest run recorded before this one (§14); ``run_id`` once this one is recorded.
    changes: list[Change] = field(default_factory=list)
    run_id: int | None = None


class Scan:
    """One scan's stages; construct, then :meth:`run` (or call the stages in order)."""

    def __init__(self, settings: Settings, request: ScanRequest, clock: Clock) -> None:
        if not request.data_dir.is_dir():
            raise ConfigError(f"data directory {request.data_dir} does not exist or is not a directory")
        problem = unreplaceable_reason(request.feed_path, request.data_dir)
        if problem is not None:
            raise ConfigError(
                f"feed path {request.feed_path} {problem}; only a regular file (or a new name) is replaced"
            )
        self.settings = settings
        self.request = request
        self.clock = clock
        self.strategies: list[Strategy] = get_strategies(request.strategy)
        self.started = clock.now()
        self.scan_ms = now_ms(clock) if request.as_of_ms is None else request.as_of_ms
        #: §14: the history store to compare with and record in (``None``: opened for the publish stage);
        #: ``watch`` records the run itself, in its own phase.
        self.history: HistoryStore | None = None
        self.record_history = request.as_of_ms is None  # a replay of the past is not a run to remember
        self.origin = "scan"

    def run(self, source: DerivativesSource, *, progress: ProgressCallback | None = None) -> ScanOutcome:
        loaded = self.load()
        with closing(source):
            derivatives = self.fetch(loaded, source, progress)
        signals = self.analyse(loaded.markets, derivatives.data)
        return self.publish(loaded, derivatives.stats, signals)

    # -- stages ---------------------------------------------------------------------------------------

    def load(self) -> LoadResult:
        """Every usable market of DATA_DIR, its candles prepared for this scan's moment."""
        request = self.request
        feed_path = request.feed_path
        cache_dir = self.settings.cache_path(request.data_dir)
        remove_stale_temp_files([request.data_dir, feed_path.parent, cache_dir], now=self.clock.now())
        same_dir = feed_path.parent.resolve() == request.data_dir.resolve()
        loaded = load_markets(
            request.data_dir,
            now_ms=self.scan_ms,
            ltf=request.ltf,
            htf=request.htf,
            ignore={feed_path.name} if same_dir else set(),
        )
        log.info(
            "Found %d markets in %s (%d files skipped)",
            len(loaded.markets),
            request.data_dir,
            len(loaded.skipped),
        )
        log_skipped([(s.file, s.reason) for s in loaded.skipped])
        if not loaded.markets:
            raise NoMarketsError(f"no valid market in {request.data_dir}; nothing to scan, no feed written")
        return loaded

    def fetch(
        self, loaded: LoadResult, source: DerivativesSource, progress: ProgressCallback | None
    ) -> SourceResult:
        """The derivatives data of every market, from one source; a market with stale candles is not
        sent (0 units) and gets neutral data saying why, unless the scan allows stale candles (§12)."""
        replay = self.request.as_of_ms is not None  # the past: the store is asked for every market
        fresh, stale = split_fresh(loaded.markets, allow_stale=self.settings.allow_stale or replay)
        if stale:
            log.info("%d markets with stale candles are not sent to the %s source", len(stale), source.name)
        result = (
            source.fetch([m.key for m in fresh], progress=progress)
            if fresh
            else SourceResult({}, SourceStats())
        )
        for market in stale:
            result.data[market.key] = not_fetched_data()
        result.stats.oi_status["neutral"] = result.stats.oi_status.get("neutral", 0) + len(stale)
        return result

    def analyse(self, markets: Sequence[LoadedMarket], data: dict[MarketKey, MarketData]) -> list[Signal]:
        """One signal per (market, strategy)."""
        factory = FeatureFactory(
            ltf_timeframe=self.request.ltf, htf_timeframe=self.request.htf, clock=self.clock
        )
        rules = self.plan_rules()
        signals: list[Signal] = []
        for market in markets:
            external = data.get(market.key) or neutral_market_data("no derivatives data for this market")
            context = factory.context_for(
                market.key.symbol, market.key.exchange, market.candles, external, scan_time_ms=self.scan_ms
            )
            signals.extend(signals_for(context, self.strategies, self.request.ltf, self.request.htf, rules))
        return signals

    def plan_rules(self) -> PlanRules:
        """The §12 rules of this scan: the settings' bounds and fee, the ticks of DATA_DIR/markets.json."""
        return PlanRules.from_settings(self.settings, tick_sizes(self.request.data_dir))

    def publish(self, loaded: LoadResult, stats: SourceStats, signals: list[Signal]) -> ScanOutcome:
        """The feed, written atomically, and the outcome it implies."""
        run = _run_summary(loaded, stats, self.clock.now() - self.started)
        attach_track_records(signals, self.request.data_dir)  # from DATA_DIR/backtest.json (§13)
        if mostly_stale(loaded.markets, allow_stale=self.settings.allow_stale):
            run.status = "stale"  # more than half the markets: the feed describes the past (§12)
        feed = build_feed(signals, run, last_updated_ms=now_ms(self.clock))  # build_feed sorts
        feed_path = self.request.feed_path
        names = [s.name for s in self.strategies]
        with scan_history(self.settings, self.request.data_dir, self.history) as history:
            previous = previous_run(history, self.request.data_dir, feed["signals"], names)
            feed["run"]["changes"] = count_changes(previous.changes)
            run.changes = change_counts(previous.changes)
            write_feed(feed_path, feed)
            run_id = None
            if self.record_history:
                run_id = record_feed(
                    history, self.request.data_dir, feed, strategies=names, origin=self.origin,
                    history_days=self.settings.history_days,
                )  # fmt: skip
        log.info("Saved %d signals to %s", len(feed["signals"]), feed_path)
        log.info("Last Updated: %d (%s)", feed["last_updated"], utc_text(feed["last_updated"]))
        exit_code = {"failed": 3, "stale": EXIT_STALE}.get(run.status, 0)
        if run.status == "stale":
            log.error("%s", stale_message(loaded.markets, self.scan_ms, str(self.request.data_dir)))
        return ScanOutcome(feed_path, feed, run, exit_code, feed["signals"], previous.changes, run_id)


def run_scan(
    settings: Settings,
    data_dir: Path,
    *,
    strategy: str = "all",
    output: Path | None = None,
    ltf: str = "15m",
    htf: str = "4h",
    clock: Clock | None = None,
    http: httpx.Client | None = None,
    progress: ProgressCallback | None = None,
    source: DerivativesSource | None = None,
    as_of_ms: int | None = None,
    derivatives_at: DerivativesAt | None = None,
) -> ScanOutcome:
    """The whole scan. Raises ConfigError (exit 2), AuthenticationError (exit 2, no feed),
    NoMarketsError / FeedWriteError (exit 1); otherwise the feed is written and the outcome says
    whether it is ok/degraded (exit 0), failed (exit 3) or stale (exit 4: more than half the markets'
    candles are stale, docs/design.md §12).

    ``as_of_ms`` replays the past (``scan --as-of``, §13): candles closed by then, stale judged against
    it, derivatives from ``derivatives_at`` as of then (no store: the neutral rule), never Coinalyze.
    """
    clock = clock or SystemClock()
    request = ScanRequest(Path(data_dir), strategy, output, ltf, htf, as_of_ms)
    scan = Scan(settings, request, clock)
    if source is None and as_of_ms is not None:
        log.info("As of %s: candles closed by then, derivatives from the store", utc_text(as_of_ms))
        source = AsOfSource(derivatives_at or NoDerivativesAt(), as_of_ms)
    if source is None:
        settings.api_key_value()  # no key → ConfigError before anything is read or sent
        cache_dir = settings.cache_path(request.data_dir)
        source = CoinalyzeSource.for_scan(settings, cache_dir=cache_dir, clock=clock, http=http)
    return scan.run(source, progress=progress)


def _run_summary(loaded: LoadResult, stats: SourceStats, duration_s: float) -> RunSummary:
    counts = dict(stats.oi_status)
    status = run_status(stats.markets_needing_data, stats.degraded_markets)
    coinalyze = (stats.derivatives or {}).get("coinalyze") or {}
    if status == "ok" and coinalyze.get("status") in ("failed", "refused"):
        status = "degraded"  # §11: Coinalyze down under auto/store degrades, OI and funding unaffected
    return RunSummary(
        status=status,
        markets=len(loaded.markets),
        stale_markets=sum(1 for m in loaded.markets if m.stale),
        skipped_files=[{"file": s.file, "reason": s.reason} for s in loaded.skipped],
        oi_status={k: counts.get(k, 0) for k in ("resolved", "aggregated", "neutral")},
        degraded_markets=stats.degraded_markets,
        units_spent=stats.units_spent,
        units_minimum=stats.units_minimum,
        requests=stats.requests,
        http_429=stats.http_429,
        retries=stats.retries,
        duration_s=round(duration_s, 3),
        derivatives=stats.derivatives or default_derivatives_block("coinalyze"),
    )
