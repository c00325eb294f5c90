"""Expectations for end-to-end scans, computed from the simulator's catalogue and docs/design.md's rules.

Nothing here calls the code under test: the symbol normalisation, the exchange matching and the three
resolution rules of docs/design.md §4, and the quota arithmetic of §5, are written out again from the text,
so a scan that agrees with them agrees with the contract, not merely with itself.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: docs/design.md §4: the known quote suffixes; the longest one that leaves a base wins.
QUOTES = ("FDUSD", "BUSD", "USDT", "USDC", "USD")
#: §4 resolution: the market's own quote first, then USDT, USDC, USD.
QUOTE_ORDER = ("USDT", "USDC", "USD")
#: §3 default QUANTPRO_REFERENCE_EXCHANGES.
REFERENCE_EXCHANGES = ("Binance", "Bybit", "OKX")
#: §4 exchange aliases, by the reduced name.
ALIASES = {"htx": "huobi", "gate": "gateio", "gateio": "gateio", "woox": "woox", "okex": "okx"}
#: §5: a request carries at most 20 symbols.
BATCH = 20
DATA_PATHS = ("/open-interest-history", "/funding-rate", "/long-short-ratio-history", "/liquidation-history")

_CANDLE_FILE = re.compile(r"^(?P<exchange>[A-Z][A-Z0-9]*)_(?P<symbol>[A-Za-z0-9]+)_(?P<tf>\w+)\.json$")


def split_local(symbol: str) -> tuple[str, str]:
    """(base, quote) of a local symbol; a KuCoin-style trailing ``M`` after a known quote goes first."""
    if symbol.endswith("M") and any(symbol[:-1].endswith(q) and len(symbol) - 1 > len(q) for q in QUOTES):
        symbol = symbol[:-1]
    for quote in sorted(QUOTES, key=len, reverse=True):
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    return symbol, ""


def coin_of(base: str) -> str:
    """§4: one multiplier prefix removed (lower-case ``k``, or exactly 1000 / 10000 / 1000000 / 1M
    before a letter), upper-cased, ``XBT`` read as ``BTC``."""
    if len(base) > 1 and base[0] == "k" and (base[1].isupper() or base[1].isdigit()):
        base = base[1:]
    else:
        for prefix in ("1000000", "10000", "1000", "1M"):
            if base.startswith(prefix) and len(base) > len(prefix) and base[len(prefix)].isalpha():
                base = base[len(prefix) :]
                break
    coin = base.upper()
    return "BTC" if coin == "XBT" else coin


def exchange_match_key(name: str) -> str:
    key = re.sub(r"[^0-9a-z]", "", name.lower())
    return ALIASES.get(key, key)


@dataclass(frozen=True)
class Expected:
    status: str  # resolved | aggregated | neutral
    coinalyze_symbol: str | None
    has_long_short: bool


class CatalogueRules:
    """docs/design.md §4's resolution over a catalogue's ``/exchanges`` and ``/future-markets`` rows."""

    def __init__(self, exchanges: Iterable[Mapping[str, Any]], future_markets: Iterable[Mapping[str, Any]]):
        self.codes = {exchange_match_key(str(row["name"])): str(row["code"]) for row in exchanges}
        self.rows = {str(row["symbol"]): dict(row) for row in future_markets}
        self.by_coin: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        self.venue_size: Counter[str] = Counter()
        for row in self.rows.values():
            if row["is_perpetual"] is True and row["margined"] == "STABLE":
                self.by_coin[coin_of(str(row["base_asset"]))][str(row["exchange"])].append(row)
                self.venue_size[str(row["exchange"])] += 1

    @staticmethod
    def _pick(rows: Sequence[Mapping[str, Any]], quote: str) -> Mapping[str, Any]:
        def rank(row: Mapping[str, Any]) -> tuple[int, str]:
            q = str(row["quote_asset"]).upper()
            order = 0 if q == quote else 1 + QUOTE_ORDER.index(q) if q in QUOTE_ORDER else 9
            return order, str(row["symbol"])

        return min(rows, key=rank)

    def reference_code(self, coin: str) -> str:
        venues = self.by_coin[coin]
        for name in REFERENCE_EXCHANGES:
            code = self.codes[exchange_match_key(name)]
            if code in venues:
                return code
        return min(venues, key=lambda code: (-self.venue_size[code], code))

    def expect(self, symbol: str, exchange: str) -> Expected:
        base, quote = split_local(symbol)
        coin = coin_of(base)
        venues = self.by_coin.get(coin)
        if not venues:
            return Expected("neutral", None, False)
        own = self.codes.get(exchange_match_key(exchange))
        status, code = ("resolved", own) if own in venues else ("aggregated", self.reference_code(coin))
        assert code is not None
        row = self._pick(venues[code], quote)
        return Expected(status, str(row["symbol"]), row["has_long_short_ratio_data"] is True)


def markets_in(directory: Path, ltf: str = "15m") -> list[tuple[str, str]]:
    """(exchange, symbol) of every market in a directory: each LTF candle file."""
    found = []
    for path in sorted(directory.iterdir()):
        match = _CANDLE_FILE.match(path.name)
        if match and match["tf"] == ltf:
            found.append((match["exchange"], match["symbol"]))
    return found


@dataclass(frozen=True)
class Cost:
    symbols: frozenset[str]
    with_long_short: frozenset[str]

    @property
    def units(self) -> int:
        """§5 minimum: Σ over the four data types of the distinct symbols needing it."""
        return 3 * len(self.symbols) + len(self.with_long_short)

    @property
    def data_requests(self) -> int:
        per_type = (len(self.symbols),) * 3 + (len(self.with_long_short),)
        return sum(math.ceil(n / BATCH) for n in per_type)


def cost_of(expected: Iterable[Expected]) -> Cost:
    chosen = [e for e in expected if e.coinalyze_symbol is not None]
    return Cost(
        frozenset(str(e.coinalyze_symbol) for e in chosen),
        frozenset(str(e.coinalyze_symbol) for e in chosen if e.has_long_short),
    )


def strict_json(data: bytes) -> Any:
    """Parse JSON refusing the NaN / Infinity / -Infinity tokens Python's json would accept."""

    def refuse(token: str) -> Any:
        raise AssertionError(f"non-JSON token {token} in the feed")

    return json.loads(data, parse_constant=refuse)


def sort_key(signal: Mapping[str, Any]) -> tuple[float, str, str, str]:
    """§8: score descending, then exchange, symbol and strategy."""
    return (-float(signal["score"]), signal["exchange"], signal["symbol"], signal["strategy_name"])
