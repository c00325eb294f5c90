"""Coinalyze as a :class:`~quantpro.sources.base.DerivativesSource`: resolver, processor, client and
cache behind one ``fetch`` (part one's behaviour; ``scan --derivatives coinalyze``)."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from quantpro.clock import Clock
from quantpro.models import MarketKey
from quantpro.settings import Settings
from quantpro.sources.base import ProgressCallback, SourceResult, SourceStats
from quantpro.sources.coinalyze.client import CoinalyzeBatchClient
from quantpro.sources.coinalyze.processor import BatchProcessor
from quantpro.store.atomic import writable_dir_problem

__all__ = ["CoinalyzeSource"]

log = logging.getLogger(__name__)


def coinalyze_block(stats: SourceStats) -> dict[str, Any]:
    """``run.derivatives`` for part one's mode: everything from Coinalyze, nothing from the venues."""
    needing, degraded = stats.markets_needing_data, stats.degraded_markets
    status = "ok" if degraded == 0 else "failed" if 4 * degraded > needing else "degraded"
    return {
        "mode": "coinalyze",
        "venues": {},
        "coinalyze": {
            "status": status,
            "budget": None,
            "planned": stats.units_minimum,
            "spent": stats.units_spent,
            "short_by": 0,
            "oldest_age_s": {},
            "error": None if degraded == 0 else f"{degraded} of {needing} markets could not get their data",
        },
        "store": {"buckets_written": 0, "buckets_repaired": 0, "warming_up_markets": 0},
    }


class CoinalyzeSource:
    """Every market's derivatives data from the Coinalyze API, through the batch processor."""

    name = "coinalyze"

    def __init__(self, processor: BatchProcessor, *, scratch: Path | None = None) -> None:
        self.processor = processor
        self._scratch = scratch  # a private cache dir standing in for an unusable one; removed at close

    @classmethod
    def for_scan(
        cls, settings: Settings, *, cache_dir: Path, clock: Clock, http: httpx.Client | None = None
    ) -> CoinalyzeSource:
        """The source a scan uses: one client (its limiter and cache in ``cache_dir``), one processor.

        An unusable cache directory (read-only, a file in the way, a full disk) costs the caches, not the
        scan: it runs with a private temporary one, with a warning (issue 16 §7)."""
        scratch = None
        problem = writable_dir_problem(cache_dir)
        if problem is not None:
            scratch = Path(tempfile.mkdtemp(prefix="quantpro-cache-"))
            log.warning(
                "cache directory %s is unusable (%s); this scan runs without its caches and without the "
                "quota state other scans share",
                cache_dir,
                problem,
            )
            cache_dir = scratch
        client = CoinalyzeBatchClient(settings, http=http, clock=clock, cache_dir=cache_dir)
        processor = BatchProcessor(settings, client=client, clock=clock, cache_dir=cache_dir)
        processor.adopt_client()
        return cls(processor, scratch=scratch)

    def fetch(
        self, markets: Sequence[MarketKey], *, progress: ProgressCallback | None = None
    ) -> SourceResult:
        pairs = [(market.symbol, market.exchange) for market in markets]
        raw = self.processor.process_symbols(pairs, progress=progress)
        data = {m: self.processor.get_data_for_symbol(m.symbol, m.exchange, raw) for m in markets}
        stats = self.processor.last_stats
        stats.derivatives = coinalyze_block(stats)
        return SourceResult(data, stats)

    def close(self) -> None:
        self.processor.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> CoinalyzeSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
