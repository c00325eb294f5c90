"""Feed signals for the terminal tests: full feed-shaped signals (docs/design.md §8) built from a few
facts, so each test states only what it is about."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from quantpro.feed import RunSummary
from quantpro.runs.scan import ScanOutcome

#: 2026-01-19 16:23:58.087 UTC: the scan's moment; the last closed 15m bar opened at 16:00.
NOW_MS = 1_768_839_838_087
LAST_BAR_MS = 1_768_838_400_000


def signal(
    symbol: str,
    action: str,
    score: float,
    *,
    exchange: str = "BINANCE",
    strategy: str = "Legacy",
    entry: float | None = 100.0,
    stop: float | None = 98.0,
    target: float | None = 105.0,
    rr: float | None = 2.5,
    price: float | None = None,
    bars: int | None = None,
    oi_source: str = "coinalyze",
    z: float | None = 0.84,
    funding: float | None = 0.0123,
    funding_8h: float | None = None,
    track: dict[str, Any] | None = None,
    stale: bool = False,
    reason: str | None = None,
    calculated_at: int = LAST_BAR_MS,
) -> dict[str, Any]:
    trade = action != "WAIT"
    details: dict[str, Any] = {"reason": None if trade else (reason or "no crossing found")}
    if bars is not None:
        details["bars_since_break"] = bars
    return {
        "strategy_name": strategy,
        "strategy": strategy,
        "symbol": symbol,
        "canonical_symbol": symbol,
        "display_symbol": symbol,
        "exchange": exchange,
        "exchange_tag": exchange,
        "source": exchange,
        "price": price if price is not None else entry,
        "score": score,
        "total_score": score,
        "bias": action if trade else "NONE",
        "action": action,
        "setup": {"side": action, "entry": entry, "tp": target, "sl": stop, "rr": rr, "rr_net": rr}
        if trade
        else None,
        "entry": entry if trade else None,
        "stop_loss": stop if trade else None,
        "take_profit": target if trade else None,
        "rr": rr if trade else None,
        "details": details,
        "htf": {},
        "ltf": {},
        "meta": {
            "htfInterval": "4h",
            "ltfInterval": "15m",
            "strategy_type": strategy.lower(),
            "htf_resampled": False,
            "stale": stale,
        },
        "oi_metadata": {"status": "resolved", "source": oi_source, "z_score": z, "z_score_valid": False},
        "external": {
            "funding_rate": funding,
            "funding_rate_8h": funding_8h,
            "funding_interval_h": 8.0 if funding_8h is not None else None,
            "ls_ratio": None,
            "liquidations": None,
        },
        "observability": {},
        "calculated_at": calculated_at,
        "track_record": copy.deepcopy(track),
    }


def outcome(signals: list[dict[str, Any]], *, now_ms: int = NOW_MS) -> ScanOutcome:
    run = RunSummary(markets=len({(s["exchange"], s["symbol"]) for s in signals}))
    feed: Any = {"schema_version": 2, "last_updated": now_ms, "run": run.to_dict(), "signals": signals}
    return ScanOutcome(Path("data/master_feed.json"), feed, run, 0, signals)


def golden_signals() -> list[dict[str, Any]]:
    """A table's worth of cases: tiny and large prices, both sides, a break 3 bars ago, a proxy OI,
    funding over 8 h and raw, a track record, a stale market, and WAITs that must not show."""
    track = {"trades": 48, "win_rate": 0.625, "expectancy_r": 0.4, "ci95": [0.1, 0.7], "period": {}}
    return [
        signal(
            "HYPEUSDT",
            "LONG",
            90.0,
            exchange="HYPERLIQUID",
            entry=24.2606,
            stop=23.6816,
            target=25.4185,
            rr=2.0,
            funding_8h=0.01,
            track=track,
        ),
        signal(
            "PEPEUSDTM",
            "LONG",
            86.25,
            exchange="KUCOIN",
            strategy="Breakout",
            entry=0.0000051189,
            stop=0.00000460102,
            target=0.0000070727,
            rr=3.7727,
            price=0.00000523665,
            bars=3,
            oi_source="proxy",
            z=3.41,
            funding=-0.0051,
        ),
        signal(
            "AIXBTUSDT",
            "SHORT",
            80.0,
            exchange="MEXC",
            entry=0.103927,
            stop=0.105373,
            target=0.095772,
            rr=5.6381,
            oi_source="proxy",
            z=2.8119,
            funding=0.022033,
        ),
        signal(
            "BTCUSDT",
            "SHORT",
            75.5,
            exchange="OKX",
            strategy="BreakoutV2",
            entry=97123.456,
            stop=98410.1,
            target=93000.0,
            rr=3.2049,
            bars=1,
            z=None,
            funding_8h=-0.0042,
            stale=True,
        ),
        signal(
            "1000000MOGUSDT",
            "LONG",
            71.0,
            exchange="BYBIT",
            entry=0.00123456,
            stop=0.0012,
            target=0.0013,
            rr=1.6459,
            oi_source="none",
            z=None,
            funding=None,
            calculated_at=LAST_BAR_MS - 86_400_000,
        ),
        signal("SOLUSDT", "WAIT", 69.7, reason="score 69.7 below 70"),
        signal("ETHUSDT", "WAIT", 0.0),
    ]
