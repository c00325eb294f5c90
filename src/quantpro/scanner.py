"""The composition root: load markets → one ``process_symbols`` → analyse → feed (DESIGN.md §2, §8).

``run_scan`` is what ``quantpro scan`` and ``quantpro demo`` call; ``analyze_symbol`` is the reference
design's per-market entry point, kept for code that analyses one market at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quantpro.clock import Clock, SystemClock, now_ms
from quantpro.errors import ConfigError, NoMarketsError
from quantpro.models import MarketData
from quantpro.ratelimit import eta_seconds

if TYPE_CHECKING:
    import httpx
    import pandas as pd

    from quantpro.batch_processor import BatchProcessor, FetchProgress
    from quantpro.features import FeatureFactory, SharedContext
    from quantpro.feed import RunSummary
    from quantpro.market_data import LoadedMarket, LoadResult
    from quantpro.settings import Settings
    from quantpro.strategies.base import Strategy

log = logging.getLogger(__name__)

__all__ = ["ScanOutcome", "analyze_symbol", "eta_seconds", "get_feature_factory", "run_scan"]

FEED_NAME = "master_feed.json"


@dataclass
class ScanOutcome:
    """What a scan produced: the feed written, its ``run`` block, and the exit code it implies."""

    feed_path: Path
    feed: dict[str, Any]
    run: RunSummary
    exit_code: int
    signals: list[dict[str, Any]] = field(default_factory=list)


def analyze_symbol(
    symbol: str,
    exchange: str,
    df_ltf: pd.DataFrame,
    df_htf: pd.DataFrame | None,
    strategies: Sequence[Strategy] | str,
    factory: FeatureFactory,
    external_data: MarketData | None = None,
) -> list[dict[str, Any]]:
    """Run ``strategies`` on one market given as DataFrames; returns one feed signal per strategy.

    ``external_data=None`` keeps the reference design's backward compatibility: the factory's data
    source (wired to the batch processor by :func:`get_feature_factory`) fetches this market's data
    through the same client, limiter and cache.
    """
    from quantpro.strategies import get_strategies

    chosen = get_strategies(strategies) if isinstance(strategies, str) else list(strategies)
    context = factory.build_context(symbol, exchange, df_ltf, df_htf, external_data=external_data)
    return _signals_for(context, chosen, factory.ltf_timeframe, factory.htf_timeframe)


def get_feature_factory(
    settings: Settings | None = None,
    *,
    processor: BatchProcessor | None = None,
    ltf: str = "15m",
    htf: str = "4h",
    clock: Clock | None = None,
) -> FeatureFactory:
    """A FeatureFactory whose markets fetch their own data (one at a time) when given none."""
    from quantpro.batch_processor import get_batch_processor
    from quantpro.features import FeatureFactory

    state: dict[str, BatchProcessor] = {}

    def fetch_one(symbol: str, exchange: str) -> MarketData:
        chosen = processor or state.get("p")
        if chosen is None:
            chosen = state["p"] = get_batch_processor(settings, clock=clock)
        data = chosen.process_symbols([(symbol, exchange)])
        return chosen.get_data_for_symbol(symbol, exchange, data)

    return FeatureFactory(data_source=fetch_one, ltf_timeframe=ltf, htf_timeframe=htf, clock=clock)


def _signals_for(
    context: SharedContext, strategies: Sequence[Strategy], ltf: str, htf: str
) -> list[dict[str, Any]]:
    from quantpro.feed import build_signal
    from quantpro.strategies.base import run_strategy

    return [
        build_signal(
            strategy_name=strategy.name,
            strategy_type=strategy.strategy_type,
            result=run_strategy(strategy, context),
            context=context,
            ltf_interval=ltf,
            htf_interval=htf,
        )
        for strategy in strategies
    ]


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
    progress: Callable[[FetchProgress], None] | None = None,
) -> ScanOutcome:
    """The whole scan. Raises ConfigError (exit 2), AuthenticationError (exit 2, no feed),
    NoMarketsError / FeedWriteError (exit 1); otherwise the feed is written and the outcome says
    whether it is ok/degraded (exit 0) or failed (exit 3)."""
    from quantpro.feed import build_feed, write_feed
    from quantpro.market_data import load_markets
    from quantpro.strategies import get_strategies

    clock = clock or SystemClock()
    started = clock.now()
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ConfigError(f"data directory {data_dir} does not exist or is not a directory")
    strategies = get_strategies(strategy)
    settings.api_key_value()  # no key → ConfigError before anything is read or sent
    scan_ms = now_ms(clock)

    feed_path = Path(output) if output is not None else data_dir / FEED_NAME
    _remove_stale_temp_files(clock, data_dir, feed_path.parent, settings.cache_path(data_dir))
    ignore = {feed_path.name} if feed_path.parent.resolve() == data_dir.resolve() else set()
    loaded = load_markets(data_dir, now_ms=scan_ms, ltf=ltf, htf=htf, ignore=ignore)
    log.info("Found %d markets in %s (%d files skipped)", len(loaded.markets), data_dir, len(loaded.skipped))
    for skipped in loaded.skipped:
        log.warning("skipped %s: %s", skipped.file, skipped.reason)
    if not loaded.markets:
        raise NoMarketsError(f"no valid market in {data_dir}; nothing to scan, no feed written")

    processor = _processor(settings, data_dir, clock, http)
    symbols = [(m.key.symbol, m.key.exchange) for m in loaded.markets]
    batch_data = processor.process_symbols(symbols, progress=progress)

    signals = _analyse_all(loaded.markets, processor, batch_data, strategies, scan_ms, ltf, htf, clock)
    run = _run_summary(loaded, processor, clock.now() - started)
    feed = build_feed(signals, run, last_updated_ms=now_ms(clock))  # build_feed sorts
    write_feed(feed_path, feed)
    log.info("Saved %d signals to %s", len(feed["signals"]), feed_path)
    log.info("Last Updated: %d", feed["last_updated"])
    exit_code = 3 if run.status == "failed" else 0
    return ScanOutcome(feed_path=feed_path, feed=feed, run=run, exit_code=exit_code, signals=feed["signals"])


#: A temp file older than this was left by a writer killed mid-write (SIGKILL, power loss); a younger
#: one may belong to a scan running right now on the same directory, so it is left alone.
STALE_TEMP_AGE_S = 3600.0


def _remove_stale_temp_files(clock: Clock, *directories: Path) -> None:
    """Delete ``.NAME.XXXX.tmp`` files that killed scans left in the feed's and caches' folders."""
    from quantpro.cache import CACHE_SUBDIR
    from quantpro.storage import remove_stale_temp_files

    folders = dict.fromkeys(Path(d) for d in directories)
    folders.update(dict.fromkeys(Path(d) / CACHE_SUBDIR for d in directories))
    removed = sum(
        remove_stale_temp_files(folder, older_than_s=STALE_TEMP_AGE_S, now=clock.now()) for folder in folders
    )
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run", removed)


def _processor(settings: Settings, data_dir: Path, clock: Clock, http: httpx.Client | None) -> BatchProcessor:
    from quantpro.batch_processor import BatchProcessor
    from quantpro.coinalyze.client import CoinalyzeBatchClient

    cache_dir = settings.cache_path(data_dir)
    client = CoinalyzeBatchClient(settings, http=http, clock=clock, cache_dir=cache_dir)
    return BatchProcessor(settings, client=client, clock=clock, cache_dir=cache_dir)


def _analyse_all(
    markets: Sequence[LoadedMarket],
    processor: BatchProcessor,
    batch_data: dict[str, MarketData],
    strategies: Sequence[Strategy],
    scan_ms: int,
    ltf: str,
    htf: str,
    clock: Clock,
) -> list[dict[str, Any]]:
    from quantpro.features import FeatureFactory

    factory = FeatureFactory(ltf_timeframe=ltf, htf_timeframe=htf, clock=clock)
    signals: list[dict[str, Any]] = []
    for market in markets:
        symbol, exchange = market.key.symbol, market.key.exchange
        context = factory.build_context(
            symbol,
            exchange,
            market.ltf,
            market.htf,
            external_data=processor.get_data_for_symbol(symbol, exchange, batch_data),
            scan_time_ms=scan_ms,
            htf_resampled=market.htf_resampled,
            stale=market.stale,
        )
        signals.extend(_signals_for(context, strategies, ltf, htf))
    return signals


def _run_summary(loaded: LoadResult, processor: BatchProcessor, duration_s: float) -> RunSummary:
    from quantpro.feed import RunSummary, run_status

    stats = processor.last_stats
    counts = dict(stats.oi_status)
    needing = counts.get("resolved", 0) + counts.get("aggregated", 0)
    return RunSummary(
        status=run_status(needing, stats.degraded_markets),
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
    )
