"""A market as a scan at any moment T would see it, with the indicators computed once (docs/design.md §13).

The indicators are causal (each row depends only on the rows before it), so computing them once on
every candle of a file and cutting the arrays at T gives, row for row, what a scan at T computes on
the candles closed by then. :meth:`MarketSeries.context_at` builds that cut — the same closed candles,
the same fallback to a resampled higher timeframe, the same stale verdict and the same 50-candle
minimum as :func:`quantpro.store.markets.load_markets` at T — from views, never copies. The higher
timeframe's view is cached per closed-candle count, so its trendlines are found once per HTF bar.
A test compares every field the strategies read with ``scan --as-of T``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from quantpro import candles as candle_ops
from quantpro.analysis.features import SharedContext, TimeframeFeatures, compute_features
from quantpro.candles import MIN_CANDLES, closed_count, is_stale, resample, slice_candles
from quantpro.models import Candles, MarketData, MarketKey

__all__ = ["MarketSeries", "cut_features"]

_ARRAYS = (
    "rsi",
    "ema50",
    "ema200",
    "adx",
    "plus_di",
    "minus_di",
    "atr",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "obv",
    "volume_sma",
)

HtfKind = Literal["file", "resampled"]


def cut_features(features: TimeframeFeatures, rows: int) -> TimeframeFeatures:
    """The first ``rows`` rows of every candle column and indicator, as read-only views."""
    arrays = {name: getattr(features, name)[:rows] for name in _ARRAYS}
    return TimeframeFeatures(candles=slice_candles(features.candles, rows), **arrays)


@dataclass
class MarketSeries:
    """One market's every candle and its indicators, computed once; cut at any T by :meth:`context_at`."""

    key: MarketKey
    ltf_all: Candles
    htf_all: Candles | None
    htf_timeframe: str
    ltf_features: TimeframeFeatures = field(init=False)
    _htf_full: dict[HtfKind, TimeframeFeatures] = field(init=False, default_factory=dict)
    _htf_cut: dict[tuple[HtfKind, int], TimeframeFeatures] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.ltf_features = compute_features(self.ltf_all)

    def ltf_rows(self, at_ms: int) -> int:
        """How many LTF candles are closed at ``at_ms``."""
        return closed_count(self.ltf_all, at_ms)

    def usable_at(self, at_ms: int) -> bool:
        """Whether a scan at ``at_ms`` would load this market (its LTF file has 50 closed candles)."""
        return self.ltf_rows(at_ms) >= MIN_CANDLES

    def _full(self, kind: HtfKind) -> TimeframeFeatures:
        if kind not in self._htf_full:
            source = self.htf_all if kind == "file" else resample(self.ltf_all, self.htf_timeframe)
            assert source is not None
            self._htf_full[kind] = compute_features(source)
        return self._htf_full[kind]

    def _htf_at(self, at_ms: int, ltf_rows: int) -> tuple[TimeframeFeatures, bool]:
        """The HTF a scan at ``at_ms`` uses: its file's closed candles when the file has 50 of them
        (else the scan's loader falls back), otherwise the LTF's closed candles resampled."""
        if self.htf_all is not None and closed_count(self.htf_all, at_ms) >= MIN_CANDLES:
            kind: HtfKind = "file"
            rows = closed_count(self.htf_all, at_ms)
        else:
            kind = "resampled"
            full = self._full(kind).candles
            ltf_end = int(self.ltf_all.time[ltf_rows - 1]) + self.ltf_all.interval_ms
            ends = full.time + full.interval_ms
            rows = int(np.searchsorted(ends, ltf_end, side="right"))  # buckets complete by then
        cached = self._htf_cut.get((kind, rows))
        if cached is None:
            if len(self._htf_cut) > 64:
                self._htf_cut.clear()  # the cuts move forward: old views are not asked again
            cached = self._htf_cut[(kind, rows)] = cut_features(self._full(kind), rows)
        return cached, kind == "resampled"

    def context_at(self, at_ms: int, external: MarketData) -> SharedContext | None:
        """The strategies' context at ``at_ms``; None when a scan then would not load the market."""
        rows = self.ltf_rows(at_ms)
        if rows < MIN_CANDLES:
            return None
        ltf = cut_features(self.ltf_features, rows)
        htf, resampled = self._htf_at(at_ms, rows)
        return SharedContext(
            symbol=self.key.symbol,
            exchange=self.key.exchange,
            ltf=ltf,
            htf=htf,
            htf_resampled=resampled,
            external_data=external,
            scan_time_ms=at_ms,
            stale=is_stale(ltf.candles, at_ms),
        )

    def prepared_at(self, at_ms: int) -> candle_ops.MarketCandles:
        """The candles ``prepare_market`` gives at ``at_ms`` (the naive path, for comparison)."""
        htf = self.htf_all
        if htf is not None and closed_count(htf, at_ms) < MIN_CANDLES:
            htf = None
        return candle_ops.prepare_market(self.ltf_all, htf, self.htf_timeframe, now_ms=at_ms)
