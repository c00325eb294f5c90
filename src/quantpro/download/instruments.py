"""A ccxt market's trading facts as a :class:`~quantpro.store.markets_file.MarketInfo` (docs/design.md §12).

ccxt describes precision in one of three modes (its ``precisionMode``): a tick size, a number of
decimal places, or a number of significant digits. A tick can be derived from the first two; with
significant digits the increment depends on the price, so the tick is left unknown (no rounding).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from quantpro.download.fetch import MarketRef
from quantpro.store.markets_file import MarketInfo

__all__ = ["PRECISION_TICK_SIZE", "instrument_facts", "market_info"]

log = logging.getLogger(__name__)

#: ccxt's precision modes (``ccxt.base.decimal_to_precision``), spelt out so this module needs no ccxt.
PRECISION_DECIMAL_PLACES, PRECISION_SIGNIFICANT_DIGITS, PRECISION_TICK_SIZE = 2, 3, 4


def _increment(value: Any, mode: int) -> float | None:
    """The increment a ccxt precision value stands for, or None when it cannot be known."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if mode == PRECISION_DECIMAL_PLACES:
        return 10.0**-number if number == int(number) else None
    if mode == PRECISION_TICK_SIZE:
        return number if number > 0 else None
    return None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def market_info(venue: str, ref: MarketRef, market: Mapping[str, Any], mode: int) -> MarketInfo:
    """The facts of one downloaded market, read from its ccxt market dict."""
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    cost = limits.get("cost") or {}
    return MarketInfo(
        exchange=venue,
        symbol=ref.local,
        ccxt_symbol=ref.symbol,
        base=str(market.get("base") or ""),
        quote=str(market.get("quote") or ""),
        contract_size=_number(market.get("contractSize")) or ref.contract_size,
        tick_size=_increment(precision.get("price"), mode),
        amount_step=_increment(precision.get("amount"), mode),
        min_notional=_number(cost.get("min")),
    )


def instrument_facts(
    venue: str, refs: Sequence[MarketRef], markets: Mapping[str, Mapping[str, Any]], mode: Any
) -> list[MarketInfo]:
    """The facts of each market in ``refs`` that ccxt describes (``markets`` is ccxt's loaded dict)."""
    precision_mode = int(mode) if isinstance(mode, int) else PRECISION_TICK_SIZE
    out = []
    for ref in refs:
        market = markets.get(ref.symbol)
        if market is None:
            log.debug("%s: no ccxt market for %s; no facts recorded", venue, ref.symbol)
            continue
        out.append(market_info(venue, ref, market, precision_mode))
    return out
