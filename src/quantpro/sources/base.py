"""The seam every derivatives source plugs into: markets in, per-market data and one stats record out.

A scan asks one :class:`DerivativesSource` for the derivatives data of its markets. Coinalyze
(:mod:`quantpro.sources.coinalyze`) is one source; the exchanges' own open interest and funding read
from the local store (§11) are another. Whatever a source did — requests, quota units, 429s, retries,
which markets it resolved or degraded — goes into one :class:`SourceStats`, which the scan copies into
the feed's ``run`` block as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

from quantpro.models import MarketData, MarketKey, OIStatus

__all__ = ["DerivativesSource", "FetchProgress", "ProgressCallback", "SourceResult", "SourceStats"]


def _zero_statuses() -> dict[str, int]:
    return {status.value: 0 for status in OIStatus}


@dataclass
class SourceStats:
    """What one derivatives phase did; the counters of the feed's ``run`` block (docs/design.md §5, §8).

    Remote clients count into it while it is :meth:`recording`-ed; nothing is diffed afterwards.
    """

    oi_status: dict[str, int] = field(default_factory=_zero_statuses)
    degraded_markets: int = 0  # needed data, but their fetch failed
    units_spent: int = 0  # Coinalyze data units charged: first tries and retries
    units_minimum: int = 0  # Σ over data types of the distinct symbols needing it and not cached
    requests: int = 0  # every HTTP request sent
    http_429: int = 0
    retries: int = 0  # every re-send
    catalogue_units: int = 0  # /exchanges and /future-markets, counted apart from data
    #: The feed's ``run.derivatives`` block, as the source describes its phase (docs/design.md §11);
    #: ``None`` leaves the scan's default for the mode.
    derivatives: dict[str, Any] | None = None

    def add(self, other: SourceStats) -> None:
        """Fold ``other``'s counters into this record (statuses per status; the block is not merged)."""
        for item in fields(self):
            if item.name == "derivatives":
                continue
            if item.name == "oi_status":
                for status, count in other.oi_status.items():
                    self.oi_status[status] = self.oi_status.get(status, 0) + count
            else:
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @property
    def markets_needing_data(self) -> int:
        """Markets that had something to fetch (resolved or aggregated); neutral ones never lack data."""
        return self.oi_status.get("resolved", 0) + self.oi_status.get("aggregated", 0)


class StatsSink:
    """Counters a client adds to: its lifetime :class:`SourceStats` plus every record now recording."""

    def __init__(self) -> None:
        self.total = SourceStats()
        self._recording: list[SourceStats] = []

    def count(self, name: str, amount: int = 1) -> None:
        for record in (self.total, *self._recording):
            setattr(record, name, getattr(record, name) + amount)

    @contextmanager
    def recording(self, record: SourceStats) -> Iterator[SourceStats]:
        """Count into ``record`` too while the block runs (one scan's phase)."""
        self._recording.append(record)
        try:
            yield record
        finally:
            self._recording.remove(record)


@dataclass(frozen=True, slots=True)
class FetchProgress:
    """Where a fetch phase stands after a request, for the CLI's progress bar and ETA."""

    batch_index: int  # 1-based index of the request just finished
    batch_total: int  # planned requests
    units_done: int  # planned units covered so far
    units_total: int  # the phase's minimum (all planned units)
    data_type: str


ProgressCallback = Callable[[FetchProgress], None]


@dataclass
class SourceResult:
    """A source's answer: data for every market asked (neutral where it had none) and its stats."""

    data: dict[MarketKey, MarketData]
    stats: SourceStats


@runtime_checkable
class DerivativesSource(Protocol):
    """Markets in → per-market data and one stats record out. Closed when the run ends."""

    name: str

    def fetch(
        self, markets: Sequence[MarketKey], *, progress: ProgressCallback | None = None
    ) -> SourceResult: ...

    def close(self) -> None: ...
