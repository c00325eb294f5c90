"""Deterministic sample candle files for ``quantpro demo`` (docs/design.md §2, §4).

Each demo coin gets one 4h price path shaped by a *scenario* — a trend with a closing pullback, a
range, or an RSI trendline breakout — and 15-minute candles bridged between the 4h closes, so the
two timeframes agree exactly (a 4h candle is the aggregate of its sixteen 15m candles). Every venue
listing the coin shows that path with its own small basis, its volume share and, for ``1000PEPE`` /
``kPEPE``, its multiplier. Files follow the §4 contract (object form, compact JSON, written
atomically) and end at the candle still forming at ``now_ms``, which the scanner must drop; the last
closed candle is current, so nothing is stale.

Breakouts are built from the RSI outward: a target RSI path (one overbought pivot, a touch and a lower
pivot 35 bars on, RSI held under the falling line through them, then a cross in the last closed bar but
one)
is inverted through Wilder's recursion into closes. RSI depends only on price differences, so the
path keeps its shape after it is shifted and scaled to the coin's price level.

Randomness is a seeded :class:`numpy.random.Generator` per coin and per venue (keyed by CRC32 of
their names), so the same seed gives byte-identical files and adding markets leaves the others as
they were.

The demo owns its directory through a marker file, ``.quantpro-demo``, listing the candle files it
wrote. Regenerating removes the listed files first, so a smaller demo never leaves a larger one's
markets behind to be scanned as stale; a non-empty directory without the marker is refused, so a
user's own data is never overwritten or deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from quantpro.demo.paths import HTF_BARS, STEPS, CoinPath, DemoCoin, coin_path, rng_for
from quantpro.errors import ConfigError
from quantpro.models import TIMEFRAME_MS, FloatArray, IntArray, MarketKey
from quantpro.store.atomic import atomic_write_bytes, dumps_json
from quantpro.store.layout import DEMO_MARKER, candle_file_name, candle_path, parse_candle_file_name

log = logging.getLogger(__name__)

LTF = "15m"
HTF = "4h"
LTF_MS = TIMEFRAME_MS[LTF]
HTF_MS = TIMEFRAME_MS[HTF]
LTF_CANDLES = 400  # 15m candles written for a market that has its own 4h file
#: The file that marks a directory as the demo's own and lists the candle files it wrote.


@dataclass(frozen=True, slots=True)
class DemoMarket:
    exchange: str
    symbol: str
    coin: str
    multiplier: float = 1.0  # tokens per unit: 1000 for 1000PEPE / kPEPE
    htf_file: bool = True  # False: no 4h file, the scanner resamples the 15m candles


COINS: dict[str, DemoCoin] = {
    c.name: c
    for c in (
        DemoCoin("BTC", 90_000.0, "trend_up", 0.009, 4e7),
        DemoCoin("ETH", 3_200.0, "range", 0.012, 2e7),
        DemoCoin("SOL", 135.0, "trend_down", 0.016, 6e6),
        DemoCoin("XRP", 2.01, "breakout_down", 0.010, 5e6),
        DemoCoin("DOGE", 0.129, "trend_up", 0.018, 3e6),
        DemoCoin("PEPE", 5.3e-6, "breakout_up", 0.014, 2e6),
        DemoCoin("LINK", 12.85, "breakout_up", 0.011, 1.5e6),
        DemoCoin("ADA", 0.369, "range", 0.016, 1.5e6),
        DemoCoin("AVAX", 12.7, "trend_down", 0.018, 1e6),
        DemoCoin("BNB", 927.0, "range", 0.010, 3e6),
        DemoCoin("SUI", 1.58, "trend_up", 0.022, 2e6),
        DemoCoin("WIF", 0.347, "breakout_down", 0.013, 8e5),
        DemoCoin("HYPE", 24.0, "trend_up", 0.022, 2e6),
        DemoCoin("IDOL", 0.0335, "breakout_up", 0.02, 1.2e5),
        DemoCoin("TRX", 0.309, "range", 0.008, 8e5),
        DemoCoin("AIXBT", 0.102, "trend_down", 0.035, 2e5),
        # Made-up coins the Coinalyze catalogue cannot list: their markets are scored neutral.
        DemoCoin("QPDEMO", 0.0123, "range", 0.03, 5e4),
        DemoCoin("ZZNOWHERE", 0.0087, "breakout_up", 0.04, 4e4),
    )
}

VENUES: tuple[str, ...] = ("BINANCE", "BYBIT", "OKX", "MEXC", "KUCOIN", "BITGET", "HYPERLIQUID")
#: Volume share of each venue, relative to the biggest.
VENUE_VOLUME: dict[str, float] = {
    "BINANCE": 1.0,
    "BYBIT": 0.6,
    "OKX": 0.4,
    "MEXC": 0.3,
    "KUCOIN": 0.2,
    "BITGET": 0.25,
    "HYPERLIQUID": 0.35,
}

MAX_MARKETS = len(COINS) * len(VENUES)  # every (venue, coin) pair once

# The default universe, venues interleaved so a small ``--markets`` still mixes venues and scenarios.
_M = DemoMarket
DEFAULT_MARKETS: tuple[DemoMarket, ...] = (
    _M("BINANCE", "BTCUSDT", "BTC"),
    _M("BYBIT", "XRPUSDT", "XRP"),
    _M("OKX", "LINKUSDT", "LINK"),
    _M("MEXC", "IDOLUSDT", "IDOL"),
    _M("KUCOIN", "XBTUSDTM", "BTC"),
    _M("BITGET", "ZZNOWHEREUSDT", "ZZNOWHERE"),
    _M("HYPERLIQUID", "kPEPEUSDT", "PEPE", multiplier=1000.0),
    _M("BINANCE", "1000PEPEUSDT", "PEPE", multiplier=1000.0),
    _M("BYBIT", "DOGEUSDT", "DOGE", htf_file=False),
    _M("OKX", "ETHUSDT", "ETH"),
    _M("MEXC", "QPDEMOUSDT", "QPDEMO"),
    _M("KUCOIN", "ETHUSDTM", "ETH"),
    _M("BITGET", "BTCUSDT", "BTC"),
    _M("HYPERLIQUID", "HYPEUSDT", "HYPE"),
    _M("BINANCE", "ETHUSDT", "ETH"),
    _M("BYBIT", "WIFUSDT", "WIF"),
    _M("OKX", "ADAUSDT", "ADA", htf_file=False),
    _M("MEXC", "BTCUSDT", "BTC"),
    _M("KUCOIN", "SOLUSDTM", "SOL"),
    _M("BITGET", "DOGEUSDT", "DOGE"),
    _M("HYPERLIQUID", "BTCUSDT", "BTC"),
    _M("BINANCE", "SOLUSDT", "SOL"),
    _M("BYBIT", "BTCUSDT", "BTC"),
    _M("OKX", "SOLUSDT", "SOL"),
    _M("MEXC", "PEPEUSDT", "PEPE"),
    _M("KUCOIN", "PEPEUSDTM", "PEPE"),
    _M("BITGET", "ADAUSDT", "ADA"),
    _M("HYPERLIQUID", "ETHUSDT", "ETH"),
    _M("BINANCE", "LINKUSDT", "LINK"),
    _M("BYBIT", "SUIUSDT", "SUI"),
    _M("OKX", "XRPUSDT", "XRP"),
    _M("MEXC", "TRXUSDT", "TRX"),
    _M("KUCOIN", "WIFUSDTM", "WIF", htf_file=False),
    _M("BITGET", "SUIUSDT", "SUI"),
    _M("HYPERLIQUID", "AVAXUSDT", "AVAX"),
    _M("BINANCE", "BNBUSDT", "BNB"),
    _M("BYBIT", "AVAXUSDT", "AVAX"),
    _M("MEXC", "AIXBTUSDT", "AIXBT", htf_file=False),
    _M("KUCOIN", "LINKUSDTM", "LINK"),
    _M("HYPERLIQUID", "WIFUSDT", "WIF"),
)


def _local_symbol(exchange: str, coin: str) -> tuple[str, float]:
    """A venue's own name for a coin's USDT perpetual, and its multiplier."""
    if coin == "PEPE" and exchange in ("BINANCE", "BYBIT"):
        return "1000PEPEUSDT", 1000.0
    if coin == "PEPE" and exchange == "HYPERLIQUID":
        return "kPEPEUSDT", 1000.0
    if exchange == "KUCOIN":
        return ("XBT" if coin == "BTC" else coin) + "USDTM", 1.0
    return coin + "USDT", 1.0


def demo_markets(count: int) -> list[DemoMarket]:
    """The first ``count`` demo markets: the default forty, then every other (venue, coin) pair."""
    if not 1 <= count <= MAX_MARKETS:
        raise ValueError(f"the demo has 1 to {MAX_MARKETS} markets, not {count}")
    chosen = list(DEFAULT_MARKETS[:count])
    taken = {(m.exchange, m.coin) for m in DEFAULT_MARKETS}
    extra = 0
    for coin in COINS:
        for exchange in VENUES:
            if len(chosen) >= count:
                return chosen
            if (exchange, coin) in taken:
                continue
            symbol, multiplier = _local_symbol(exchange, coin)
            chosen.append(DemoMarket(exchange, symbol, coin, multiplier, htf_file=extra % 7 != 6))
            extra += 1
    return chosen


# -- market files -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Series:
    time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray


def _decimals(price: float) -> int:
    """Decimal places giving about six significant digits at ``price``."""
    return max(0, 5 - int(np.floor(np.log10(price))))


def _market_ltf(path: CoinPath, market: DemoMarket, seed: int, now_ms: int) -> _Series:
    """The market's 15m candles from the first bar to the forming one, at its own price level."""
    rng = rng_for(seed, market.coin, market.exchange)
    scale = market.multiplier * (1.0 + 0.0004 * rng.standard_normal())
    forming_ltf = now_ms // LTF_MS * LTF_MS
    in_forming_htf = (forming_ltf - now_ms // HTF_MS * HTF_MS) // LTF_MS + 1
    count = (HTF_BARS - 1) * STEPS + in_forming_htf
    close = np.exp(path.close.ravel()[:count]) * scale
    digits = _decimals(float(close[-1]))
    prices = [np.round(np.exp(a.ravel()[:count]) * scale, digits) for a in (path.open, path.high, path.low)]
    close = np.round(close, digits)
    floor = 10.0**-digits
    opened, high, low = prices[0], np.maximum(prices[1], floor), np.maximum(prices[2], floor)
    usd = path.volume.ravel()[:count] * VENUE_VOLUME[market.exchange] * np.exp(rng.normal(0, 0.2, count))
    usd[-1] *= rng.uniform(0.1, 0.6)  # the forming candle has only part of its volume
    volume = np.round(usd / close, 2 if close[-1] > 1 else 0)
    time = forming_ltf - LTF_MS * np.arange(count - 1, -1, -1, dtype=np.int64)
    return _Series(time, opened, np.maximum(high, np.maximum(opened, close)), low, close, volume)


def _aggregate(ltf: _Series) -> _Series:
    """The 4h candles of a 15m series (the last one forming), by 4h open time."""
    bucket = ltf.time // HTF_MS * HTF_MS
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(bucket)] - 1
    low = np.minimum.reduceat(np.minimum(ltf.low, np.minimum(ltf.open, ltf.close)), starts)
    return _Series(
        time=bucket[starts],
        open=ltf.open[starts],
        high=np.maximum.reduceat(ltf.high, starts),
        low=low,
        close=ltf.close[ends],
        volume=np.round(np.add.reduceat(ltf.volume, starts), 2).astype(np.float64),
    )


