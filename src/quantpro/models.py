"""Plain data shared across layers: candles, market keys, statuses, external data, strategy results.

No I/O and no policy here. Arrays are numpy (float64 prices, int64 millisecond times), oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, TypedDict

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TIMEFRAME_MS: dict[str, int] = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
}


class OIStatus(StrEnum):
    """How a local market got its derivatives data (docs/design.md §4)."""

    RESOLVED = "resolved"  # a Coinalyze market on its own exchange
    AGGREGATED = "aggregated"  # the coin's reference market on another exchange (a proxy, not a sum)
    NEUTRAL = "neutral"  # the coin is not on Coinalyze: no data, neutral score


class Action(StrEnum):
    LONG = "LONG"
    SHORT = "SHORT"
    WAIT = "WAIT"


class Bias(StrEnum):
    LONG = "LONG"
    SHORT = "SHORT"
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class MarketKey:
    """One market: a venue (upper-case) and its local symbol."""

    exchange: str
    symbol: str

    @property
    def key(self) -> str:
        """The reference design's key, ``SYMBOL_EXCHANGE`` (``BTCUSDT_MEXC``)."""
        return f"{self.symbol}_{self.exchange}"


@dataclass(frozen=True)
class Candles:
    """Closed candles of one timeframe, oldest first."""

    timeframe: str
    time: IntArray  # open time, Unix ms UTC
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @property
    def interval_ms(self) -> int:
        return TIMEFRAME_MS[self.timeframe]


class _OIPointBase(TypedDict):
    timestamp: int  # bucket start, Unix seconds
    value: float  # OI close of the bucket: the venue's base units (store) or the API's native unit


class OIPoint(_OIPointBase, total=False):
    filled: bool  # interpolated across a short gap, for the computation only (never counts as real)


class Liquidations(TypedDict):
    longs: float  # USD over the last 24 h
    shorts: float


class DataMetadata(TypedDict, total=False):
    partial_last_bucket: bool  # the newest oi_history bucket is still forming
    reason: str | None  # why data is missing or degraded (None when complete)
    fetched_at: int | None  # ms, when the newest piece of this market's data was fetched
    degraded: bool  # mapped to a Coinalyze symbol, but a fetch failed
    current_observed: bool  # §11: the current bucket is a real observation (else z is not valid)


SourceName = Literal["venue", "coinalyze", "proxy", "none"]


class FieldSource(TypedDict, total=False):
    """Where one derivatives field came from (the feed's ``external.provenance``, docs/design.md §11)."""

    source: SourceName
    venue: str | None
    coinalyze_symbol: str | None
    as_of: int | None  # ms, when the value was observed (a bucket's boundary, a fetch)
    reason: str | None  # why there is none


class MarketData(TypedDict, total=False):
    """What a local market gets from its derivatives source (docs/design.md §6, §11).

    Part one's keys come first; the rest say where each field came from. A source that leaves them
    out is read as Coinalyze (``oi_status`` tells own data from a proxy).
    """

    oi_history: list[OIPoint]
    funding_rate: float | None  # percent per funding interval (0.01 = 0.01 %)
    ls_ratio: float | None
    liquidations: Liquidations | None
    oi_status: Literal["resolved", "aggregated", "neutral"]
    coinalyze_symbol: str | None
    oi_metadata: DataMetadata
    # §11
    oi_source: SourceName  # where the OI series came from
    oi_market: dict[str, str] | None  # {"venue", "venue_id"} of the series used
    proxy_of: str | None
    oi_unit: Literal["base", "native"]
    oi_value_usd: float | None
    funding_interval_h: float | None
    provenance: dict[str, FieldSource]  # open_interest, funding_rate, ls_ratio, liquidations


def neutral_market_data(reason: str | None = "not listed on Coinalyze") -> MarketData:
    """The data of a market with nothing from the API: scored by the neutral rule."""
    return {
        "oi_history": [],
        "funding_rate": None,
        "ls_ratio": None,
        "liquidations": None,
        "oi_status": "neutral",
        "coinalyze_symbol": None,
        "oi_metadata": {"partial_last_bucket": False, "reason": reason, "degraded": False},
    }


@dataclass(frozen=True, slots=True)
class Setup:
    """A trade plan. ``rr`` = reward / risk."""

    side: Literal["LONG", "SHORT"]
    entry: float
    tp: float
    sl: float
    rr: float


@dataclass
class StrategyResult:
    """One strategy's verdict on one market. Scores are on 0–100."""

    action: Action
    bias: Bias
    score: float
    setup: Setup | None = None  # None on WAIT
    reason: str | None = None  # WAIT says why
    details: dict[str, Any] = field(default_factory=dict)  # strategy-specific, JSON-able
    htf: dict[str, Any] = field(default_factory=dict)  # key HTF readings (JSON-able)
    ltf: dict[str, Any] = field(default_factory=dict)  # key LTF readings (JSON-able)
    score_composition: dict[str, float] = field(default_factory=dict)  # component → points
    rsi_visuals: dict[str, Any] = field(default_factory=dict)  # trendline geometry for charts
    #: The trade plan the strategy drew, whatever the action: the setup of a LONG/SHORT, and on a WAIT
    #: below the score threshold the plan it would have been (the backtest judges those too, §13).
    #: ``None`` when there is no plan or the wrapper rejected it (docs/design.md §12).
    plan: Setup | None = None
    #: Set by the strategy wrapper once every dict above is plain JSON; the feed then skips its own
    #: conversion (done once per result, not twice, on a scan's hot path).
    json_ready: bool = field(default=False, repr=False, compare=False)
