"""Freshness first (docs/design.md §12): stale candles are never sent to a derivatives source, and a run
whose markets are mostly stale says so — ``run.status: stale``, exit 4, and what to do about it.

A market is stale when its newest closed LTF candle ended more than 4 LTF intervals before the scan
(:func:`quantpro.candles.is_stale`, decided once when the market is loaded). ``--allow-stale``
(``QUANTPRO_ALLOW_STALE``) restores part one's behaviour for replays of old data: everything is
fetched and analysed, and the run is judged as any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from quantpro.models import MarketData, neutral_market_data
from quantpro.store.markets import LoadedMarket

__all__ = [
    "EXIT_STALE",
    "STALE_NOT_FETCHED",
    "mostly_stale",
    "not_fetched_data",
    "split_fresh",
    "stale_message",
]

EXIT_STALE = 4
STALE_NOT_FETCHED = "stale candles: not fetched"


def split_fresh(
    markets: Sequence[LoadedMarket], *, allow_stale: bool
) -> tuple[list[LoadedMarket], list[LoadedMarket]]:
    """The markets to send to the derivatives source, and the stale ones that are not sent."""
    if allow_stale:
        return list(markets), []
    return [m for m in markets if not m.stale], [m for m in markets if m.stale]


def not_fetched_data() -> MarketData:
    """What a stale market gets instead of derivatives: nothing, scored by the neutral rule, with why."""
    return neutral_market_data(STALE_NOT_FETCHED)


def mostly_stale(markets: Sequence[LoadedMarket], *, allow_stale: bool) -> bool:
    """More than half of the markets are stale (and the run was not asked to replay old data)."""
    stale = sum(1 for m in markets if m.stale)
    return not allow_stale and 2 * stale > len(markets)


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds < 172_800 else f"{seconds / 86_400:.1f} days"


def stale_message(markets: Sequence[LoadedMarket], scan_ms: int, data_dir: str) -> str:
    """Why the run is ``stale``: how many markets, the newest candle of all, and what to run."""
    stale = sum(1 for m in markets if m.stale)
    with_candles = [m for m in markets if len(m.ltf)]
    head = f"{stale} of {len(markets)} markets have stale candles"
    if with_candles:
        newest = max(with_candles, key=lambda m: int(m.ltf.time[-1]))
        ended = int(newest.ltf.time[-1]) + newest.ltf.interval_ms
        age = _hours((scan_ms - ended) / 1000)
        head += (
            f"; the newest candle in {data_dir} is {newest.key.exchange} {newest.key.symbol} "
            f"{newest.ltf.timeframe}, closed {_utc(ended)} ({age} before this scan)"
        )
    return (
        f"{head}. Their signals are WAIT and no derivatives were fetched for them: run "
        f"`quantpro download {data_dir}` to refresh the candles (or `quantpro scan --allow-stale` to replay "
        "old data on purpose)."
    )
