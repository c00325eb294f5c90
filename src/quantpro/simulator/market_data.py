"""Value generation: every number the data endpoints answer with.

Each series is a pure function of (symbol, time): a slow sinusoid, value noise on a fixed grid, and, for
open interest, a per-coin *surge* — once per 28–44 h cycle the coin's OI ramps up by 12–24 % over 3 h,
then decays. So a closed bucket always has the same value, the newest bucket is partial (its close is
the value "now"), and at any moment roughly 5–15 % of coins show a 15-minute OI z-score above 1.5.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from quantpro.simulator.catalogue import MarketSpec
from quantpro.simulator.coins import MAJOR_COINS
from quantpro.simulator.hashing import seed_of, unit, unit_of

Number = float | int | None
Item = dict[str, Number]

#: The ten intervals of the history endpoints, in seconds (docs/coinalyze_api.md §3).
INTERVALS: dict[str, int] = {
    "1min": 60, "5min": 300, "15min": 900, "30min": 1800, "1hour": 3600,
    "2hour": 7200, "4hour": 14400, "6hour": 21600, "12hour": 43200, "daily": 86400,
}  # fmt: skip
MAX_INTRADAY_POINTS = 2000
DAILY_ORIGIN = 1_577_836_800  # 2020-01-01: daily series are not truncated, but they start somewhere
HOUR = 3600.0
SURGE_RAMP = 3.0 * HOUR
SURGE_DECAY = 4.0 * HOUR
_VENUE_SIZE = {"A": 1.0, "6": 0.6, "3": 0.4, "H": 0.3}
_LIQ_MISSING = {60: 0.6, 300: 0.35, 900: 0.2, 1800: 0.1, 3600: 0.05}
_KNOWN_PRICES = {"BTC": 95_000.0, "ETH": 3_300.0, "SOL": 180.0, "BNB": 650.0, "XRP": 2.3, "DOGE": 0.3}


def _sig(x: float, digits: int = 8) -> float:
    """Round to significant digits, as the API's numbers look (``78935.814``)."""
    return float(f"{x:.{digits}g}")


def _noise(seed: int, t: float, step: float) -> float:
    """Value noise in [-1, 1]: random knots every ``step`` seconds, linearly joined (continuous in t)."""
    k = math.floor(t / step)
    frac = t / step - k
    a = unit(seed, k) * 2 - 1
    return a if frac == 0 else a + (unit(seed, k + 1) * 2 - 1 - a) * frac


def _flip(seed: int, t: float, step: float) -> float:
    """Like :func:`_noise`, but each knot is ±(0.7–1): light-tailed, so calm series rarely look like a
    surge to a z-score (Gaussian-like noise alone would put ~7 % of coins above z = 1.5)."""
    k = math.floor(t / step)
    frac = t / step - k
    a = _signed(seed, k)
    return a if frac == 0 else a + (_signed(seed, k + 1) - a) * frac


def _signed(seed: int, k: int) -> float:
    u = unit(seed, k)
    return (0.7 + 0.6 * u) if u < 0.5 else -(0.7 + 0.6 * (u - 0.5))


def _wave(seed: int, t: float, min_period: float, spread: float) -> float:
    """A sinusoid in [-1, 1] with a hash-chosen period and phase."""
    period, phase = _wave_shape(seed, min_period, spread)
    return math.sin(2 * math.pi * (t / period + phase))


@lru_cache(maxsize=65536)
def _wave_shape(seed: int, min_period: float, spread: float) -> tuple[float, float]:
    return min_period + spread * unit(seed, 1), unit(seed, 2)


@dataclass(frozen=True, slots=True)
class CoinModel:
    """What all markets of one coin share: its price and its surge cycle."""

    coin: str
    price0: float
    cycle: float
    phase: float
    amplitude: float
    seed: int

    def surge(self, t: float) -> float:
        """Extra log-OI: a linear ramp over ``SURGE_RAMP``, then an exponential decay."""
        pos = (t + self.phase) % self.cycle
        if pos < SURGE_RAMP:
            return self.amplitude * pos / SURGE_RAMP
        return self.amplitude * math.exp(-(pos - SURGE_RAMP) / SURGE_DECAY)

    def price(self, t: float) -> float:
        """The coin's USD price."""
        drift = 0.06 * _wave(self.seed ^ 0x51, t, 3 * 86400, 4 * 86400)
        return self.price0 * math.exp(drift + 0.004 * _noise(self.seed ^ 0x52, t, 300) + 0.3 * self.surge(t))


