"""One market's detail for the page: candles, RSI and EMAs of both timeframes as the scan saw them, and
the feed's signals of that market with their setups and trendline geometry in chart coordinates.

The exchange and symbol of a request are never turned into a path: they are checked against a strict
pattern, then looked up among the markets :func:`quantpro.store.markets.discover_markets` found in the
data directory (whose names come from ``stat``), and only that market's own files are read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from quantpro.analysis.features import TimeframeFeatures, compute_features
from quantpro.errors import ConfigError, DataFileError
from quantpro.models import FloatArray
from quantpro.store.markets import MarketFiles, discover_markets, load_market

__all__ = ["HTF_BARS", "LTF_BARS", "MarketNotFound", "find_market", "market_detail", "valid_name"]

#: How much history the charts show (the strategies' trendlines look back 150 HTF bars).
LTF_BARS = 300
HTF_BARS = 200

_EXCHANGE = re.compile(r"^[A-Z][A-Z0-9]{0,31}$")
_SYMBOL = re.compile(r"^[A-Za-z0-9]{1,64}$")


class MarketNotFound(LookupError):
    """No such market in the data directory (or a name that cannot be one)."""


def valid_name(exchange: str, symbol: str) -> bool:
    """Whether the names can be a market at all (upper-case venue, alphanumeric symbol)."""
    return bool(_EXCHANGE.fullmatch(exchange) and _SYMBOL.fullmatch(symbol))


def find_market(data_dir: Path, exchange: str, symbol: str, *, ltf: str, htf: str) -> MarketFiles:
    """The discovered market with exactly these names; :class:`MarketNotFound` otherwise."""
    if not valid_name(exchange, symbol):
        raise MarketNotFound("not a market name")
    try:
        markets, _ = discover_markets(data_dir, ltf=ltf, htf=htf)
    except ConfigError as exc:
        raise MarketNotFound(str(exc)) from exc
    for files in markets:
        if files.key.exchange == exchange and files.key.symbol == symbol:
            return files
    raise MarketNotFound(f"no market {exchange} {symbol} in the data directory")


def _value(x: float) -> float | None:
    return round(float(x), 10) if math.isfinite(x) else None


def _series(times_s: list[int], values: FloatArray, start: int) -> list[dict[str, Any]]:
    """``[{time, value}]`` of the finite values from row ``start`` (warm-up NaNs left out)."""
    return [
        {"time": times_s[i], "value": round(float(v), 8)}
        for i, v in enumerate(values[start:], start=start)
        if math.isfinite(v)
    ]


def _timeframe(features: TimeframeFeatures, bars: int) -> dict[str, Any]:
    c = features.candles
    start = max(0, len(c) - bars)
    times_s = [int(t) // 1000 for t in c.time]
    candles = [
        {
            "time": times_s[i],
            "open": _value(c.open[i]),
            "high": _value(c.high[i]),
            "low": _value(c.low[i]),
            "close": _value(c.close[i]),
        }
        for i in range(start, len(c))
    ]
    return {
        "timeframe": c.timeframe,
        "candles": candles,
        "volume": _series(times_s, c.volume, start),
        "rsi": _series(times_s, features.rsi, start),
        "ema50": _series(times_s, features.ema50, start),
        "ema200": _series(times_s, features.ema200, start),
        "first_row": start,
    }


def _line(line: Mapping[str, Any], features: TimeframeFeatures, end_row: int) -> dict[str, Any] | None:
    """A trendline of ``rsi_visuals`` (candle rows) as chart points (times in seconds, RSI values)."""
    rows = line.get("pivot_rows")
    slope, intercept = line.get("slope"), line.get("intercept")
    n = len(features.candles)
    if not (isinstance(rows, list) and len(rows) == 2 and all(isinstance(r, int) for r in rows)):
        return None
    if not isinstance(slope, int | float) or not isinstance(intercept, int | float):
        return None
    start = rows[0]
    end = min(max(end_row, rows[1]), n - 1)
    if not 0 <= start < n:
        return None
    times = features.candles.time

    def point(row: int, value: float) -> dict[str, Any]:
        return {"row": row, "time": int(times[row]) // 1000, "value": round(value, 4)}

    touches = [r for r in line.get("touch_rows") or [] if isinstance(r, int) and 0 <= r < n]
    return {
        "kind": line.get("kind"),
        "points": [point(start, intercept + slope * start), point(end, intercept + slope * end)],
        "pivots": [point(r, float(features.rsi[r])) for r in touches if math.isfinite(features.rsi[r])],
        "touches": line.get("touches"),
    }


def _row_shift(reading: Mapping[str, Any], htf: TimeframeFeatures) -> int | None:
    """How many rows the HTF candles moved since the scan (a file trimmed at its start): the scan's
    last HTF candle (``signal.htf.time``) was its row ``candles - 1``; ``None`` when it is gone."""
    last, count = reading.get("time"), reading.get("candles")
    if not isinstance(last, int) or not isinstance(count, int):
        return 0
    found = np.flatnonzero(htf.candles.time == last)
    return int(found[0]) - (count - 1) if found.size else None


def _shifted(visuals: Mapping[str, Any], shift: int) -> dict[str, Any]:
    out = dict(visuals)
    if isinstance(out.get("break_row"), int):
        out["break_row"] += shift
    for kind in ("resistance", "support"):
        line = out.get(kind)
        if isinstance(line, Mapping) and shift:
            line = dict(line)
            line["pivot_rows"] = [r + shift for r in line.get("pivot_rows") or [] if isinstance(r, int)]
            line["touch_rows"] = [r + shift for r in line.get("touch_rows") or [] if isinstance(r, int)]
            line["intercept"] = float(line.get("intercept", 0.0)) - float(line.get("slope", 0.0)) * shift
            out[kind] = line
    return out


def geometry(
    visuals: Mapping[str, Any], htf: TimeframeFeatures, reading: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """The feed's ``rsi_visuals`` (rows of the scan's HTF candles) mapped onto the HTF chart: lines,
    pivots, the break. ``reading`` is the signal's ``htf`` block, to realign rows when the file lost
    candles at its start since the scan; ``None`` when the scan's candles are no longer there."""
    shift = _row_shift(reading or {}, htf)
    if shift is None:
        return None
    visuals = _shifted(visuals, shift)
    n = len(htf.candles)
    brk = visuals.get("break_row")
    end_row = brk if isinstance(brk, int) else n - 1
    lines = [
        drawn
        for kind in ("resistance", "support")
        if isinstance(visuals.get(kind), Mapping)
        and (drawn := _line(visuals[kind], htf, end_row)) is not None
    ]
    out: dict[str, Any] = {"lines": lines, "break": None}
    if isinstance(brk, int) and 0 <= brk < n and math.isfinite(htf.rsi[brk]):
        out["break"] = {"row": brk, "time": int(htf.candles.time[brk]) // 1000, "value": float(htf.rsi[brk])}
    return out


def market_detail(
    files: MarketFiles,
    signals: Iterable[Mapping[str, Any]],
    *,
    as_of_ms: int,
    ltf: str,
    htf: str,
) -> dict[str, Any]:
    """Both timeframes as a scan at ``as_of_ms`` saw them (the feed's time, so the trendline rows and
    the setup's entry line up with the candles), and the market's signals with chart geometry."""
    try:
        market = load_market(files, now_ms=as_of_ms, ltf=ltf, htf=htf)
    except DataFileError as exc:
        raise MarketNotFound(f"{exc.file}: {exc.reason}") from exc
    ltf_features = compute_features(market.ltf)
    htf_features = compute_features(market.htf)
    own = [
        s for s in signals if s.get("exchange") == files.key.exchange and s.get("symbol") == files.key.symbol
    ]
    drawn = []
    for signal in own:
        visuals = (signal.get("observability") or {}).get("rsi_visuals") or {}
        reading = signal.get("htf") if isinstance(signal.get("htf"), Mapping) else None
        drawn.append(
            {"signal": signal, "geometry": geometry(visuals, htf_features, reading) if visuals else None}
        )
    return {
        "exchange": files.key.exchange,
        "symbol": files.key.symbol,
        "as_of": as_of_ms,
        "stale": market.stale,
        "htf_resampled": market.htf_resampled,
        "ltf": _timeframe(ltf_features, LTF_BARS),
        "htf": _timeframe(htf_features, HTF_BARS),
        "signals": drawn,
    }
