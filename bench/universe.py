"""Build the benchmark universe: the real January 2026 sample spread across the seven venues.

The 658 real markets are copied (hard-linked when possible) under new venue names until the
universe holds about 1,100 markets, with each venue's own local-symbol style (KuCoin's trailing
``M``, ``XBT`` for BTC). Written into a scratch directory, never into the repository.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from quantpro.symbols import parse_local_symbol

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "quantopro-2026-01" / "candles"
VENUES = ("BINANCE", "BYBIT", "OKX", "BITGET", "MEXC", "KUCOIN", "HYPERLIQUID")


def _local_symbol(venue: str, coin_symbol: str) -> str:
    parsed = parse_local_symbol(coin_symbol)
    base = parsed.base
    if venue == "KUCOIN":
        return ("XBT" if parsed.coin == "BTC" else base) + "USDTM"
    if venue == "HYPERLIQUID":
        return base + "USDT"
    return (parsed.coin if base.startswith("k") else base) + "USDT"


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def build_universe(target: Path, markets: int = 1100, source: Path = REAL) -> int:
    """Fill ``target`` with ``markets`` markets (15m + 4h pairs where the source has them)."""
    target.mkdir(parents=True, exist_ok=True)
    ltf_files = sorted(source.glob("*_15m.json"))
    written: set[tuple[str, str]] = set()
    rounds = 0
    while len(written) < markets and rounds < len(VENUES):
        for index, ltf in enumerate(ltf_files):
            if len(written) >= markets:
                break
            venue_from, symbol = ltf.name[: -len("_15m.json")].split("_", 1)
            venue = venue_from if rounds == 0 else VENUES[(index + rounds) % len(VENUES)]
            local = symbol if rounds == 0 else _local_symbol(venue, symbol)
            if (venue, local) in written:
                continue
            written.add((venue, local))
            _link(ltf, target / f"{venue}_{local}_15m.json")
            htf = ltf.with_name(ltf.name.replace("_15m.json", "_4h.json"))
            if htf.exists():
                _link(htf, target / f"{venue}_{local}_4h.json")
        rounds += 1
    return len(written)
