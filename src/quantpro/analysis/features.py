"""Indicators computed once per market and shared by every strategy (the reference design's
``FeatureFactory.build_context`` and ``SharedContext``).

The dataclass shapes below are the contract between this module and the strategies: every array is
aligned row for row with its timeframe's *closed* candles (the forming candle is never used), warm-up
rows are NaN, and arrays are read-only views so a strategy cannot change what the next one reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from quantpro import candles as candle_ops
from quantpro.analysis import indicators
from quantpro.analysis.derivatives import DerivativesComponent, derivatives_component
from quantpro.analysis.trendlines import TrendlineSet, find_trendlines
from quantpro.clock import Clock, SystemClock, now_ms
from quantpro.errors import QuantProError
from quantpro.models import TIMEFRAME_MS, Candles, FloatArray, MarketData, neutral_market_data

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

#: ``data_source(symbol, exchange)`` → that market's external data (the scanner wires the batch processor).
DataSource = Callable[[str, str], MarketData]


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
        return find_trendlines(self.rsi)


def _frozen(values: FloatArray) -> FloatArray:
    """Read-only, so one strategy cannot change what the next one reads."""
    values.flags.writeable = False
    return values


def compute_features(candles: Candles) -> TimeframeFeatures:
    """Every indicator the strategies share, for one timeframe's closed candles (arrays read-only)."""
    c = candles
    bands = indicators.bollinger(c.close)
    dmi = indicators.directional(c.high, c.low, c.close)
    return TimeframeFeatures(
        candles=c,
        rsi=_frozen(indicators.rsi(c.close)),
        ema50=_frozen(indicators.ema(c.close, indicators.EMA_FAST)),
        ema200=_frozen(indicators.ema(c.close, indicators.EMA_SLOW)),
        adx=_frozen(dmi.adx),
        plus_di=_frozen(dmi.plus_di),
        minus_di=_frozen(dmi.minus_di),
        atr=_frozen(indicators.atr(c.high, c.low, c.close)),
        bb_upper=_frozen(bands.upper),
        bb_middle=_frozen(bands.middle),
        bb_lower=_frozen(bands.lower),
        obv=_frozen(indicators.obv(c.close, c.volume)),
        volume_sma=_frozen(indicators.sma(c.volume, indicators.VOLUME_SMA_PERIOD)),
    )


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
        return derivatives_component(self.external_data, self.scan_time_ms)


class FeatureFactory:
    """Builds a :class:`SharedContext` per market: closed candles, both timeframes' indicators, external data.

    ``data_source`` is the reference design's backward compatibility: when ``build_context`` is not
    given ``external_data``, the market fetches its own through it (the scanner wires it to the batch
    processor, so the same client, limiter and cache are used); without one the market is neutral.
    """

    def __init__(
        self,
        *,
        data_source: DataSource | None = None,
        htf_timeframe: str = "4h",
        ltf_timeframe: str = "15m",
        clock: Clock | None = None,
    ) -> None:
        for name, tf in (("htf_timeframe", htf_timeframe), ("ltf_timeframe", ltf_timeframe)):
            if tf not in TIMEFRAME_MS:
                raise ValueError(f"unknown {name} {tf!r}; valid timeframes are {', '.join(TIMEFRAME_MS)}")
        self.data_source = data_source
        self.htf_timeframe = htf_timeframe
        self.ltf_timeframe = ltf_timeframe
        self.clock: Clock = clock if clock is not None else SystemClock()

    def build_context(
        self,
        symbol: str,
        exchange: str,
        ltf: Candles | pd.DataFrame,
        htf: Candles | pd.DataFrame | None = None,
        external_data: MarketData | None = None,
        *,
        scan_time_ms: int | None = None,
    ) -> SharedContext:
        """The shared context of one market (the reference design's entry point). Inputs are never modified.

        Candles closed at the scan time are used; ``htf=None`` resamples the higher timeframe from the
        lower one (:func:`quantpro.candles.prepare_market` decides, as for files).
        """
        scan_ms = scan_time_ms if scan_time_ms is not None else now_ms(self.clock)
        prepared = candle_ops.prepare_market(
            self._candles(ltf, self.ltf_timeframe),
            None if htf is None else self._candles(htf, self.htf_timeframe),
            self.htf_timeframe,
            now_ms=scan_ms,
        )
        return self.context_for(symbol, exchange, prepared, external_data, scan_time_ms=scan_ms)

    def context_for(
        self,
        symbol: str,
        exchange: str,
        candles: candle_ops.MarketCandles,
        external_data: MarketData | None,
        *,
        scan_time_ms: int,
    ) -> SharedContext:
        """The shared context of a market whose candles are already prepared for ``scan_time_ms``."""
        return SharedContext(
            symbol=symbol,
            exchange=exchange,
            ltf=compute_features(candles.ltf),
            htf=compute_features(candles.htf),
            htf_resampled=candles.htf_resampled,
            external_data=self._external(symbol, exchange, external_data),
            scan_time_ms=scan_time_ms,
            stale=candles.stale,
        )

    @staticmethod
    def _candles(value: Candles | pd.DataFrame, timeframe: str) -> Candles:
        """Our candles as they are, a DataFrame converted (and repaired leniently) into new arrays."""
        if isinstance(value, Candles):
            if value.timeframe != timeframe:
                raise ValueError(f"expected {timeframe} candles, got {value.timeframe}")
            return value
        return candle_ops.candles_from_frame(value, timeframe)

    def _external(self, symbol: str, exchange: str, given: MarketData | None) -> MarketData:
        """The given data, else the data source's, else neutral; a failing source degrades to neutral."""
        if given is not None:
            return given
        if self.data_source is None:
            return neutral_market_data("no external data")
        try:
            return self.data_source(symbol, exchange)
        except QuantProError as exc:
            log.warning("external data for %s %s failed: %s; scoring it neutral", symbol, exchange, exc)
            data = neutral_market_data(f"data source failed: {exc}")
            data["oi_metadata"]["degraded"] = True
            return data
