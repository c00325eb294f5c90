"""The two worlds the fakes serve: a small default one for tests and the demo, and the benchmark's
with realistic perpetual counts (docs/design.md §11). Both are deterministic functions of their start.

Each has the unit traps (contract sizes ≠ 1 on OKX, MEXC and KuCoin; Hyperliquid's hourly funding), the
markets QuantPro must skip (dated, coin-margined), and the events: markets listed later, a contract-size
change, a delisting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace

from quantpro.simulator.coins import EXTRA_COINS, MAJOR_COINS, MULTIPLIED_BASES, SAMPLE_COINS, multiplier_of
from quantpro.simulator.hashing import unit_of
from quantpro.simulator.market_data import coin_model
from quantpro.simulator.venues.world import ALL, FakeMarket, VenueWorld

__all__ = ["BENCHMARK_COUNTS", "DEFAULT_START_S", "benchmark_world", "default_world", "perp"]

#: 2026-01-19 17:00 UTC, ``quantpro.clock.FakeClock``'s default start.
DEFAULT_START_S = 1_768_842_000.0
HOUR = 3600.0
BENCHMARK_COUNTS: dict[str, int] = {
    "BINANCE": 600, "BYBIT": 550, "OKX": 280, "BITGET": 550,
    "MEXC": 800, "KUCOIN": 480, "HYPERLIQUID": 220,
}  # fmt: skip
#: A contract worth about this much quote currency (OKX BTC: 0.01, MEXC BTC: 0.0001, KuCoin BTC: 0.001).
CONTRACT_VALUE: dict[str, float] = {"OKX": 1000.0, "MEXC": 10.0, "KUCOIN": 100.0}
_CATALOGUE_CODE = {"BINANCE": "A", "BYBIT": "6", "HYPERLIQUID": "H"}
_NOT_LISTED = frozenset({"USDC", "USDT", "FDUSD", "EUR"})


# -- naming ---------------------------------------------------------------------------------------------


def venue_base(venue: str, coin: str) -> str:
    """How ``venue`` writes the base of ``coin`` (``1000PEPE`` on Binance, ``kPEPE`` on Hyperliquid)."""
    if venue == "KUCOIN" and coin == "BTC":
        return "XBT"
    code = _CATALOGUE_CODE.get(venue, "A" if venue in {"BITGET", "KUCOIN"} else "")
    return MULTIPLIED_BASES.get(code, {}).get(coin, coin)


def venue_id(venue: str, base: str, quote: str) -> str:
    """The venue's own id of a linear perpetual."""
    if venue == "OKX":
        return f"{base}-{quote}-SWAP"
    if venue == "MEXC":
        return f"{base}_{quote}"
    if venue == "KUCOIN":
        return f"{base}{quote}M"
    if venue == "HYPERLIQUID":
        return base
    if quote == "USDC" and venue in {"BYBIT", "BITGET"}:
        return f"{base}PERP"
    return f"{base}{quote}"


def local_name(venue: str, base: str, quote: str) -> str:
    """The local SYMBOL QuantPro names the market by (docs/design.md §4, ``venues.table``)."""
    if venue == "KUCOIN":
        return venue_id(venue, base, quote)
    return f"{base}{'USDT' if venue == 'HYPERLIQUID' else quote}"


def canonical(base: str) -> str:
    """``1000PEPE`` / ``kPEPE`` → ``PEPE``; ``XBT`` → ``BTC`` (the rule of ``quantpro.symbols``)."""
    if base == "XBT":
        return "BTC"
    if multiplier_of(base) != 1.0:
        for prefix in ("1000000", "10000", "1000", "1M", "k"):
            if base.startswith(prefix):
                return base[len(prefix) :]
    return base


def parse_local(venue: str, local: str) -> tuple[str, str]:
    """(base, quote) of a local SYMBOL on ``venue`` (``XBTUSDTM`` → XBT, USDT; ``kPEPEUSDT`` on
    Hyperliquid → kPEPE, USDC)."""
    stem = local[:-1] if venue == "KUCOIN" and local.endswith("M") else local
    for quote in ("USDT", "USDC"):
        if stem.endswith(quote) and len(stem) > len(quote):
            return stem[: -len(quote)], "USDC" if venue == "HYPERLIQUID" else quote
    raise ValueError(f"{venue}: cannot read a base and a USDT/USDC quote from {local!r}")


