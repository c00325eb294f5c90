"""The top-signals table as data: one row per signal, its cells as text, and its JSON and CSV forms.

No ``rich`` here: :mod:`quantpro.cli.views` draws the rows; ``scan --format json|csv`` prints them
(docs/design.md §16). Rows read a signal tolerantly (``.get`` with defaults), so a feed written by an
older or newer QuantPro still renders.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson

from quantpro.feed.reading import FIRED_KEYS, distance_pct, fired
from quantpro.runs.reasons import ReasonGroup, group_reasons

__all__ = [
    "FIRED_KEYS",
    "SignalRow",
    "format_price",
    "nearest_misses",
    "row_of",
    "rows_csv",
    "rows_json",
    "select_rows",
    "wait_reasons",
]

#: Where a strategy says how many closed bars ago its setup fired; none of them: the last closed bar.


@dataclass(frozen=True, slots=True)
class SignalRow:
    """One signal as the table shows it; the JSON and CSV forms are exactly these fields."""

    score: float
    strategy: str
    exchange: str
    symbol: str
    timeframe: str  # the lower timeframe the signal is read on
    htf: str
    action: str
    price: float | None
    entry: float | None
    stop: float | None
    target: float | None
    stop_pct: float | None  # distance from the entry, in percent
    target_pct: float | None
    rr: float | None
    rr_net: float | None
    fired_bars_ago: int | None
    fired_at_ms: int | None  # close of the bar the setup fired on (Unix ms, UTC)
    fired_at: str | None  # the same, ISO 8601 UTC
    oi_source: str | None  # venue | coinalyze | proxy | none
    oi_z: float | None
    funding_8h_pct: float | None  # funding normalised to 8 hours, percent
    funding_pct: float | None  # funding per the venue's interval, percent (the raw rate)
    funding_interval_h: float | None
    track_trades: int | None
    track_win_rate: float | None  # a fraction, 0–1
    track_expectancy_r: float | None
    stale: bool
    reason: str | None  # why it is WAIT (or below --min-score)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def row_of(signal: Mapping[str, Any], *, reason: str | None = None) -> SignalRow:
    """The row of one feed signal (docs/design.md §8 names)."""
    meta = signal.get("meta") or {}
    oi = signal.get("oi_metadata") or {}
    external = signal.get("external") or {}
    setup = signal.get("setup") or {}
    track = signal.get("track_record") or {}
    ltf = str(meta.get("ltfInterval") or "")
    entry, stop, target = (_num(signal.get(k)) for k in ("entry", "stop_loss", "take_profit"))
    bars, fired_ms = fired(signal, ltf)
    details = signal.get("details") or {}
    return SignalRow(
        score=_num(signal.get("score")) or 0.0,
        strategy=str(signal.get("strategy_name") or signal.get("strategy") or ""),
        exchange=str(signal.get("exchange") or ""),
        symbol=str(signal.get("symbol") or ""),
        timeframe=ltf,
        htf=str(meta.get("htfInterval") or ""),
        action=str(signal.get("action") or "WAIT"),
        price=_num(signal.get("price")),
        entry=entry,
        stop=stop,
        target=target,
        stop_pct=distance_pct(entry, stop),
        target_pct=distance_pct(entry, target),
        rr=_num(signal.get("rr")),
        rr_net=_num(setup.get("rr_net")),
        fired_bars_ago=bars,
        fired_at_ms=fired_ms,
        fired_at=_iso(fired_ms),
        oi_source=oi.get("source") or oi.get("status"),
        oi_z=_num(oi.get("z_score")),
        funding_8h_pct=_num(external.get("funding_rate_8h")),
        funding_pct=_num(external.get("funding_rate")),
        funding_interval_h=_num(external.get("funding_interval_h")),
        track_trades=track.get("trades") if isinstance(track.get("trades"), int) else None,
        track_win_rate=_num(track.get("win_rate")),
        track_expectancy_r=_num(track.get("expectancy_r")),
        stale=bool(meta.get("stale")),
        reason=reason if reason is not None else details.get("reason"),
    )


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def select_rows(signals: Iterable[Mapping[str, Any]], *, top: int, min_score: float) -> list[SignalRow]:
    """The actionable signals at or above ``min_score``, best first (the feed's order), at most ``top``."""
    chosen = [s for s in signals if s.get("action") in ("LONG", "SHORT") and _score(s) >= min_score]
    return [row_of(s) for s in chosen[:top]]


def _score(signal: Mapping[str, Any]) -> float:
    return _num(signal.get("score")) or 0.0


def nearest_misses(signals: Iterable[Mapping[str, Any]], *, min_score: float, n: int = 5) -> list[SignalRow]:
    """The ``n`` best-scoring signals the table did not show: WAITs with their reason, and actionable
    ones below ``--min-score``."""
    misses: list[SignalRow] = []
    for s in sorted(signals, key=lambda s: -_score(s)):
        if s.get("action") in ("LONG", "SHORT"):
            if _score(s) >= min_score:
                continue
            misses.append(row_of(s, reason=f"score {_score(s):.1f} below --min-score {min_score:g}"))
        else:
            misses.append(row_of(s))
        if len(misses) == n:
            break
    return misses


def wait_reasons(signals: Iterable[Mapping[str, Any]]) -> list[ReasonGroup]:
    """The WAIT signals' reasons, counted by kind, the most common first."""
    waits = [
        (f"{s.get('strategy_name')} {s.get('exchange')} {s.get('symbol')}", _wait_reason(s))
        for s in signals
        if s.get("action") not in ("LONG", "SHORT")
    ]
    return group_reasons(waits)


def _wait_reason(signal: Mapping[str, Any]) -> str:
    reason = (signal.get("details") or {}).get("reason")
    return str(reason) if reason else "no reason given"


# -- text of the cells ------------------------------------------------------------------------------


def format_price(value: float | None) -> str:
    """Six significant digits, never in exponent form and never cut: ``0.0000051189``, ``24.2606``."""
    if value is None:
        return "-"
    if abs(value) >= 1e6:
        return f"{value:.0f}"
    text = np.format_float_positional(value, precision=6, unique=True, fractional=False, trim="-")
    return str(text)


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def fired_text(row: SignalRow, now_ms: int | None) -> str:
    """``2 bars 15:30`` (UTC); the date too when the bar is not of the scan's UTC day."""
    if row.fired_bars_ago is None or row.fired_at_ms is None:
        return "-"
    when = datetime.fromtimestamp(row.fired_at_ms / 1000, tz=UTC)
    same_day = now_ms is not None and datetime.fromtimestamp(now_ms / 1000, tz=UTC).date() == when.date()
    stamp = when.strftime("%H:%M" if same_day else "%m-%d %H:%M")
    bars = row.fired_bars_ago
    return f"{bars} bar{'' if bars == 1 else 's'} {stamp}"


def oi_text(row: SignalRow) -> str:
    """``coinalyze +0.84``: where the OI came from and its z-score."""
    source = row.oi_source or "-"
    return source if row.oi_z is None else f"{source} {row.oi_z:+.2f}"


def funding_text(row: SignalRow) -> str:
    """Funding over 8 hours in percent, else the raw per-interval rate marked ``raw``."""
    if row.funding_8h_pct is not None:
        return f"{row.funding_8h_pct:+.4f}"
    if row.funding_pct is not None:
        return f"{row.funding_pct:+.4f} raw"
    return "-"


def track_text(row: SignalRow) -> str:
    """``48 · 62% · +0.40R``: trades, win rate and expectancy of the strategy's score bucket."""
    if row.track_trades is None:
        return "-"
    parts = [str(row.track_trades)]
    parts.append("-" if row.track_win_rate is None else f"{row.track_win_rate * 100:.0f}%")
    parts.append("-" if row.track_expectancy_r is None else f"{row.track_expectancy_r:+.2f}R")
    return " · ".join(parts)


# -- machine forms -------------------------------------------------------------------------------------


def rows_json(rows: Sequence[SignalRow]) -> str:
    """A JSON array of row objects (numbers as numbers, absent values as null)."""
    return orjson.dumps([asdict(r) for r in rows], option=orjson.OPT_INDENT_2).decode() + "\n"


def rows_csv(rows: Sequence[SignalRow]) -> str:
    """CSV with a header of the row's field names; absent values are empty cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = [f.name for f in fields(SignalRow)]
    writer.writerow(names)
    for row in rows:
        values = asdict(row)
        writer.writerow(["" if values[n] is None else _csv_value(values[n]) for n in names])
    return buffer.getvalue()


def _csv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form
    return str(value)
