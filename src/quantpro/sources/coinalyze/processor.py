"""Resolve → plan → fetch → hand each local market its data (the reference design's BatchProcessor).

Quota is charged per symbol (docs/design.md §5), so the plan is where units are saved: each
(data type, Coinalyze symbol) is asked for at most once per scan however many local markets share it,
cached answers cost nothing, and the long/short ratio is only asked of symbols that have it. The
processor owns the plan and the response cache; the client only sends one request at a time. Requests
carry at most ``settings.batch_size`` symbols, and never wait for a whole batch's units while part of
it could go now: a request that does not fit the window's free units is split, and the part that fits
goes at once. A request that still fails after the client's retries degrades only the markets that
depend on it; a refused key stops everything at once.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, cast

from quantpro.clock import Clock, format_duration, now_ms
from quantpro.errors import AuthenticationError, CoinalyzeError
from quantpro.models import (
    DataMetadata,
    Liquidations,
    MarketData,
    MarketKey,
    OIPoint,
    OIStatus,
    neutral_market_data,
)
from quantpro.net.ratelimit import eta_seconds
from quantpro.settings import Settings
from quantpro.sources.base import FetchProgress, ProgressCallback, SourceStats
from quantpro.sources.coinalyze.cache import ResponseCache, cache_table
from quantpro.sources.coinalyze.client import CoinalyzeBatchClient, get_batch_client
from quantpro.sources.coinalyze.endpoints import DataType
from quantpro.sources.coinalyze.resolver import CoinalyzeResolver, defaults_from_client

__all__ = ["DATA_TYPES", "BatchProcessor", "FetchProgress", "PlannedRequest", "get_batch_processor"]

log = logging.getLogger(__name__)

#: The order data types are fetched in; open interest first, as it drives the score.
DATA_TYPES: tuple[DataType, ...] = (
    DataType.OI_HISTORY,
    DataType.FUNDING_RATE,
    DataType.LS_RATIO,
    DataType.LIQUIDATIONS,
)
OI_BUCKET_S = 900  # oi_history is requested at interval=15min

StatusName = Literal["resolved", "aggregated", "neutral"]


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """One request of the plan: a data type and at most ``batch_size`` symbols."""

    data_type: DataType
    symbols: tuple[str, ...]


@dataclass
class _Fetched:
    """Everything the fetch phase learnt, keyed by (data type, Coinalyze symbol)."""

    values: dict[tuple[DataType, str], Any] = field(default_factory=dict)
    failures: dict[tuple[DataType, str], str] = field(default_factory=dict)
    fetched_at: dict[str, int] = field(default_factory=dict)  # symbol → ms of its newest fetch


def chunked(items: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """``items`` in consecutive chunks of at most ``size``."""
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]


def _empty_value(data_type: DataType) -> Any:
    """What a data type holds when the API had nothing: an empty list or null (docs/design.md §6)."""
    return [] if data_type is DataType.OI_HISTORY else None


class BatchProcessor:
    """Orchestrates the resolver and the batch client for one scan's markets."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        resolver: CoinalyzeResolver | None = None,
        client: CoinalyzeBatchClient | None = None,
        clock: Clock | None = None,
        cache_dir: Path | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        self.settings, self.clock = defaults_from_client(settings, client, clock)
        self._owns_client = client is None
        if client is None:
            client = get_batch_client(self.settings, clock=self.clock, cache_dir=cache_dir, cache=cache)
        self.client = client
        #: The processor plans against this cache and fills it; the client's convenience calls share it.
        self.cache = cache if cache is not None else client.cache
        self.resolver = resolver or CoinalyzeResolver(
            self.settings, client=client, clock=self.clock, cache_dir=cache_dir
        )
        self.last_stats = SourceStats()

    def adopt_client(self) -> None:
        """Take charge of closing the client it was given (a composition root hands it over)."""
        self._owns_client = True

    def close(self) -> None:
        """Close the HTTP clients this processor built (a long-running loop must not leak pools)."""
        if self._owns_client:
            self.client.close()
        if self.resolver.client is not self.client:
            self.resolver.close()

    def __enter__(self) -> BatchProcessor:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the scan ---------------------------------------------------------------------------------

    def process_symbols(
        self,
        symbols: Iterable[tuple[str, str]],
        *,
        progress: ProgressCallback | None = None,
    ) -> dict[str, MarketData]:
        """Data for every ``(symbol, exchange)``, keyed ``SYMBOL_EXCHANGE``; counters in :attr:`last_stats`.

        Raises :class:`AuthenticationError` at the first refused request (the caller exits 2).
        """
        markets = list(dict.fromkeys(symbols))
        log.info("Processing %d symbols", len(markets))
        stats = SourceStats()
        with ExitStack() as recording:
            for client in self._clients():
                recording.enter_context(client.recording(stats))
            result = self._process(markets, stats, progress)
        self.last_stats = stats
        log.info("Units spent: %d (minimum %d)", stats.units_spent, stats.units_minimum)
        return result

    def _process(
        self, markets: list[tuple[str, str]], stats: SourceStats, progress: ProgressCallback | None
    ) -> dict[str, MarketData]:
        try:
            self.resolver.ensure_initialized()
        except AuthenticationError:
            raise
        except CoinalyzeError as exc:
            return self._catalogue_unavailable(markets, exc, stats)
        resolutions = self.resolver.resolve_batch(markets)
        self._count_statuses(resolutions.values(), stats)
        wanted = list(dict.fromkeys(sym for sym, _ in resolutions.values() if sym is not None))
        plan = self.plan(wanted)
        stats.units_minimum = sum(len(request.symbols) for request in plan)
        self._log_plan(plan, stats.units_minimum, len(wanted))
        fetched = self._fetch(plan, stats.units_minimum, progress)
        result = {
            MarketKey(exchange.upper(), symbol).key: self._market_data(sym, status, fetched=fetched)
            for (symbol, exchange), (sym, status) in resolutions.items()
        }
        stats.degraded_markets = sum(1 for data in result.values() if data["oi_metadata"].get("degraded"))
        return result

    def plan(self, coinalyze_symbols: Sequence[str]) -> list[PlannedRequest]:
        """The requests a scan needs: per data type, the symbols needing it and not fresh in the cache."""
        requests: list[PlannedRequest] = []
        for data_type in DATA_TYPES:
            needed = [
                sym
                for sym in coinalyze_symbols
                if self._needs(data_type, sym) and not self.cache.is_fresh(cache_table(data_type), sym)
            ]
            requests.extend(
                PlannedRequest(data_type, chunk) for chunk in chunked(needed, self.client.batch_size)
            )
        return requests

    def _log_plan(self, plan: list[PlannedRequest], units: int, symbols: int) -> None:
        """Say up front what the API phase will cost and take, so the cost is never a surprise."""
        calls, period = self.settings.rate_limit_calls, self.settings.rate_limit_period
        seconds = eta_seconds(units, calls, period)
        log.info(
            "Plan: %d units in %d requests for %d Coinalyze symbols (fresh cached data reused); "
            "at %d units per %s that takes about %s",
            units,
            len(plan),
            symbols,
            calls,
            format_duration(period),
            format_duration(seconds),
        )

    def get_data_for_symbol(
        self, symbol: str, exchange: str, batch_data: dict[str, MarketData]
    ) -> MarketData:
        """One market's data from :meth:`process_symbols`' result; neutral data when absent."""
        data = batch_data.get(MarketKey(exchange.upper(), symbol).key)
        return data if data is not None else neutral_market_data("no derivatives data for this market")

    # -- steps --------------------------------------------------------------------------------------

    def _needs(self, data_type: DataType, coinalyze_symbol: str) -> bool:
        """Long/short ratio only where the catalogue says the symbol has it."""
        if data_type is not DataType.LS_RATIO:
            return True
        info = self.resolver.market_info(coinalyze_symbol)
        return bool(info and info.get("has_long_short_ratio_data") is True)

    def _fetch(
        self, plan: list[PlannedRequest], units_total: int, progress: ProgressCallback | None
    ) -> _Fetched:
        """Send the plan in order; a request whose units do not all fit now is split (docs/design.md §5)."""
        fetched = _Fetched()
        pending = deque(plan)
        done = sent = 0
        while pending:
            request = self._fitting(pending)
            sent += 1
            total = sent + len(pending)
            log.info(
                "Fetching batch %d/%d (%d symbols) — %s",
                sent,
                total,
                len(request.symbols),
                request.data_type,
            )
            self._fetch_one(request, fetched)
            done += len(request.symbols)
            if progress is not None:
                progress(FetchProgress(sent, total, done, units_total, str(request.data_type)))
        return fetched

    def _fitting(self, pending: deque[PlannedRequest]) -> PlannedRequest:
        """The next request, cut to the units the window can take at its earliest moment."""
        request = pending.popleft()
        fits = self.client.limiter.fitting(len(request.symbols))
        if fits >= len(request.symbols):
            return request
        pending.appendleft(PlannedRequest(request.data_type, request.symbols[fits:]))
        log.debug("sending %d of %d symbols now: the window has room for no more", fits, len(request.symbols))
        return PlannedRequest(request.data_type, request.symbols[:fits])

    def _fetch_one(self, request: PlannedRequest, fetched: _Fetched) -> None:
        """One request; a failure is recorded against its symbols and the scan goes on."""
        try:
            outcome = self.client.fetch_chunk(request.data_type, list(request.symbols))
        except AuthenticationError:
            raise
        except CoinalyzeError as exc:  # the client should return these as outcomes; be safe anyway
            failed: str | None = f"{type(exc).__name__}: {exc}"
            data: dict[str, Any] = {}
        else:
            failed, data = outcome.failed, outcome.data
        if failed is not None:
            log.warning(
                "%s request for %d symbols failed (%s); their markets are degraded",
                request.data_type,
                len(request.symbols),
                failed,
            )
            for sym in request.symbols:
                fetched.failures[(request.data_type, sym)] = failed
            return
        self.cache.put_many(cache_table(request.data_type), data)
        stamp = now_ms(self.clock)
        for sym in request.symbols:
            fetched.values[(request.data_type, sym)] = data.get(sym, _empty_value(request.data_type))
            fetched.fetched_at[sym] = stamp

    def _value(self, data_type: DataType, sym: str, fetched: _Fetched) -> Any:
        """This scan's answer, else the cache's, else empty (not needed, or failed)."""
        key = (data_type, sym)
        if key in fetched.values:
            return fetched.values[key]
        if key in fetched.failures or not self._needs(data_type, sym):
            return _empty_value(data_type)
        hit, value = self.cache.get(cache_table(data_type), sym)
        return value if hit else _empty_value(data_type)

    def _fetched_at(self, sym: str, fetched: _Fetched) -> int | None:
        """When the newest piece of this symbol's data was fetched (this scan, else the cache's stamp)."""
        if sym in fetched.fetched_at:
            return fetched.fetched_at[sym]
        stamps = [self.cache.fetched_at(cache_table(data_type), sym) for data_type in DATA_TYPES]
        known = [stamp for stamp in stamps if stamp is not None]
        return max(known) if known else None

    def _market_data(self, sym: str | None, status: str, *, fetched: _Fetched) -> MarketData:
        if sym is None:
            return neutral_market_data()
        oi = cast(list[OIPoint], list(self._value(DataType.OI_HISTORY, sym, fetched) or []))
        liquidations = self._value(DataType.LIQUIDATIONS, sym, fetched)
        failures = [
            f"{data_type}: {fetched.failures[(data_type, sym)]}"
            for data_type in DATA_TYPES
            if (data_type, sym) in fetched.failures
        ]
        metadata: DataMetadata = {
            "partial_last_bucket": bool(oi) and oi[-1]["timestamp"] + OI_BUCKET_S > self.clock.now(),
            "reason": "; ".join(failures) if failures else (None if oi else "no open interest history"),
            "degraded": bool(failures),
            "fetched_at": self._fetched_at(sym, fetched),
        }
        return {
            "oi_history": oi,
            "funding_rate": self._value(DataType.FUNDING_RATE, sym, fetched),
            "ls_ratio": self._value(DataType.LS_RATIO, sym, fetched),
            "liquidations": cast(Liquidations | None, dict(liquidations) if liquidations else None),
            "oi_status": cast(StatusName, status),
            "coinalyze_symbol": sym,
            "oi_metadata": metadata,
        }

    def _catalogue_unavailable(
        self, markets: list[tuple[str, str]], exc: CoinalyzeError, stats: SourceStats
    ) -> dict[str, MarketData]:
        """No catalogue at all (API down, no cache): every market is degraded, none resolved."""
        log.error("the Coinalyze symbol catalogue is unavailable (%s); no derivatives data this scan", exc)
        reason = f"symbol catalogue unavailable: {exc}"
        result: dict[str, MarketData] = {}
        for symbol, exchange in markets:
            data = neutral_market_data(reason)
            data["oi_metadata"]["degraded"] = True
            result[MarketKey(exchange.upper(), symbol).key] = data
        stats.oi_status["neutral"] = len(result)
        stats.degraded_markets = len(result)
        return result

    # -- bookkeeping --------------------------------------------------------------------------------

    def _clients(self) -> list[CoinalyzeBatchClient]:
        """The distinct clients a scan's requests go through (the resolver may have its own)."""
        clients = [self.client]
        if self.resolver.client is not self.client:
            clients.append(self.resolver.client)
        return clients

    def _count_statuses(self, resolutions: Iterable[tuple[str | None, str]], stats: SourceStats) -> None:
        counts = Counter(status for _, status in resolutions)
        stats.oi_status = {status.value: counts.get(status.value, 0) for status in OIStatus}
        log.info(
            "Resolved: %d | Aggregated: %d | Neutral: %d",
            stats.oi_status["resolved"],
            stats.oi_status["aggregated"],
            stats.oi_status["neutral"],
        )


def get_batch_processor(settings: Settings | None = None, **kwargs: Any) -> BatchProcessor:
    """A new processor (no hidden singleton); settings from the environment when not given."""
    return BatchProcessor(settings, **kwargs)