def perp(
    venue: str, coin: str, *, quote: str = "USDT", base: str | None = None, **fields: object
) -> FakeMarket:
    """A linear perpetual named as ``venue`` names it, priced at its coin's level, sized as the venue
    sizes its contracts (``contract_size`` and other fields may be given)."""
    base = base or venue_base(venue, coin)
    quote = "USDC" if venue == "HYPERLIQUID" else quote
    price = coin_model(coin).price0 * multiplier_of(base)
    size = CONTRACT_VALUE.get(venue)
    default_size = 10.0 ** round(math.log10(size / price)) if size else 1.0
    market = FakeMarket(
        venue_id(venue, base, quote),
        coin,
        local_name(venue, base, quote),
        base_price=price,
        volume=_volume(venue, coin),
        contract_size=default_size,
        funding_interval_h=_interval(venue, coin),
        base=base,
        quote=quote,
    )
    return replace(market, **fields)  # type: ignore[arg-type]


def _volume(venue: str, coin: str) -> float:
    boost = 30.0 if coin in ("BTC", "ETH") else (5.0 if coin in MAJOR_COINS else 1.0)
    return boost * 10 ** (5.5 + 3.0 * unit_of(coin, venue, "volume"))


def _interval(venue: str, coin: str) -> float:
    if venue == "HYPERLIQUID":
        return 1.0
    if venue == "MEXC" or coin in ("BTC", "ETH"):
        return 8.0
    u = unit_of(coin, venue, "interval")
    return 1.0 if u < 0.02 else (4.0 if u < 0.14 else 8.0)


# -- the default world --------------------------------------------------------------------------------


def default_world(start_s: float | None = None) -> VenueWorld:
    """A few markets per venue: the unit traps, the skipped kinds, and the events, all within five
    hours of ``start_s`` (listed at +2 h, contract re-sized at +3 h, delisted at +4 h)."""
    t0 = DEFAULT_START_S if start_s is None else float(start_s)
    listed, resized, delisted = t0 + 2 * HOUR, t0 + 3 * HOUR, t0 + 4 * HOUR
    dated = {"contractType": "CURRENT_QUARTER", "deliveryDate": 1774598400000}
    markets: dict[str, list[FakeMarket]] = {
        "BINANCE": [
            perp("BINANCE", "BTC"),
            perp("BINANCE", "ETH", funding_interval_h=4.0),
            perp("BINANCE", "PEPE"),
            perp("BINANCE", "BTC", quote="USDC"),
            perp("BINANCE", "SOL", delisted_from_s=delisted),
            perp("BINANCE", "WLFI", listed_from_s=listed),
            FakeMarket("BTCUSDT_260327", "BTC", "", 95_000.0, 2e9, dict(dated), base="BTC"),
        ],
        "BYBIT": [
            perp("BYBIT", "BTC"),
            perp("BYBIT", "ETH"),
            perp("BYBIT", "PEPE"),
            perp("BYBIT", "ETH", quote="USDC"),
            perp("BYBIT", "SOL", funding_interval_h=4.0, delisted_from_s=delisted),
            perp("BYBIT", "WLFI", listed_from_s=listed),
        ],
        "OKX": [
            perp("OKX", "BTC", contract_size=0.01),
            perp("OKX", "ETH", contract_size=0.1),
            perp("OKX", "PEPE", contract_size=10_000_000.0),
            perp("OKX", "ETH", quote="USDC", contract_size=0.001),
            perp("OKX", "DOGE", contract_size=1000.0, size_changes=((resized, 100.0),)),
            perp("OKX", "WLFI", contract_size=10.0, listed_from_s=listed, funding_interval_h=4.0),
            FakeMarket("BTC-USD-SWAP", "BTC", "", 95_000.0, 9e9, contract_size=100.0, quote="USD"),
        ],
        "BITGET": [
            perp("BITGET", "BTC"),
            perp("BITGET", "ETH", funding_interval_h=4.0),
            perp("BITGET", "BABYDOGE", base="1MBABYDOGE"),
            perp("BITGET", "ETH", quote="USDC"),
            perp("BITGET", "WLFI", listed_from_s=listed),
        ],
        "MEXC": [
            perp("MEXC", "BTC", contract_size=0.0001),
            perp("MEXC", "ETH", contract_size=0.01),
            perp("MEXC", "PEPE", contract_size=100_000.0),
            perp("MEXC", "BTC", quote="USDC", contract_size=0.0001),
            perp("MEXC", "SOL", contract_size=0.1, size_changes=((resized, 1.0),)),
            perp("MEXC", "WLFI", contract_size=10.0, listed_from_s=listed),
            FakeMarket("BTC_USD", "BTC", "", 95_000.0, 9e9, {"settleCoin": "BTC"}, contract_size=100.0),
        ],
        "KUCOIN": [
            perp("KUCOIN", "BTC", contract_size=0.001),
            perp("KUCOIN", "ETH", contract_size=0.01),
            perp("KUCOIN", "PEPE", base="1000PEPE", contract_size=1.0),
            perp("KUCOIN", "SOL", contract_size=0.1, funding_interval_h=4.0),
            perp("KUCOIN", "DOGE", contract_size=100.0, size_changes=((resized, 10.0),)),
            perp("KUCOIN", "WLFI", contract_size=10.0, listed_from_s=listed),
        ],
        "HYPERLIQUID": [
            perp("HYPERLIQUID", "BTC"),
            perp("HYPERLIQUID", "ETH"),
            perp("HYPERLIQUID", "PEPE"),
            perp("HYPERLIQUID", "HYPE"),
            perp("HYPERLIQUID", "SOL", delisted_from_s=delisted),
            perp("HYPERLIQUID", "WLFI", listed_from_s=listed),
        ],
    }
    return VenueWorld(markets)


