"""The fake catalogue: ``/exchanges``, ``/future-markets`` and ``/spot-markets``.

Built once, deterministically, from the coin names in :mod:`coins`. Each venue writes its symbols in its
own format (docs/coinalyze_api.md §5) because the client must look symbols up, never build them; coverage
varies by venue, some sample coins are listed nowhere and some only on a non-reference venue, so every
branch of the resolver (resolved, aggregated by preference, aggregated by "most candidates", neutral)
meets real-looking input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from quantpro.simulator.coins import (
    EXTRA_COINS,
    MAJOR_COINS,
    MULTIPLIED_BASES,
    PINNED_COINS,
    SAMPLE_COINS,
    multiplier_of,
)
from quantpro.simulator.hashing import unit_of

JsonValue = str | bool | int | None
Row = dict[str, JsonValue]

#: ``/exchanges`` as measured on 2025-06-22 (docs/coinalyze_api.md §4), in the order the API gave it.
EXCHANGES: tuple[tuple[str, str], ...] = (
    ("Poloniex", "P"), ("Vertex", "V"), ("Bitforex", "D"), ("Kraken", "K"), ("Bithumb", "U"),
    ("Bitstamp", "B"), ("Hyperliquid", "H"), ("BitFlyer", "L"), ("BtcMarkets", "M"), ("Bit2c", "I"),
    ("MercadoBitcoin", "E"), ("Independent Reserve", "N"), ("Gemini", "G"), ("Gate.io", "Y"),
    ("Deribit", "2"), ("OKX", "3"), ("Coinbase", "C"), ("Bitfinex", "F"), ("Luno", "J"), ("BitMEX", "0"),
    ("Phemex", "7"), ("WOO X", "W"), ("Huobi", "4"), ("dYdX", "8"), ("Bybit", "6"), ("Binance", "A"),
)  # fmt: skip

#: Share of ordinary coins each venue lists (majors are on all of them, pinned coins on A, 6, 3, H).
VENUE_SHARE: dict[str, float] = {
    "A": 0.90, "6": 0.72, "3": 0.45, "H": 0.36, "Y": 0.55, "4": 0.25,
    "7": 0.18, "W": 0.15, "8": 0.10, "K": 0.10, "0": 0.04, "F": 0.0, "2": 0.0,
}  # fmt: skip
REFERENCE_VENUES = ("A", "6", "3", "H")
NOWHERE_SHARE = 0.05
ONLY_HYPERLIQUID_SHARE = 0.03
ONLY_GATE_SHARE = 0.02
DATED_EXPIRIES = ((2026, 3, 27), (2026, 6, 26))
BYBIT_MONTH_CODES = {3: "H", 6: "M", 9: "U", 12: "Z"}

CoinClass = Literal["nowhere", "only_H", "only_Y", "normal"]


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """What the data generator needs to know about one symbol."""

    symbol: str
    exchange: str
    coin: str
    base_asset: str
    quote_asset: str
    kind: Literal["future", "spot"]
    denominated_in: Literal["BASE_ASSET", "QUOTE_ASSET"] = "BASE_ASSET"
    has_long_short: bool = False
    has_buy_sell: bool = True

    @property
    def multiplier(self) -> float:
        """Coins per unit of the base asset (1000 for ``1000PEPE``)."""
        return multiplier_of(self.base_asset)


@dataclass(frozen=True)
class Catalogue:
    """The three catalogue answers, plus indexes the data endpoints and the tests use."""

    exchanges: tuple[Row, ...]
    future_markets: tuple[Row, ...]
    spot_markets: tuple[Row, ...]
    markets: Mapping[str, MarketSpec] = field(repr=False)
    coin_classes: Mapping[str, CoinClass] = field(repr=False)

    def coins_nowhere(self) -> tuple[str, ...]:
        """Sample coins no venue lists (for tests and the demo that need a ``neutral`` market)."""
        return tuple(sorted(c for c, k in self.coin_classes.items() if k == "nowhere"))

    def coins_only_on(self, code: str) -> tuple[str, ...]:
        """Coins listed by exactly one venue, that venue being ``code``."""
        return tuple(sorted(c for c in self.coin_classes if self.venues_of(c) == (code,)))

    def venues_of(self, coin: str) -> tuple[str, ...]:
        """Exchange codes with at least one future market for ``coin``."""
        codes = {m.exchange for m in self.markets.values() if m.kind == "future" and m.coin == coin}
        return tuple(sorted(codes))

    def future_symbols_of(self, coin: str) -> tuple[str, ...]:
        """Every future symbol of ``coin`` (perpetual or dated, any margin)."""
        return tuple(s for s, m in self.markets.items() if m.kind == "future" and m.coin == coin)


# -- rows -----------------------------------------------------------------------------------------


def _future_row(
    spec: MarketSpec, symbol_on_exchange: str, *, expire_at: int | None = None, margined: str = "STABLE"
) -> Row:
    """One ``/future-markets`` row, keys in the order real output has them (docs/coinalyze_api.md §8.2)."""
    return {
        "symbol": spec.symbol,
        "exchange": spec.exchange,
        "symbol_on_exchange": symbol_on_exchange,
        "base_asset": spec.base_asset,
        "quote_asset": spec.quote_asset,
        "expire_at": expire_at,
        "has_buy_sell_data": spec.has_buy_sell,
        "is_perpetual": expire_at is None,
        "margined": margined,
        "oi_lq_vol_denominated_in": spec.denominated_in,
        "has_long_short_ratio_data": spec.has_long_short,
        "has_ohlcv_data": True,
    }


def _spot_row(spec: MarketSpec, symbol_on_exchange: str) -> Row:
    return {
        "symbol": spec.symbol,
        "exchange": spec.exchange,
        "symbol_on_exchange": symbol_on_exchange,
        "base_asset": spec.base_asset,
        "quote_asset": spec.quote_asset,
        "has_buy_sell_data": spec.has_buy_sell,
    }


@dataclass(frozen=True, slots=True)
class _Listing:
    """A future market about to become a row: its spec and the venue-specific extras."""

    spec: MarketSpec
    symbol_on_exchange: str
    expire_at: int | None = None
    margined: str = "STABLE"


def _linear(
    code: str, coin: str, symbol: str, soe: str, base: str, quote: str, *, ls: bool, bs: bool = True
) -> _Listing:
    spec = MarketSpec(symbol, code, coin, base, quote, "future", "BASE_ASSET", ls, bs)
    return _Listing(spec, soe)


def _inverse(
    code: str, coin: str, symbol: str, soe: str, *, ls: bool, expire_at: int | None = None
) -> _Listing:
    spec = MarketSpec(symbol, code, coin, coin, "USD", "future", "QUOTE_ASSET", ls and expire_at is None)
    return _Listing(spec, soe, expire_at, "COIN")


def _expiry_ms(year: int, month: int, day: int) -> int:
    """Quarterly expiry at 08:00 UTC, in ms (the unit of ``expire_at``)."""
    return int(dt.datetime(year, month, day, 8, tzinfo=dt.UTC).timestamp() * 1000)


def _is_major(coin: str) -> bool:
    return coin in MAJOR_COINS


def _extra_quote(coin: str, code: str, share: float) -> bool:
    """Whether a venue also lists a USDC contract for ``coin``."""
    return coin != "USDC" and (_is_major(coin) or unit_of(coin, code, "usdc") < share)


# -- one function per venue: the venue's own symbol formats (docs/coinalyze_api.md §5) ---------------------


def _binance(coin: str) -> list[_Listing]:
    base = MULTIPLIED_BASES["A"].get(coin, coin)
    out = [_linear("A", coin, f"{base}USDT_PERP.A", f"{base}USDT", base, "USDT", ls=True)]
    if _extra_quote(coin, "A", 0.2):
        out.append(_linear("A", coin, f"{base}USDC_PERP.A", f"{base}USDC", base, "USDC", ls=True))
    if coin in MAJOR_COINS[:20]:
        out.append(_inverse("A", coin, f"{coin}USD_PERP.A", f"{coin}USD_PERP", ls=True))
    if coin in ("BTC", "ETH"):
        for y, m, d in DATED_EXPIRIES:
            tag, expiry = f"{y % 100:02d}{m:02d}{d:02d}", _expiry_ms(y, m, d)
            linear = _linear("A", coin, f"{coin}USDT_{tag}.A", f"{coin}USDT_{tag}", coin, "USDT", ls=False)
            out.append(_Listing(linear.spec, linear.symbol_on_exchange, expiry))
            out.append(
                _inverse("A", coin, f"{coin}USD_{tag}.A", f"{coin}USD_{tag}", ls=False, expire_at=expiry)
            )
    return out


def _bybit(coin: str) -> list[_Listing]:
    base = MULTIPLIED_BASES["6"].get(coin, coin)
    out = [_linear("6", coin, f"{base}USDT.6", f"{base}USDT", base, "USDT", ls=True)]
    if _extra_quote(coin, "6", 0.15):
        out.append(_linear("6", coin, f"{base}PERP.6", f"{base}PERP", base, "USDC", ls=True))
    if coin in MAJOR_COINS[:10]:
        out.append(_inverse("6", coin, f"{coin}USD.6", f"{coin}USD", ls=True))
    if coin in ("BTC", "ETH"):
        for y, m, d in DATED_EXPIRIES:
            tag = f"{coin}USD{BYBIT_MONTH_CODES[m]}{y % 100:02d}"
            out.append(_inverse("6", coin, f"{tag}.6", tag, ls=False, expire_at=_expiry_ms(y, m, d)))
    return out


def _okx(coin: str) -> list[_Listing]:
    out = [_linear("3", coin, f"{coin}USDT_PERP.3", f"{coin}-USDT-SWAP", coin, "USDT", ls=True)]
    if _extra_quote(coin, "3", 0.1):
        out.append(_linear("3", coin, f"{coin}USDC_PERP.3", f"{coin}-USDC-SWAP", coin, "USDC", ls=True))
    if coin in MAJOR_COINS[:15]:
        out.append(_inverse("3", coin, f"{coin}USD_PERP.3", f"{coin}-USD-SWAP", ls=True))
    return out


def _hyperliquid(coin: str) -> list[_Listing]:
    base = MULTIPLIED_BASES["H"].get(coin, coin)
    return [_linear("H", coin, f"{base}.H", base, base, "USD", ls=False)]


def _huobi(coin: str) -> list[_Listing]:
    out = [_linear("4", coin, f"{coin}USDT_PERP.4", f"{coin}-USDT", coin, "USDT", ls=False)]
    if coin in ("BTC", "ETH"):
        out.append(_inverse("4", coin, f"{coin}USD_PERP.4", f"{coin}-USD", ls=False))
    return out


def _gate(coin: str) -> list[_Listing]:
    out = [_linear("Y", coin, f"{coin}_USDT.Y", f"{coin}_USDT", coin, "USDT", ls=False)]
    if coin in ("BTC", "ETH"):
        out.append(_inverse("Y", coin, f"{coin}_USD.Y", f"{coin}_USD", ls=False))
    return out


def _bitmex(coin: str) -> list[_Listing]:
    ticker = "XBT" if coin == "BTC" else coin
    out = [_linear("0", coin, f"{coin}USDT_PERP.0", f"{ticker}USDT", coin, "USDT", ls=False)]
    if coin in ("BTC", "ETH"):
        out.append(_inverse("0", coin, f"{coin}USD_PERP.0", f"{ticker}USD", ls=False))
    return out


def _deribit(coin: str) -> list[_Listing]:
    if coin in ("BTC", "ETH"):
        return [_inverse("2", coin, f"{coin}-PERPETUAL.2", f"{coin}-PERPETUAL", ls=False)]
    soe = f"{coin}_USDC-PERPETUAL"
    return [_linear("2", coin, f"{soe}.2", soe, coin, "USDC", ls=False)]


def _dydx(coin: str) -> list[_Listing]:
    return [_linear("8", coin, f"{coin}-USD.8", f"{coin}-USD", coin, "USD", ls=False, bs=False)]


def _kraken(coin: str) -> list[_Listing]:
    base = "XBT" if coin == "BTC" else coin
    soe = f"pf_{base.lower()}usd"
    return [_linear("K", coin, f"{soe}.K", soe, base, "USD", ls=False, bs=False)]


def _woox(coin: str) -> list[_Listing]:
    soe = f"PERP_{coin}_USDT"
    return [_linear("W", coin, f"{soe}.W", soe, coin, "USDT", ls=False)]


def _phemex(coin: str) -> list[_Listing]:
    out = [_linear("7", coin, f"{coin}USDT.7", f"{coin}USDT", coin, "USDT", ls=False)]
    if coin == "BTC":
        out.append(_inverse("7", coin, "BTCUSD.7", "BTCUSD", ls=False))
    if coin == "ETH":
        out.append(_inverse("7", coin, "cETHUSD.7", "cETHUSD", ls=False))
    return out


def _bitfinex(coin: str) -> list[_Listing]:
    soe = f"t{coin}F0:USTF0"
    return [_linear("F", coin, f"{coin}USDT_PERP.F", soe, coin, "USDT", ls=False, bs=False)]


VENUES: dict[str, Callable[[str], list[_Listing]]] = {
    "A": _binance, "6": _bybit, "3": _okx, "H": _hyperliquid, "4": _huobi, "Y": _gate, "0": _bitmex,
    "2": _deribit, "8": _dydx, "K": _kraken, "W": _woox, "7": _phemex, "F": _bitfinex,
}  # fmt: skip
_FIXED_VENUES: dict[str, tuple[str, ...]] = {
    "2": ("BTC", "ETH", "SOL", "XRP"),
    "F": MAJOR_COINS[:12],
    "0": MAJOR_COINS[:8],
}


# -- which coin goes where ------------------------------------------------------------------------


def coin_class(coin: str) -> CoinClass:
    """Whether a coin is listed normally, nowhere, or only on one non-reference venue (hash-chosen)."""
    if coin in PINNED_COINS or _is_major(coin) or coin not in SAMPLE_COINS:
        return "normal"
    u = unit_of(coin, "class")
    if u < NOWHERE_SHARE:
        return "nowhere"
    if u < NOWHERE_SHARE + ONLY_HYPERLIQUID_SHARE:
        return "only_H"
    if u < NOWHERE_SHARE + ONLY_HYPERLIQUID_SHARE + ONLY_GATE_SHARE:
        return "only_Y"
    return "normal"


def venues_for(coin: str) -> tuple[str, ...]:
    """The exchange codes that list ``coin``."""
    kind = coin_class(coin)
    if kind == "nowhere":
        return ()
    if kind in ("only_H", "only_Y"):
        return (kind[-1],)
    chosen = []
    for code, share in VENUE_SHARE.items():
        forced = (_is_major(coin) and share > 0) or (coin in PINNED_COINS and code in REFERENCE_VENUES)
        if forced or coin in _FIXED_VENUES.get(code, ()) or unit_of(coin, code) < share:
            chosen.append(code)
    return tuple(chosen)


def _all_coins() -> tuple[str, ...]:
    return tuple(dict.fromkeys((*SAMPLE_COINS, *EXTRA_COINS)))


def _spot_listings(coins: Iterable[str], futures: Mapping[str, MarketSpec]) -> list[tuple[MarketSpec, str]]:
    """A few hundred spot markets in the real shape (``BTCUSD.A`` is Binance BTC/USDT spot)."""
    on_binance = {m.coin for m in futures.values() if m.exchange == "A"}
    out: list[tuple[MarketSpec, str]] = []
    for coin in coins:
        if coin in on_binance and (_is_major(coin) or unit_of(coin, "spot", "A") < 0.55):
            out.append((MarketSpec(f"{coin}USD.A", "A", coin, coin, "USDT", "spot"), f"{coin}USDT"))
        if coin in on_binance and unit_of(coin, "spot", "6") < 0.2:
            out.append((MarketSpec(f"s{coin}USDT.6", "6", coin, coin, "USDT", "spot"), f"{coin}USDT"))
        if _is_major(coin):
            out.append((MarketSpec(f"{coin}USD.C", "C", coin, coin, "USD", "spot"), f"{coin}-USD"))
    return out


@lru_cache(maxsize=1)
def build_catalogue() -> Catalogue:
    """The catalogue (deterministic; built once per process)."""
    coins = _all_coins()
    listings: list[_Listing] = []
    for code, venue in VENUES.items():
        for coin in coins:
            if code in venues_for(coin):
                listings.extend(venue(coin))
    markets: dict[str, MarketSpec] = {}
    futures: list[Row] = []
    for item in listings:
        markets[item.spec.symbol] = item.spec
        futures.append(
            _future_row(item.spec, item.symbol_on_exchange, expire_at=item.expire_at, margined=item.margined)
        )
    spots: list[Row] = []
    for spec, soe in _spot_listings(coins, dict(markets)):
        markets[spec.symbol] = spec
        spots.append(_spot_row(spec, soe))
    return Catalogue(
        exchanges=tuple({"name": name, "code": code} for name, code in EXCHANGES),
        future_markets=tuple(futures),
        spot_markets=tuple(spots),
        markets=markets,
        coin_classes={coin: coin_class(coin) for coin in SAMPLE_COINS},
    )


def coins_nowhere() -> tuple[str, ...]:
    """Sample coins the simulator lists on no venue."""
    return build_catalogue().coins_nowhere()
