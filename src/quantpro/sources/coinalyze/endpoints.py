"""Endpoint facts: paths, query parameters and the parsing of each answer into docs/design.md §6 shapes.

Pure functions, no I/O: the client sends what :func:`request_params` builds and hands the decoded body
to :func:`parse_response`. Answers are keyed by ``symbol``, never by order (the order is not
documented). A symbol missing from a 200 answer is not an error — the API drops unknown symbols — and
gets the empty value of its data type:

=================  ===============================  =====================================
data type          known symbol, empty history      symbol dropped from the answer
=================  ===============================  =====================================
``oi_history``     ``[]``                           ``[]``
``funding_rate``   (no history: ``value`` or None)  ``None``
``ls_ratio``       ``None``                         ``None``
``liquidations``   ``{"longs": 0.0, "shorts": 0.0}``  ``None`` (nothing is known)
=================  ===============================  =====================================

A wrong shape (not a list, an item without ``symbol``, a point without numbers) raises
:class:`~quantpro.errors.ResponseShapeError`, which the client retries like a truncated body.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode

from quantpro.errors import ResponseShapeError
from quantpro.models import Liquidations, OIPoint

log = logging.getLogger(__name__)

#: Catalogue paths (one unit each).
EXCHANGES_PATH = "/exchanges"
FUTURE_MARKETS_PATH = "/future-markets"

#: The documented cap on symbols per request.
MAX_SYMBOLS_PER_REQUEST = 20


class DataType(StrEnum):
    """The four kinds of data a market gets; the value names the cache file and the output field."""

    OI_HISTORY = "oi_history"
    FUNDING_RATE = "funding_rate"
    LS_RATIO = "ls_ratio"
    LIQUIDATIONS = "liquidations"


PATHS: dict[DataType, str] = {
    DataType.OI_HISTORY: "/open-interest-history",
    DataType.FUNDING_RATE: "/funding-rate",
    DataType.LS_RATIO: "/long-short-ratio-history",
    DataType.LIQUIDATIONS: "/liquidation-history",
}

OI_INTERVAL = "15min"
LS_INTERVAL = "5min"
LS_LOOKBACK_S = 3600
LIQUIDATION_INTERVAL = "1hour"
DEFAULT_HOURS = 24


def request_params(data_type: DataType, *, now: float, hours: int = DEFAULT_HOURS) -> dict[str, str]:
    """The query parameters besides ``symbols``; ``from``/``to`` in Unix **seconds** (ms give ``[]``)."""
    to = int(now)
    if data_type is DataType.OI_HISTORY:
        return {"interval": OI_INTERVAL, "from": str(to - hours * 3600), "to": str(to)}
    if data_type is DataType.FUNDING_RATE:
        return {}
    if data_type is DataType.LS_RATIO:
        return {"interval": LS_INTERVAL, "from": str(to - LS_LOOKBACK_S), "to": str(to)}
    return {
        "interval": LIQUIDATION_INTERVAL,
        "from": str(to - hours * 3600),
        "to": str(to),
        "convert_to_usd": "true",
    }


def query_string(symbols: Sequence[str], params: dict[str, str]) -> str:
    """``symbols=A,B&…`` with literal commas, as the documentation's example (each symbol escaped)."""
    parts = []
    if symbols:
        parts.append("symbols=" + ",".join(quote(symbol, safe="") for symbol in symbols))
    if params:
        parts.append(urlencode(params))
    return "&".join(parts)


def empty_value(data_type: DataType) -> Any:
    """The value of a symbol the answer did not include (dropped, or never fetched)."""
    return [] if data_type is DataType.OI_HISTORY else None


# -- parsing ----------------------------------------------------------------------------------------


#: Plausible bucket times, in seconds: 2009-01-01 … 2100-01-01 (a ms time or 1e20 is not one).
MIN_TIME_S, MAX_TIME_S = 1_230_768_000, 4_102_444_800
#: The largest believable magnitude of each value (anything above is a lie, not a market).
MAX_VALUE = {"c": 1e18, "r": 1e6, "l": 1e15, "s": 1e15, "funding": 100.0}


