"""Analysing the past (docs/design.md §13): the moment of a replay, and the derivatives it may use.

``scan --as-of TIME`` and the backtest both ask "what did the store hold at T?" through one seam,
:class:`DerivativesAt` — ``(markets, T)`` → per-market :class:`~quantpro.models.MarketData` — so they
cannot disagree about it. The default, :class:`NoDerivativesAt`, has no store: every market gets the
neutral rule, said in its reason. :class:`StoreDerivativesAt` reads the SQLite store of §11 as it
was at T (only buckets observed by then, the newest ratio and funding by then, only markets listed by
then); :func:`derivatives_at_for` picks it when a store exists. Coinalyze is never asked about the past.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from quantpro.clock import Clock, FakeClock, SystemClock, now_ms
from quantpro.errors import ConfigError
from quantpro.feed.build import default_derivatives_block
from quantpro.models import MarketData, MarketKey, neutral_market_data
from quantpro.settings import Settings
from quantpro.sources.base import ProgressCallback, SourceResult, SourceStats
from quantpro.sources.exchanges.reads import PreloadedReads
from quantpro.sources.exchanges.source import ExchangeSource, read_at
from quantpro.store.db import Store
from quantpro.store.derivatives import MarketRow
from quantpro.store.derivatives_read import load_markets

__all__ = [
    "NO_STORE_REASON",
    "AsOfSource",
    "DerivativesAt",
    "NoDerivativesAt",
    "StoreDerivativesAt",
    "derivatives_at_for",
    "derivatives_kind",
    "parse_as_of",
]

NO_STORE_REASON = "as-of replay: no derivatives store, neutral rule"
#: At most this many markets per ``at`` are read from a preload (the backtest asks one per cut).
PRELOAD_MAX_KEYS = 8
_DIGITS = re.compile(r"^\d{10,}$")


def parse_as_of(text: str, flag: str = "--as-of") -> int:
    """``TIME`` as Unix ms: digits are Unix milliseconds; otherwise ISO 8601 (naive = UTC, ``Z`` ok).

    Raises :class:`ConfigError` (exit 2) naming the accepted forms.
    """
    raw = text.strip()
    if _DIGITS.match(raw):
        return int(raw)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{flag} {text!r} is neither ISO 8601 (2026-01-15T12:00Z) nor Unix milliseconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ms = moment.timestamp() * 1000
    if not math.isfinite(ms) or ms <= 0:
        raise ConfigError(f"{flag} {text!r} is before 1970")
    return round(ms)


@runtime_checkable
class DerivativesAt(Protocol):
    """The derivatives each market had at ``at_ms``: only what was known by then, never later."""

    name: str

    def at(self, markets: Sequence[MarketKey], at_ms: int) -> dict[MarketKey, MarketData]: ...


class NoDerivativesAt:
    """No store: every market at every moment gets the neutral rule (kind ``neutral``)."""

    name = "none"

    def at(self, markets: Sequence[MarketKey], at_ms: int) -> dict[MarketKey, MarketData]:
        return {key: neutral_market_data(NO_STORE_REASON) for key in markets}


class StoreDerivativesAt:
    """The §11 store as it was at ``at_ms``: each market's data exactly as a live scan at that moment
    would have read it (:class:`~quantpro.sources.exchanges.source.ExchangeSource` at a clock set to
    T, which sees nothing observed after T).

    A few markets (the backtest asks one per cut) are answered from a preload of their rows, made
    once per set of markets and process and read in memory at each T by the same reader; many
    markets at once (``scan --as-of``), or a moment after the preload was made, read SQLite."""

    name = "store"

    def __init__(
        self, store_path: Path, *, preload_max_keys: int = PRELOAD_MAX_KEYS, clock: Clock | None = None
    ) -> None:
        self.store_path = Path(store_path)
        self.preload_max_keys = preload_max_keys
        self.clock: Clock = clock or SystemClock()
        self._markets: list[MarketRow] | None = None
        self._preload: tuple[frozenset[tuple[str, str]], int, PreloadedReads] | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled to a worker without its preload: each process loads its own."""
        return {**self.__dict__, "_markets": None, "_preload": None}

    def at(self, markets: Sequence[MarketKey], at_ms: int) -> dict[MarketKey, MarketData]:
        reads = self._preloaded(markets, at_ms) if len(markets) <= self.preload_max_keys else None
        if reads is None:
            source = ExchangeSource(self.store_path, clock=FakeClock(at_ms / 1000))
            return source.fetch(markets).data
        return read_at(reads, at_ms, markets)[0]

    def _preloaded(self, markets: Sequence[MarketKey], at_ms: int) -> PreloadedReads | None:
        """The preload of these markets, made now if needed; None when ``at_ms`` is not before it
        (the store may still learn what was observed by then)."""
        asked = frozenset((k.exchange.upper(), k.symbol) for k in markets)
        if self._preload is not None and self._preload[0] == asked and at_ms < self._preload[1]:
            return self._preload[2]
        loaded_ms = now_ms(self.clock) - 1
        if at_ms >= loaded_ms:
            return None
        with Store(self.store_path) as store:
            if self._markets is None:
                self._markets = load_markets(store)
            reads = PreloadedReads(store, asked, all_markets=self._markets)
        self._preload = (asked, loaded_ms, reads)
        return reads


def derivatives_at_for(settings: Settings, data_dir: Path) -> DerivativesAt:
    """The store of ``data_dir`` when there is one (never created by a replay), else no derivatives."""
    path = settings.store_file(Path(data_dir))
    return StoreDerivativesAt(path) if path.is_file() else NoDerivativesAt()


def derivatives_kind(data: MarketData) -> str:
    """What kind of derivatives a market had at a cut: ``resolved``, ``aggregated`` or ``neutral``."""
    return str(data.get("oi_status", "neutral"))


class AsOfSource:
    """A :class:`~quantpro.sources.base.DerivativesSource` over a :class:`DerivativesAt` at one moment,
    so ``scan --as-of`` runs the scan's own fetch stage: 0 requests, 0 units."""

    def __init__(self, derivatives: DerivativesAt, at_ms: int) -> None:
        self.derivatives = derivatives
        self.at_ms = at_ms
        self.name = f"store@{at_ms}"

    def fetch(
        self, markets: Sequence[MarketKey], *, progress: ProgressCallback | None = None
    ) -> SourceResult:
        data = self.derivatives.at(markets, self.at_ms)
        stats = SourceStats()
        for key in markets:
            data.setdefault(key, neutral_market_data(NO_STORE_REASON))
            kind = derivatives_kind(data[key])
            stats.oi_status[kind] = stats.oi_status.get(kind, 0) + 1
        stats.derivatives = default_derivatives_block("store")
        return SourceResult(data, stats)

    def close(self) -> None:
        return None
