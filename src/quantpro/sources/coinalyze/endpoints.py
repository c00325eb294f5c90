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

import math
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode

from quantpro.errors import ResponseShapeError
from quantpro.models import Liquidations, OIPoint

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


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ResponseShapeError(f"{what} is not a finite number: {value!r}")
    return float(value)


def _history(item: dict[str, Any]) -> list[dict[str, Any]]:
    history = item.get("history")
    if not isinstance(history, list) or not all(isinstance(point, dict) for point in history):
        raise ResponseShapeError(f"{item.get('symbol')}: 'history' is not a list of objects")
    return sorted(history, key=lambda point: _number(point.get("t"), "history t"))


def parse_oi_history(item: dict[str, Any]) -> list[OIPoint]:
    """Bucket start (s) and close, ascending; the newest (partial) bucket is kept."""
    return [
        {"timestamp": int(_number(p.get("t"), "t")), "value": _number(p.get("c"), "OI c")}
        for p in _history(item)
    ]


def parse_funding_rate(item: dict[str, Any]) -> float | None:
    """The current rate in percent, from ``value`` (never ``pf``); null when the API sends null."""
    value = item.get("value")
    return None if value is None else _number(value, "funding value")


def parse_ls_ratio(item: dict[str, Any]) -> float | None:
    """The newest ratio ``r``, or None when the last hour is empty."""
    history = _history(item)
    return _number(history[-1].get("r"), "ls r") if history else None


def parse_liquidations(item: dict[str, Any]) -> Liquidations:
    """Σ longs and Σ shorts over the window, in USD; a known symbol with nothing liquidated is 0/0."""
    history = _history(item)
    longs = sum(_number(p.get("l", 0.0), "liquidation l") for p in history)
    shorts = sum(_number(p.get("s", 0.0), "liquidation s") for p in history)
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