def plausible(value: Any, field: str, *, default: float | None = None) -> float | None:
    """``value`` as a float when it is a finite number in ``0 … MAX_VALUE[field]`` (funding may be
    negative), else ``None``. A missing value is ``default``."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    low = -MAX_VALUE[field] if field == "funding" else 0.0
    return float(value) if low <= value <= MAX_VALUE[field] else None


def _bad_point(point: dict[str, Any], fields: tuple[str, ...]) -> str | None:
    t = point.get("t")
    if (
        isinstance(t, bool)
        or not isinstance(t, int | float)
        or not math.isfinite(t)
        or not MIN_TIME_S <= t <= MAX_TIME_S
    ):
        return f"timestamp {t!r} out of range"
    for name in fields:
        default = 0.0 if name in ("l", "s") else None
        if plausible(point.get(name, default), name, default=default) is None:
            return f"{name}={point.get(name)!r} is not a plausible non-negative number"
    return None


def _history(item: dict[str, Any], fields: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The item's points, ascending by ``t``; implausible points are dropped with a logged reason
    (issue 16 §4): one bad row never costs the market, let alone the scan."""
    history = item.get("history")
    if not isinstance(history, list) or not all(isinstance(point, dict) for point in history):
        raise ResponseShapeError(f"{item.get('symbol')}: 'history' is not a list of objects")
    kept: list[dict[str, Any]] = []
    dropped: Counter[str] = Counter()
    for point in history:
        problem = _bad_point(point, fields)
        if problem is None:
            kept.append(point)
        else:
            dropped[problem] += 1
    if dropped:
        reasons = "; ".join(f"{n} × {why}" if n > 1 else why for why, n in dropped.items())
        log.warning(
            "%s: dropped %d bad point(s): %s", safe_text(item.get("symbol")), dropped.total(), reasons
        )
    return sorted(kept, key=lambda point: float(point["t"]))


def safe_text(value: Any, limit: int = 80) -> str:
    """A remote string for a log line: printable, one line, short."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    return text[:limit]


def parse_oi_history(item: dict[str, Any]) -> list[OIPoint]:
    """Bucket start (s) and close, ascending; the newest (partial) bucket is kept."""
    return [{"timestamp": int(p["t"]), "value": float(p["c"])} for p in _history(item, ("c",))]


def parse_funding_rate(item: dict[str, Any]) -> float | None:
    """The current rate in percent, from ``value`` (never ``pf``); null when the API sends null."""
    value = item.get("value")
    rate = plausible(value, "funding")
    if value is not None and rate is None:
        log.warning(
            "%s: dropped funding value %r (not a plausible rate)", safe_text(item.get("symbol")), value
        )
    return rate


def parse_ls_ratio(item: dict[str, Any]) -> float | None:
    """The newest ratio ``r``, or None when the last hour is empty."""
    history = _history(item, ("r",))
    return float(history[-1]["r"]) if history else None


def parse_liquidations(item: dict[str, Any]) -> Liquidations:
    """Σ longs and Σ shorts over the window, in USD; a known symbol with nothing liquidated is 0/0."""
    history = _history(item, ("l", "s"))
    longs = sum(float(p.get("l", 0.0)) for p in history)
    shorts = sum(float(p.get("s", 0.0)) for p in history)
    return {"longs": float(longs), "shorts": float(shorts)}


_PARSERS: dict[DataType, Callable[[dict[str, Any]], Any]] = {
    DataType.OI_HISTORY: parse_oi_history,
    DataType.FUNDING_RATE: parse_funding_rate,
    DataType.LS_RATIO: parse_ls_ratio,
    DataType.LIQUIDATIONS: parse_liquidations,
}


def parse_response(data_type: DataType, body: Any, symbols: Sequence[str]) -> dict[str, Any]:
    """Every symbol asked → its parsed value (the empty value when the answer dropped it)."""
    if not isinstance(body, list):
        raise ResponseShapeError(f"expected a JSON array, got {type(body).__name__}")
    asked = set(symbols)
    result = {symbol: empty_value(data_type) for symbol in symbols}
    parser = _PARSERS[data_type]
    for item in body:
        if not isinstance(item, dict) or not isinstance(item.get("symbol"), str):
            raise ResponseShapeError("an item without a 'symbol' string")
        if item["symbol"] in asked:
            result[item["symbol"]] = parser(item)
    return result


def parse_catalogue(body: Any, *, required: tuple[str, ...]) -> list[dict[str, Any]]:
    """A catalogue answer: a list of objects each holding the ``required`` keys."""
    if not isinstance(body, list):
        raise ResponseShapeError(f"expected a JSON array, got {type(body).__name__}")
    for row in body:
        if not isinstance(row, dict) or any(key not in row for key in required):
            raise ResponseShapeError(f"a catalogue row without {', '.join(required)}")
    return body
