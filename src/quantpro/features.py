"""Indicators computed once per market and shared by every strategy (the reference design's
``FeatureFactory.build_context`` and ``SharedContext``).

SKELETON: the dataclass shapes below are the contract between this module and the strategies.
``FeatureFactory.build_context`` is implemented by the market-data/indicator work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from quantpro.models import Candles, FloatArray, MarketData

if TYPE_CHECKING:
    from quantpro.derivatives import DerivativesComponent
    from quantpro.trendlines import TrendlineSet


@dataclass(frozen=True)
class TimeframeFeatures:
    """One timeframe's closed candles and its indicators, all aligned row for row with the candles.

    Warm-up rows are NaN (never dropped), so an index into any array is a candle row. An indicator
    that needs more history than the market has is all-NaN.
    """

    candles: Candles
    rsi: FloatArray  # RSI 14, Wilder smoothing
    ema50: FloatArray
    ema200: FloatArray
    adx: FloatArray  # ADX 14
    plus_di: FloatArray
    minus_di: FloatArray
    atr: FloatArray  # ATR 14 (Wilder)
    bb_upper: FloatArray  # Bollinger 20, 2σ (population)
    bb_middle: FloatArray
    bb_lower: FloatArray
    obv: FloatArray
    volume_sma: FloatArray  # SMA 20 of volume

    def __len__(self) -> int:
        return len(self.candles)

    @cached_property
    def trendlines(self) -> TrendlineSet:
        """RSI trendlines through k=3 pivots over the last 150 bars; pivot indices are candle rows."""
        from quantpro.trendlines import find_trendlines

        return find_trendlines(self.rsi)


@dataclass
class SharedContext:
    """Everything a strategy reads about one market. Strategies must not mutate it."""

    symbol: str
    exchange: str
    ltf: TimeframeFeatures
    htf: TimeframeFeatures
    htf_resampled: bool  # the HTF was built from the LTF because its file was missing
    external_data: MarketData  # never None: a market without data gets neutral data
    scan_time_ms: int  # "now" of the scan, Unix ms
    stale: bool = False  # last closed LTF candle older than 4 LTF intervals
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def derivatives(self) -> DerivativesComponent:
        """The shared derivatives component (OI z-score, neutral rule, adjustments), computed once."""
        from quantpro.derivatives import derivatives_component

        return derivatives_component(self.external_data, self.scan_time_ms)


class FeatureFactory:
    """Builds a :class:`SharedContext` per market. SKELETON: implemented by the indicator work."""

    def build_context(self, *args: Any, **kwargs: Any) -> SharedContext:
        raise NotImplementedError