@lru_cache(maxsize=4096)
def coin_model(coin: str) -> CoinModel:
    """The coin's model, from its name alone."""
    seed = seed_of(coin, "coin")
    price0 = _KNOWN_PRICES.get(coin, 10 ** (-4 + 6.5 * unit_of(coin, "price")))
    cycle = 28 * HOUR + 16 * HOUR * unit(seed, 3)
    return CoinModel(coin, price0, cycle, cycle * unit(seed, 4), 0.12 + 0.12 * unit(seed, 5), seed)


@dataclass(frozen=True, slots=True, eq=False)
class MarketModel:
    """Series of one market (future or spot), in its native units. Hashed by identity (one per spec)."""

    spec: MarketSpec
    coin: CoinModel
    seed: int
    oi_level: float  # native units at log-OI 0
    volume_per_second: float  # USD

    def base_price(self, t: float) -> float:
        """Price of one unit of the base asset (1000 PEPE for ``1000PEPE``)."""
        return self.coin.price(t) * self.spec.multiplier

    def usd_factor(self, t: float) -> float:
        """Multiplier that turns a native OI/liquidation value into USD (1 for ``QUOTE_ASSET``)."""
        return 1.0 if self.spec.denominated_in == "QUOTE_ASSET" else self.base_price(t)

    def open_interest(self, t: float) -> float:
        log_oi = 0.03 * _wave(self.seed ^ 0x61, t, 6 * 86400, 6 * 86400)
        log_oi += 0.012 * _flip(self.seed ^ 0x62, t, 900) + 0.002 * _noise(self.seed ^ 0x63, t, 120)
        return self.oi_level * math.exp(log_oi + self.coin.surge(t))

    def funding(self, t: float) -> float:
        """Funding in percent (0.01 means 0.01 %), higher while the coin's OI surges."""
        value = 0.01 + 0.006 * _wave(self.seed ^ 0x71, t, 86400, 2 * 86400)
        return value + 0.002 * _noise(self.seed ^ 0x72, t, 3600) + 0.05 * self.coin.surge(t)

    def predicted_funding(self, t: float) -> float:
        return self.funding(t + 1800) + 0.001 * _noise(self.seed ^ 0x73, t, 900)

    def long_percent(self, t: float) -> float:
        return 50 + 5 * _wave(self.seed ^ 0x81, t, 86400, 86400) + 2 * _noise(self.seed ^ 0x82, t, 900)

    def has_liquidations(self) -> bool:
        return self.spec.coin in MAJOR_COINS or unit(self.seed, 9) >= 0.1


@lru_cache(maxsize=8192)
def market_model(spec: MarketSpec) -> MarketModel:
    """The model of one catalogue market."""
    coin = coin_model(spec.coin)
    seed = seed_of(spec.symbol, "market")
    size = _VENUE_SIZE.get(spec.exchange, 0.1) * (5.0 if spec.coin in MAJOR_COINS else 1.0)
    usd = size * 10 ** (6 + 2.5 * unit(seed, 1)) * (8.0 if spec.coin in ("BTC", "ETH") else 1.0)
    unit_price = 1.0 if spec.denominated_in == "QUOTE_ASSET" else coin.price0 * spec.multiplier
    volume = usd * (0.3 + unit(seed, 2)) / 86400 * (0.2 if spec.kind == "spot" else 1.0)
    return MarketModel(spec, coin, seed, usd / unit_price, volume)


# -- buckets ---------------------------------------------------------------------------------------


def bucket_starts(interval: str, start: int, end: int, now: float) -> range:
    """Bucket starts ``t`` with ``start <= t <= end`` that exist at ``now``: none in the future, at most
    ``MAX_INTRADAY_POINTS`` intraday (the oldest are gone), daily from ``DAILY_ORIGIN``."""
    step = INTERVALS[interval]
    current = math.floor(now / step) * step
    last = min(math.floor(end / step) * step, current)
    first = math.ceil(start / step) * step
    oldest = DAILY_ORIGIN if interval == "daily" else current - (MAX_INTRADAY_POINTS - 1) * step
    return range(max(first, oldest), last + 1, step)