# -- the benchmark world --------------------------------------------------------------------------------


def _coins() -> list[str]:
    """Real coin names first, then made-up ones (``SIM001`` …) so MEXC can list 800 perpetuals."""
    real = [c for c in dict.fromkeys((*SAMPLE_COINS, *EXTRA_COINS)) if c not in _NOT_LISTED]
    return real + [f"SIM{i:03d}" for i in range(1, 400)]


def _included(venue: str, locals_: Iterable[str]) -> list[FakeMarket]:
    out = []
    for local in locals_:
        base, quote = parse_local(venue, local)
        out.append(perp(venue, canonical(base), quote=quote, base=base))
    return out


def benchmark_world(
    start_s: float | None = None, *, include: Mapping[str, Iterable[str]] | None = None
) -> VenueWorld:
    """``BENCHMARK_COUNTS`` perpetuals per venue at ``start_s`` (``include``'s local SYMBOLs first, then
    coins chosen per venue by hash, majors also with a USDC perpetual), plus per venue two markets listed
    during the day, one delisted at +10 h and, on OKX, MEXC and KuCoin, one contract re-sized at +12 h."""
    t0 = DEFAULT_START_S if start_s is None else float(start_s)
    wanted = {v.upper(): list(s) for v, s in (include or {}).items()}
    world: dict[str, list[FakeMarket]] = {}
    coins = _coins()
    for venue in ALL:
        chosen = {m.venue_id: m for m in _included(venue, wanted.get(venue, ()))}
        kept = set(chosen)
        ranked = sorted(coins, key=lambda c: (c not in MAJOR_COINS, unit_of(c, venue, "listed")))
        for coin in ranked:
            for quote in ("USDT", "USDC"):
                if len(chosen) >= BENCHMARK_COUNTS[venue]:
                    break
                if quote == "USDC" and (venue == "HYPERLIQUID" or coin not in MAJOR_COINS[:12]):
                    continue
                m = perp(venue, coin, quote=quote)
                chosen.setdefault(m.venue_id, m)
        spare = [c for c in ranked if perp(venue, c).venue_id not in chosen][:2]
        events = [m for m in chosen.values() if m.venue_id not in kept and m.coin not in MAJOR_COINS]
        for i, coin in enumerate(spare):
            m = perp(venue, coin, listed_from_s=t0 + (3 + 6 * i) * HOUR)
            chosen[m.venue_id] = m
        if events:
            gone = events[-1]
            chosen[gone.venue_id] = replace(gone, delisted_from_s=t0 + 10 * HOUR)
        if venue in CONTRACT_VALUE and len(events) > 1:
            sized = events[-2]
            change = ((t0 + 12 * HOUR, sized.contract_size * 10),)
            chosen[sized.venue_id] = replace(sized, size_changes=change)
        world[venue] = list(chosen.values())
    return VenueWorld(world)


def world_for(markets: Iterable[tuple[str, str]]) -> VenueWorld:
    """A world holding exactly these (venue, local SYMBOL) perpetuals, sized as each venue sizes its
    contracts (the demo starts the fakes on its own sample universe); unknown venues are left out."""
    by_venue: dict[str, list[FakeMarket]] = {}
    for venue, local in markets:
        if venue not in ALL:
            continue
        try:
            base, quote = parse_local(venue, local)
        except ValueError:
            continue
        by_venue.setdefault(venue, []).append(perp(venue, canonical(base), quote=quote, base=base))
    return VenueWorld(by_venue)
