"""Facts about the Coinalyze catalogue: the 2025 exchange list, exchange names, candidate markets.

Pure functions and small typed records, no I/O. The resolver feeds them what ``/exchanges`` and
``/future-markets`` returned; this module decides which rows are candidates (docs/design.md §4) and how a
local venue name such as ``HTX`` finds its Coinalyze exchange (``Huobi``, code ``4``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from quantpro.symbols import canonical_coin

#: ``/exchanges`` as measured on 2025-06-22 (docs/coinalyze_api.md §4), in the API's order. Used only when
#: neither the API nor the symbol cache can give the list: the real one changes over time.
BUILTIN_EXCHANGES_2025: tuple[tuple[str, str], ...] = (
    ("Poloniex", "P"),
    ("Vertex", "V"),
    ("Bitforex", "D"),
    ("Kraken", "K"),
    ("Bithumb", "U"),
    ("Bitstamp", "B"),
    ("Hyperliquid", "H"),
    ("BitFlyer", "L"),
    ("BtcMarkets", "M"),
    ("Bit2c", "I"),
    ("MercadoBitcoin", "E"),
    ("Independent Reserve", "N"),
    ("Gemini", "G"),
    ("Gate.io", "Y"),
    ("Deribit", "2"),
    ("OKX", "3"),
    ("Coinbase", "C"),
    ("Bitfinex", "F"),
    ("Luno", "J"),
    ("BitMEX", "0"),
    ("Phemex", "7"),
    ("WOO X", "W"),
    ("Huobi", "4"),
    ("dYdX", "8"),
    ("Bybit", "6"),
    ("Binance", "A"),
)

#: Quote preference after "the market's own quote" (docs/design.md §4, rule 1).
QUOTE_PREFERENCE: tuple[str, ...] = ("USDT", "USDC", "USD")

#: Normalised name → the normalised name it stands for. ``WOOX``/``WOO X`` and ``GATEIO``/``Gate.io``
#: already agree once spaces and punctuation are gone; the rest are renames and short names.
_ALIASES: dict[str, str] = {
    "htx": "huobi",
    "gate": "gateio",
    "okex": "okx",
}

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def builtin_exchanges() -> list[dict[str, str]]:
    """The built-in 2025 list in ``/exchanges`` form (a fresh copy each call)."""
    return [{"name": name, "code": code} for name, code in BUILTIN_EXCHANGES_2025]


def exchange_key(name: str) -> str:
    """A venue name reduced for matching: lower-case, no spaces or punctuation, aliases applied.

    ``HTX`` and ``Huobi`` → ``huobi``; ``GATE``, ``GATEIO`` and ``Gate.io`` → ``gateio``; ``WOOX`` and
    ``WOO X`` → ``woox``; ``OKEX`` and ``OKX`` → ``okx``.
    """
    key = _NOT_ALNUM.sub("", name.lower())
    return _ALIASES.get(key, key)


def exchange_codes(exchanges: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Matching key → exchange code, from ``/exchanges`` rows (rows without a name or code skipped)."""
    codes: dict[str, str] = {}
    for row in exchanges:
        name, code = row.get("name"), row.get("code")
        if isinstance(name, str) and isinstance(code, str) and name and code:
            codes.setdefault(exchange_key(name), code)
    return codes


def valid_exchange_rows(rows: Any) -> list[dict[str, str]] | None:
    """``rows`` as a clean ``/exchanges`` list, or ``None`` when it is not one (empty counts as not)."""
    if not isinstance(rows, list):
        return None
    clean = [
        {"name": row["name"], "code": row["code"]}
        for row in rows
        if isinstance(row, dict) and isinstance(row.get("name"), str) and isinstance(row.get("code"), str)
    ]
    return clean or None


@dataclass(frozen=True, slots=True)
class Market:
    """One ``/future-markets`` row, reduced to what resolution needs."""

    symbol: str  # the Coinalyze symbol, e.g. ``1000PEPEUSDT_PERP.A``
    exchange: str  # exchange code, e.g. ``A``
    base: str  # ``base_asset`` as listed (``1000PEPE``, ``XBT``)
    quote: str  # ``quote_asset`` upper-cased
    coin: str  # canonical coin of ``base`` (``PEPE``, ``BTC``)
    candidate: bool  # perpetual and stable-margined

    @property
    def normalized(self) -> str:
        """Local-style symbol for the cache maps: canonical coin + quote (``PEPEUSDT``)."""
        return self.coin + self.quote

    @property
    def exchange_id(self) -> str:
        """The reference design's exchange id, written with its dot (``.A``)."""
        return "." + self.exchange


def is_candidate(row: Mapping[str, Any]) -> bool:
    """Only perpetual, stable-margined markets are candidates; dated and coin-margined never are."""
    margined = row.get("margined")
    return row.get("is_perpetual") is True and isinstance(margined, str) and margined.upper() == "STABLE"


def candidate_rows(rows: Iterable[Any]) -> int:
    """How many catalogue rows are usable candidates (perpetual, stable-margined, well formed)."""
    return sum(1 for m in (parse_market(row) for row in rows) if m is not None and m.candidate)


def parse_market(row: Any) -> Market | None:
    """A catalogue row as a :class:`Market`, or ``None`` when it lacks a symbol, exchange or base."""
    if not isinstance(row, dict):
        return None
    symbol, exchange, base = row.get("symbol"), row.get("exchange"), row.get("base_asset")
    if not (isinstance(symbol, str) and isinstance(exchange, str) and isinstance(base, str)):
        return None
    if not (symbol and exchange and base):
        return None
    quote = row.get("quote_asset")
    return Market(
        symbol=symbol,
        exchange=exchange,
        base=base,
        quote=quote.upper() if isinstance(quote, str) else "",
        coin=canonical_coin(base),
        candidate=is_candidate(row),
    )


def quote_rank(quote: str, wanted: str) -> int:
    """0 for the market's own quote, then 1–3 for USDT, USDC, USD, then 4 for anything else."""
    if wanted and quote == wanted:
        return 0
    if quote in QUOTE_PREFERENCE:
        return 1 + QUOTE_PREFERENCE.index(quote)
    return 1 + len(QUOTE_PREFERENCE)


def best_market(markets: Iterable[Market], *, quote: str, base: str = "") -> Market | None:
    """The preferred market among same-coin candidates on one venue.

    Quote first (own quote, then USDT, USDC, USD); then a listed base equal to the local one (so a
    local ``1000PEPEUSDT`` prefers ``1000PEPE`` over ``PEPE`` if a venue lists both); then the symbol,
    so the choice never depends on the catalogue's order.
    """

    def order(market: Market) -> tuple[int, int, str]:
        return (quote_rank(market.quote, quote), 0 if base and market.base == base else 1, market.symbol)

    return min(markets, key=order, default=None)
