"""The twelve endpoints: their parameters, validation, and how each builds its answer.

Validation messages follow the 401's ``{"message": ...}`` style (a guess: the real 400 bodies were never
captured), and the interval message lists the ten accepted values, as the real one does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from quantpro.simulator.catalogue import Catalogue, MarketSpec
from quantpro.simulator.market_data import (
    INTERVALS,
    Item,
    MarketModel,
    bucket_starts,
    current_update_ms,
    funding_item,
    liquidation_item,
    long_short_item,
    market_model,
    ohlcv_item,
    oi_item,
)

CATALOGUE_PATHS = frozenset({"/exchanges", "/future-markets", "/spot-markets"})
CURRENT_PATHS = frozenset({"/open-interest", "/funding-rate", "/predicted-funding-rate"})
HISTORY_PATHS = frozenset(
    {
        "/open-interest-history", "/funding-rate-history", "/predicted-funding-rate-history",
        "/liquidation-history", "/long-short-ratio-history", "/ohlcv-history",
    }
)  # fmt: skip
ENDPOINTS = CATALOGUE_PATHS | CURRENT_PATHS | HISTORY_PATHS
USD_PATHS = frozenset({"/open-interest", "/open-interest-history", "/liquidation-history"})
MILLISECONDS_THRESHOLD = 1e12  # a `from`/`to` above this is milliseconds: the API answers `[]`

Json = list[dict[str, object]]


class BadRequest(ValueError):
    """A parameter the API would refuse with 400."""


@dataclass(frozen=True, slots=True)
class DataQuery:
    """A validated data request."""

    path: str
    symbols: tuple[str, ...]
    interval: str | None = None
    start: int | None = None
    end: int | None = None
    convert_to_usd: bool = False


def _symbols(params: Mapping[str, str], max_symbols: int | None) -> tuple[str, ...]:
    raw = params.get("symbols", "")
    symbols = tuple(s.strip() for s in raw.split(",") if s.strip())
    if not symbols:
        raise BadRequest("Missing required parameter: symbols")
    if max_symbols is not None and len(symbols) > max_symbols:
        raise BadRequest(f"Too many symbols: at most {max_symbols} symbols are allowed per request")
    return symbols


def _timestamp(params: Mapping[str, str], name: str) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        raise BadRequest(f"Missing required parameter: {name}")
    try:
        return int(float(raw))
    except (ValueError, OverflowError) as exc:  # "inf" too: answered 400, never a dropped connection
        raise BadRequest(f"Invalid parameter {name}: expected a UNIX timestamp in seconds") from exc


def _interval(params: Mapping[str, str]) -> str:
    interval = params.get("interval")
    if interval not in INTERVALS:
        valid = ", ".join(INTERVALS)
        raise BadRequest(f"Invalid interval {interval!r}. Valid values are: {valid}")
    return interval


def _usd_flag(path: str, params: Mapping[str, str]) -> bool:
    raw = params.get("convert_to_usd", "false").lower()
    if raw not in ("true", "false"):
        raise BadRequest("Invalid parameter convert_to_usd: expected true or false")
    return raw == "true" and path in USD_PATHS


def parse_data_query(path: str, params: Mapping[str, str], max_symbols: int | None) -> DataQuery:
    """Validate a data request's parameters, or raise :class:`BadRequest`."""
    symbols = _symbols(params, max_symbols)
    usd = _usd_flag(path, params)
    if path in CURRENT_PATHS:
        return DataQuery(path, symbols, convert_to_usd=usd)
    interval = _interval(params)
    return DataQuery(path, symbols, interval, _timestamp(params, "from"), _timestamp(params, "to"), usd)


# -- answers ---------------------------------------------------------------------------------------


def _known(catalogue: Catalogue, query: DataQuery) -> list[MarketSpec]:
    """The requested symbols the API knows for this endpoint, in request order, each once.

    Spot symbols are known to the history endpoints (empty except OHLCV) and unknown to the current ones.
    """
    seen: dict[str, MarketSpec] = {}
    for symbol in query.symbols:
        spec = catalogue.markets.get(symbol)
        if spec is None or symbol in seen or (spec.kind == "spot" and query.path in CURRENT_PATHS):
            continue
        seen[symbol] = spec
    return list(seen.values())


def _current(query: DataQuery, m: MarketModel, now: float) -> dict[str, object]:
    if query.path == "/open-interest":
        value = m.open_interest(now) * (m.usd_factor(now) if query.convert_to_usd else 1.0)
        shown = float(f"{value:.8g}")
    elif query.path == "/funding-rate":
        shown = round(m.funding(now), 6)
    else:
        shown = round(m.predicted_funding(now), 6)
    return {"symbol": m.spec.symbol, "value": shown, "update": current_update_ms(m, now)}


ItemBuilder = Callable[[MarketModel, int, int, float, bool], Item | None]

_BUILDERS: dict[str, ItemBuilder] = {
    "/open-interest-history": oi_item,
    "/funding-rate-history": lambda m, t, s, n, _u: funding_item(m, t, s, n, predicted=False),
    "/predicted-funding-rate-history": lambda m, t, s, n, _u: funding_item(m, t, s, n, predicted=True),
    "/liquidation-history": liquidation_item,
    "/long-short-ratio-history": lambda m, t, s, n, _u: long_short_item(m, t, s, n),
    "/ohlcv-history": lambda m, t, s, n, _u: ohlcv_item(m, t, s, n),
}


def _has_data(query: DataQuery, m: MarketModel) -> bool:
    """Whether this market has any series for this endpoint (else its history is ``[]``)."""
    spec = m.spec
    if spec.kind == "spot":
        return query.path == "/ohlcv-history"
    if query.path == "/long-short-ratio-history":
        return spec.has_long_short and query.interval != "1min"
    if query.path == "/liquidation-history":
        return m.has_liquidations()
    return True


def _history(query: DataQuery, m: MarketModel, now: float) -> dict[str, object]:
    assert query.interval is not None and query.start is not None and query.end is not None
    items: list[Item] = []
    if _has_data(query, m):
        build, step = _BUILDERS[query.path], INTERVALS[query.interval]
        for t0 in bucket_starts(query.interval, query.start, query.end, now):
            item = build(m, t0, step, now, query.convert_to_usd)
            if item is not None:
                items.append(item)
    return {"symbol": m.spec.symbol, "history": items}


def answer_data(
    catalogue: Catalogue, query: DataQuery, now: float, *, drop_every_other: bool = False
) -> Json:
    """The 200 body of a data request. ``drop_every_other`` is the DROP_SYMBOLS fault."""
    if (
        query.start is not None
        and query.end is not None
        and max(query.start, query.end) > MILLISECONDS_THRESHOLD
    ):
        return []
    markets = [market_model(spec) for spec in _known(catalogue, query)]
    if drop_every_other:
        markets = markets[1::2]
    if query.path in CURRENT_PATHS:
        return [_current(query, m, now) for m in markets]
    return [_history(query, m, now) for m in markets]