def _span(t0: int, step: int, now: float) -> tuple[float, float]:
    """The bucket's observed span: whole when closed, up to ``now`` when partial."""
    return float(t0), min(t0 + step, now)


def _ohlc(series: Callable[[float], float], t0: float, t1: float, scale: float, seed: int) -> Item:
    """Open and close read off the series; high and low reach a hash-chosen bit beyond them (the API
    builds its OHLC from samples nobody sees, docs/coinalyze_api.md §3), so a bucket costs two evaluations."""
    o, c = series(t0) * scale, series(t1) * scale
    reach = abs(c - o) * 0.5 + abs(o + c) * 0.0005
    k = int(t0) * 7 + int(t1 - t0)
    return {
        "o": _sig(o),
        "h": _sig(max(o, c) + reach * unit(seed ^ 0x5A, k)),
        "l": _sig(min(o, c) - reach * unit(seed ^ 0x5B, k)),
        "c": _sig(c),
    }


@lru_cache(maxsize=65536)
def _open_interest(m: MarketModel, t: float) -> float:
    """Memoised OI: a bucket's open is the previous bucket's close time, and tests re-ask the same buckets."""
    return m.open_interest(t)


def oi_item(m: MarketModel, t0: int, step: int, now: float, usd: bool) -> Item:
    start, end = _span(t0, step, now)
    scale = m.usd_factor(end) if usd else 1.0
    return {"t": t0, **_ohlc(lambda t: _open_interest(m, t), start, end, scale, m.seed)}


def funding_item(m: MarketModel, t0: int, step: int, now: float, predicted: bool) -> Item:
    start, end = _span(t0, step, now)
    series = m.predicted_funding if predicted else m.funding
    return {"t": t0, **{k: round(v or 0.0, 6) for k, v in _ohlc(series, start, end, 1.0, m.seed).items()}}


def liquidation_item(m: MarketModel, t0: int, step: int, now: float, usd: bool) -> Item | None:
    """Longs and shorts liquidated in the bucket, or None when the bucket is missing (sparse series)."""
    if unit(m.seed ^ 0x91, t0 * 16 + step) < _LIQ_MISSING.get(step, 0.0):
        return None
    start, end = _span(t0, step, now)
    elapsed = (end - start) / step
    base = m.open_interest(start) * 4e-4 * (step / HOUR) ** 0.8 * elapsed
    longs = base * math.exp(2.5 * (unit(m.seed ^ 0x92, t0 + step) - 0.5))
    shorts = base * math.exp(2.5 * (unit(m.seed ^ 0x93, t0 + step) - 0.5))
    scale = m.usd_factor(end) if usd else 1.0
    return {"t": t0, "l": _sig(longs * scale, 6), "s": _sig(shorts * scale, 6)}


def long_short_item(m: MarketModel, t0: int, step: int, now: float) -> Item:
    """``l + s = 100`` and ``r = l / s`` (to the API's 4 decimals)."""
    _, end = _span(t0, step, now)
    longs = round(min(max(m.long_percent(end), 5.0), 95.0), 2)
    shorts = round(100 - longs, 2)
    return {"t": t0, "r": round(longs / shorts, 4), "l": longs, "s": shorts}


def ohlcv_item(m: MarketModel, t0: int, step: int, now: float) -> Item:
    start, end = _span(t0, step, now)
    item: Item = {"t": t0, **_ohlc(m.base_price, start, end, 1.0, m.seed)}
    unit_price = 1.0 if m.spec.denominated_in == "QUOTE_ASSET" else m.coin.price0 * m.spec.multiplier
    volume = m.volume_per_second * (end - start) / unit_price * (0.5 + unit(m.seed ^ 0xA1, t0 + step))
    buy_share = 0.4 + 0.2 * unit(m.seed ^ 0xA2, t0 + step)
    trades = max(1, round(m.volume_per_second * (end - start) / (500 + 4500 * unit(m.seed, 7))))
    buy_trades = round(trades * buy_share)
    bs = m.spec.has_buy_sell
    item.update(
        v=_sig(volume, 8),
        bv=_sig(volume * buy_share, 8) if bs else None,
        tx=trades,
        btx=buy_trades if bs else None,
    )
    return item


def current_update_ms(m: MarketModel, now: float) -> int:
    """``update`` of the current endpoints: the last update, a few seconds before now, in ms."""
    return int(now * 1000) - int(unit(m.seed ^ 0xB1, math.floor(now)) * 3000)