def _candle_bytes(series: _Series, last: int | None = None) -> bytes:
    """The §4 object form, compact, oldest first; only the ``last`` candles when given."""
    sl = slice(-last, None) if last else slice(None)
    columns = (series.time, series.open, series.high, series.low, series.close, series.volume)
    t, o, h, lo, c, v = (col[sl].tolist() for col in columns)
    rows = [
        {"time": a, "open": b, "high": hi, "low": low, "close": cl, "volume": vol}
        for a, b, hi, low, cl, vol in zip(t, o, h, lo, c, v, strict=True)
    ]
    return dumps_json(rows)


def _marker_files(marker: Path) -> list[str]:
    """The candle files a marker lists; a marker that cannot be read lists none (with a warning)."""
    try:
        document = orjson.loads(marker.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        log.warning("demo marker %s is unreadable (%s); no old demo file is removed", marker, exc)
        return []
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list):
        log.warning("demo marker %s lists no files; no old demo file is removed", marker)
        return []
    # Only plain candle-file names: a tampered marker must not reach outside the directory.
    return [name for name in files if isinstance(name, str) and parse_candle_file_name(name) is not None]


def claim_demo_directory(directory: Path, files: Sequence[str]) -> None:
    """Make ``directory`` the demo's, about to hold ``files``: create it, or clear a previous demo.

    A directory holding the marker had the demo's files: those the new demo will not rewrite are
    removed (the scan would otherwise pick them up as stale markets). A non-empty directory without
    the marker is refused with a :class:`ConfigError` (exit 2): it may be someone's real data. The
    marker is written before any candle file, so an interrupted run still leaves it behind.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"demo directory {directory} exists and is not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / DEMO_MARKER
    if marker.is_file():
        keep = set(files)
        old = [name for name in _marker_files(marker) if name not in keep]
        for name in old:
            (directory / name).unlink(missing_ok=True)
        if old:
            log.info("removed %d candle file(s) of the previous demo in %s", len(old), directory)
    elif any(directory.iterdir()):
        raise ConfigError(
            f"{directory} is not empty and was not made by `quantpro demo` (no {DEMO_MARKER} file); "
            "the demo writes only into an empty directory or its own: choose another --dir"
        )
    atomic_write_bytes(marker, dumps_json({"quantpro_demo": 1, "files": sorted(files)}, indent=True))


def _file_names(markets: Sequence[DemoMarket]) -> list[str]:
    names: list[str] = []
    for market in markets:
        names.append(candle_file_name(market.exchange, market.symbol, LTF))
        if market.htf_file:
            names.append(candle_file_name(market.exchange, market.symbol, HTF))
    return names


def generate_demo_universe(
    directory: Path, markets: int = 40, *, now_ms: int, seed: int = 0
) -> list[MarketKey]:
    """Write ``markets`` demo markets' candle files into ``directory``; returns their keys, in order.

    Each market gets ``{EXCHANGE}_{SYMBOL}_15m.json`` (400 candles, or the whole ~4,480 when it has no
    4h file, so the resampled 4h series still reaches EMA 200) and, for most, ``..._4h.json`` (280
    candles). Both end with the candle forming at ``now_ms``. Same arguments → byte-identical files.
    ``directory`` must be empty, new, or a previous demo's (see :func:`claim_demo_directory`).
    """
    directory = Path(directory)
    chosen = demo_markets(markets)
    claim_demo_directory(directory, _file_names(chosen))
    paths: dict[str, CoinPath] = {}
    keys: list[MarketKey] = []
    for market in chosen:
        if market.coin not in paths:
            paths[market.coin] = coin_path(seed, COINS[market.coin])
        ltf = _market_ltf(paths[market.coin], market, seed, now_ms)
        atomic_write_bytes(
            candle_path(directory, market.exchange, market.symbol, LTF),
            _candle_bytes(ltf, LTF_CANDLES if market.htf_file else None),
        )
        if market.htf_file:
            atomic_write_bytes(
                candle_path(directory, market.exchange, market.symbol, HTF), _candle_bytes(_aggregate(ltf))
            )
        keys.append(MarketKey(market.exchange, market.symbol))
    log.debug("wrote %d demo markets into %s", len(keys), directory)
    return keys
