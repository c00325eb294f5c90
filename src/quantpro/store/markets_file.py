"""``DATA_DIR/markets.json``: what ``download`` learnt about each market from ccxt (docs/design.md §12).

Per market: the ccxt symbol, base, quote, contract size, tick size, amount step and minimum notional.
The scan reads it to round a setup's prices to the venue's tick. Written atomically; a download of some
venues or symbols replaces only those markets' entries and keeps the others. Read tolerantly: a missing
file is "no facts", a corrupt one is a warning and "no facts" (the next download rewrites it), a
malformed entry is skipped and named.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from quantpro.models import MarketKey
from quantpro.store.atomic import atomic_write_json, read_json
from quantpro.store.layout import MARKETS_FILE

__all__ = [
    "MARKETS_SCHEMA_VERSION",
    "MarketInfo",
    "markets_file_path",
    "read_markets_file",
    "tick_sizes",
    "write_markets_file",
]

log = logging.getLogger(__name__)

MARKETS_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class MarketInfo:
    """One market's trading facts; a number the venue did not give is ``None``."""

    exchange: str  # the file-name EXCHANGE (BYBIT)
    symbol: str  # the local SYMBOL (1000PEPEUSDT)
    ccxt_symbol: str  # ccxt's unified symbol (1000PEPE/USDT:USDT)
    base: str
    quote: str
    contract_size: float | None
    tick_size: float | None  # the price increment
    amount_step: float | None  # the order-size increment, in contracts
    min_notional: float | None  # the smallest order value, in the quote currency

    @property
    def key(self) -> MarketKey:
        return MarketKey(self.exchange, self.symbol)


def markets_file_path(data_dir: Path) -> Path:
    return Path(data_dir) / MARKETS_FILE


def _positive(value: Any) -> float | None:
    """A finite number > 0, else None (ccxt gives None, strings or 0 for what a venue does not say)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _entry(raw: Any) -> MarketInfo:
    """One file entry as a MarketInfo; raises ValueError when it is malformed."""
    if not isinstance(raw, Mapping):
        raise ValueError("not an object")
    names = ("exchange", "symbol", "ccxt_symbol", "base", "quote")
    text = {name: raw.get(name) for name in names}
    missing = [name for name, value in text.items() if not isinstance(value, str) or not value]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    return MarketInfo(
        **{name: str(value) for name, value in text.items()},
        contract_size=_positive(raw.get("contract_size")),
        tick_size=_positive(raw.get("tick_size")),
        amount_step=_positive(raw.get("amount_step")),
        min_notional=_positive(raw.get("min_notional")),
    )


def read_markets_file(data_dir: Path) -> dict[MarketKey, MarketInfo]:
    """Every well-formed entry of ``DATA_DIR/markets.json``; ``{}`` when the file is missing or corrupt."""
    path = markets_file_path(data_dir)
    data = read_json(path, what="markets file")
    if data is None:
        return {}
    entries = data.get("markets") if isinstance(data, Mapping) else None
    if not isinstance(entries, list):
        log.warning("markets file %s has no list of markets; ignoring it (download rewrites it)", path)
        return {}
    out: dict[MarketKey, MarketInfo] = {}
    for index, raw in enumerate(entries):
        try:
            info = _entry(raw)
        except ValueError as exc:
            log.warning("markets file %s: entry %d skipped (%s)", path, index, exc)
            continue
        out[info.key] = info
    return out


def tick_sizes(data_dir: Path) -> dict[MarketKey, float]:
    """The known tick size of each market in ``DATA_DIR/markets.json``."""
    return {
        key: info.tick_size for key, info in read_markets_file(data_dir).items() if info.tick_size is not None
    }


def write_markets_file(data_dir: Path, infos: Iterable[MarketInfo], *, now_ms: int) -> Path:
    """Merge ``infos`` into ``DATA_DIR/markets.json`` (theirs replaced, the others kept), atomically."""
    merged = read_markets_file(data_dir)
    merged.update((info.key, info) for info in infos)
    ordered = sorted(merged.values(), key=lambda info: (info.exchange, info.symbol))
    document = {
        "schema_version": MARKETS_SCHEMA_VERSION,
        "updated_at": int(now_ms),
        "markets": [asdict(info) for info in ordered],
    }
    path = markets_file_path(data_dir)
    atomic_write_json(path, document, indent=True)
    log.debug("wrote %d markets to %s", len(ordered), path)
    return path
