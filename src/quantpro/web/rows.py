"""The table's rows: one compact object per feed signal, and the filters and sorts of ``/api/signals``.

A feed of the whole universe holds ~3,300 signals of ~4 KB each; the table needs a tenth of that. The
page loads the rows once per feed and filters them in the browser with the same rules as here
(``app.js`` mirrors :func:`select`), so a filter never waits for the network.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from quantpro.feed.reading import distance_pct, fired

__all__ = ["SORTS", "RowQuery", "row_of", "select"]

#: Where a strategy says how many closed bars ago its setup fired (the CLI's table reads the same keys).

#: ``sort=`` values: best first for score and rr, youngest first for age; ``-`` in front reverses.
SORTS = ("score", "rr", "age")


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _track(signal: Mapping[str, Any]) -> dict[str, Any] | None:
    track = signal.get("track_record")
    if not isinstance(track, Mapping):
        return None
    return {
        "trades": track.get("trades"),
        "win_rate": _num(track.get("win_rate")),
        "expectancy_r": _num(track.get("expectancy_r")),
        "ci95": track.get("ci95"),
    }


def row_of(signal: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
    """The table's row of one feed signal; ``age_s`` is counted from when the setup fired to ``now_ms``."""
    meta = signal.get("meta") or {}
    oi = signal.get("oi_metadata") or {}
    external = signal.get("external") or {}
    setup = signal.get("setup") or {}
    ltf = str(meta.get("ltfInterval") or "")
    entry, stop, target = (_num(signal.get(k)) for k in ("entry", "stop_loss", "take_profit"))
    bars, fired_ms = fired(signal, ltf)
    details = signal.get("details") or {}
    return {
        "exchange": str(signal.get("exchange") or ""),
        "symbol": str(signal.get("symbol") or ""),
        "display_symbol": str(signal.get("display_symbol") or signal.get("symbol") or ""),
        "canonical_symbol": str(signal.get("canonical_symbol") or ""),
        "strategy": str(signal.get("strategy_name") or signal.get("strategy") or ""),
        "action": str(signal.get("action") or "WAIT"),
        "score": _num(signal.get("score")) or 0.0,
        "price": _num(signal.get("price")),
        "entry": entry,
        "stop": stop,
        "target": target,
        "stop_pct": _rounded(distance_pct(entry, stop)),
        "target_pct": _rounded(distance_pct(entry, target)),
        "rr": _num(signal.get("rr")),
        "rr_net": _num(setup.get("rr_net")),
        "timeframe": ltf,
        "htf": str(meta.get("htfInterval") or ""),
        "fired_bars_ago": bars,
        "fired_at": fired_ms,
        "age_s": max(0, (now_ms - fired_ms) // 1000) if fired_ms is not None else None,
        "stale": bool(meta.get("stale")),
        "htf_resampled": bool(meta.get("htf_resampled")),
        "oi_source": oi.get("source") or oi.get("status"),
        "oi_age_s": _num(oi.get("data_age_s")),
        "oi_z": _num(oi.get("z_score")),
        "funding_8h": _num(external.get("funding_rate_8h")),
        "funding": _num(external.get("funding_rate")),
        "track_record": _track(signal),
        "reason": details.get("reason") if isinstance(details.get("reason"), str) else None,
    }


@dataclass(frozen=True, slots=True)
class RowQuery:
    """The filters and the sort of ``/api/signals`` (empty = no filter)."""

    exchange: frozenset[str] = frozenset()
    strategy: frozenset[str] = frozenset()
    action: frozenset[str] = frozenset()
    min_score: float | None = None
    q: str = ""
    sort: str = "score"

    @staticmethod
    def split(value: str | None) -> frozenset[str]:
        """``"bybit, MEXC"`` → ``{"BYBIT", "MEXC"}`` (filters are case-insensitive and may list several)."""
        return frozenset(p.strip().upper() for p in (value or "").split(",") if p.strip())

    def keeps(self, row: Mapping[str, Any]) -> bool:
        if self.exchange and row["exchange"].upper() not in self.exchange:
            return False
        if self.strategy and row["strategy"].upper() not in self.strategy:
            return False
        if self.action and row["action"].upper() not in self.action:
            return False
        if self.min_score is not None and row["score"] < self.min_score:
            return False
        if self.q:
            needle = self.q.upper()
            names = (row["symbol"], row["display_symbol"], row["canonical_symbol"])
            if not any(needle in name.upper() for name in names):
                return False
        return True


def _sort_key(field: str, descending: bool) -> Any:
    """Missing values last whichever the direction; ties keep the feed's order (score, then names)."""
    column = {"score": "score", "rr": "rr", "age": "age_s"}[field]

    def key(item: tuple[int, Mapping[str, Any]]) -> tuple[int, float, int]:
        index, row = item
        value = row[column]
        if value is None:
            return (1, 0.0, index)
        return (0, -value if descending else value, index)

    return key


def select(rows: Iterable[Mapping[str, Any]], query: RowQuery) -> list[Mapping[str, Any]]:
    """The rows ``query`` keeps, in its order. ``score``/``rr`` sort best first, ``age`` youngest
    first; a leading ``-`` reverses that (``-age``: oldest first)."""
    field = query.sort.lstrip("-")
    reverse = query.sort.startswith("-")
    descending = (field in ("score", "rr")) != reverse
    kept = [(i, r) for i, r in enumerate(rows) if query.keeps(r)]
    kept.sort(key=_sort_key(field, descending))
    return [row for _, row in kept]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
