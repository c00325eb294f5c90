"""Coinalyze as a :class:`~quantpro.sources.base.DerivativesSource`: resolver, processor, client and
cache behind one ``fetch`` (part one's behaviour; ``scan --derivatives coinalyze``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import httpx

from quantpro.clock import Clock
from quantpro.models import MarketKey
from quantpro.settings import Settings
from quantpro.sources.base import ProgressCallback, SourceResult
from quantpro.sources.coinalyze.client import CoinalyzeBatchClient
from quantpro.sources.coinalyze.processor import BatchProcessor

__all__ = ["CoinalyzeSource"]


class CoinalyzeSource:
    """Every market's derivatives data from the Coinalyze API, through the batch processor."""

    name = "coinalyze"

    def __init__(self, processor: BatchProcessor) -> None:
        self.processor = processor

    @classmethod
    def for_scan(
        cls, settings: Settings, *, cache_dir: Path, clock: Clock, http: httpx.Client | None = None
    ) -> CoinalyzeSource:
        """The source a scan uses: one client (its limiter and cache in ``cache_dir``), one processor."""
        client = CoinalyzeBatchClient(settings, http=http, clock=clock, cache_dir=cache_dir)
        processor = BatchProcessor(settings, client=client, clock=clock, cache_dir=cache_dir)
        processor.adopt_client()
        return cls(processor)

    def fetch(
        self, markets: Sequence[MarketKey], *, progress: ProgressCallback | None = None
    ) -> SourceResult:
        pairs = [(market.symbol, market.exchange) for market in markets]
        raw = self.processor.process_symbols(pairs, progress=progress)
        data = {m: self.processor.get_data_for_symbol(m.symbol, m.exchange, raw) for m in markets}
        return SourceResult(data, self.processor.last_stats)

    def close(self) -> None:
        self.processor.close()

    def __enter__(self) -> CoinalyzeSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
