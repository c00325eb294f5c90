"""Normalising market symbols to a canonical coin (docs/design.md §4).

One function serves local symbols (``XBTUSDTM``, ``kPEPEUSDT``, ``1000PEPEUSDT``) and the catalogue's
``base_asset`` values, so both sides of a resolution agree on what "the same coin" means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Quote suffixes we recognise, longest first so ``FDUSD`` wins over ``USD``.
KNOWN_QUOTES: tuple[str, ...] = ("FDUSD", "BUSD", "USDT", "USDC", "USD")

# ``1000PEPE``, ``10000LADYS``, ``1000000MOG``, ``1MBABYDOGE``: a multiplier followed by a letter.
_MULTIPLIER = re.compile(r"^(?:1000000|10000|1000|1M)(?=[A-Za-z])")
# Hyperliquid's ``kPEPE``: a lower-case k followed by an upper-case letter or digit.
_KILO = re.compile(r"^k(?=[A-Z0-9])")


@dataclass(frozen=True, slots=True)
class LocalSymbol:
    """A local symbol taken apart: ``XBTUSDTM`` → base ``XBT``, quote ``USDT``, coin ``BTC``."""

    raw: str
    base: str
    quote: str
    coin: str

    @property
    def normalized(self) -> str:
        """The reference design's ``normalized`` form: canonical coin + quote (``BTCUSDT``)."""
        return self.coin + self.quote


def strip_kucoin_suffix(symbol: str) -> str:
    """Drop KuCoin's trailing ``M`` on linear perps (``XBTUSDTM``) when a known quote precedes it."""
    if symbol.endswith("M"):
        stem = symbol[:-1]
        for quote in KNOWN_QUOTES:
            if stem.endswith(quote) and len(stem) > len(quote):
                return stem
    return symbol


def split_quote(symbol: str) -> tuple[str, str]:
    """Split ``BTCUSDT`` into (``BTC``, ``USDT``); the longest known quote that leaves a base wins.

    A symbol with no known quote (``BTC`` on Hyperliquid) is all base, with quote ``""``.
    """
    stem = strip_kucoin_suffix(symbol)
    for quote in KNOWN_QUOTES:
        if stem.endswith(quote) and len(stem) > len(quote):
            return stem[: -len(quote)], quote
    return stem, ""


def canonical_coin(base: str) -> str:
    """The coin a base stands for: one multiplier prefix removed, ``XBT`` read as ``BTC``.

    ``kPEPE``, ``1000PEPE`` → ``PEPE``; ``1MBABYDOGE`` → ``BABYDOGE``; ``0G``, ``2Z``, ``4``, ``114514``
    and ``9BIT`` stay as they are.
    """
    coin = _KILO.sub("", base, count=1)
    if coin == base:
        coin = _MULTIPLIER.sub("", base, count=1)
    coin = coin.upper()
    return "BTC" if coin == "XBT" else coin


def parse_local_symbol(symbol: str) -> LocalSymbol:
    """Take a local symbol apart into base, quote and canonical coin."""
    base, quote = split_quote(symbol)
    return LocalSymbol(raw=symbol, base=base, quote=quote, coin=canonical_coin(base))
