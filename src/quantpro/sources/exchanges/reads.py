"""The five reads a scan makes of the derivatives store (docs/design.md §11, §13), from SQLite or from
memory.

:class:`SqlReads` asks the store (a live scan, ``scan --as-of``). :class:`PreloadedReads` loads a few
markets' rows once — the asked markets, every market of their coins (so each coin's reference market
is chosen exactly as from SQLite) and each venue's first-listed market (so "the venue has a snapshot
by then" is answered exactly) — and then answers the same reads at any moment in memory with the
same filters (bucket window, observed by T, newest ratio and liquidations by T). The backtest asks
one market at ~2,300 cuts: one load instead of 2,300 full reads. Both feed the one reader
(:mod:`quantpro.sources.exchanges.source`), so they cannot disagree on a rule.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from quantpro.store.db import Store
from quantpro.store.derivatives import BucketRow, MarketRow
from quantpro.store.derivatives_read import (
    bucket_counts,
    latest_liquidations_all,
    latest_ls_ratios,
    load_markets,
    load_series,
)

__all__ = ["PreloadedReads", "SqlReads", "StoreReads"]


class StoreReads(Protocol):
    """What a read of the store at one moment needs; every read takes the moment's bound."""

    def markets(self) -> list[MarketRow]: ...

    def counts(self, *, since_s: int, until_s: int, observed_by_ms: int) -> dict[int, int]: ...

    def series(
        self, markets: Iterable[int], *, since_s: int, until_s: int, observed_by_ms: int
    ) -> dict[int, list[BucketRow]]: ...

    def ls_ratios(self, *, until_ms: int) -> dict[int, tuple[int, float]]: ...

    def liquidations(self, *, until_ms: int) -> dict[str, tuple[int, float, float]]: ...


class SqlReads:
    """The reads as SQLite queries on an open store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def markets(self) -> list[MarketRow]:
        return load_markets(self.store)

    def counts(self, *, since_s: int, until_s: int, observed_by_ms: int) -> dict[int, int]:
        return bucket_counts(self.store, since_s=since_s, until_s=until_s, observed_by_ms=observed_by_ms)

    def series(
        self, markets: Iterable[int], *, since_s: int, until_s: int, observed_by_ms: int
    ) -> dict[int, list[BucketRow]]:
        return load_series(
            self.store, markets, since_s=since_s, until_s=until_s, observed_by_ms=observed_by_ms
        )

    def ls_ratios(self, *, until_ms: int) -> dict[int, tuple[int, float]]:
        return latest_ls_ratios(self.store, until_ms=until_ms)

    def liquidations(self, *, until_ms: int) -> dict[str, tuple[int, float, float]]:
        return latest_liquidations_all(self.store, until_ms=until_ms)


@dataclass(frozen=True, slots=True)
class _Series:
    """One market's buckets, oldest first, with when each was observed (ms)."""

    ends: list[int]
    rows: list[BucketRow]
    observed: list[int]

    def window(self, since_s: int, until_s: int, observed_by_ms: int) -> list[BucketRow]:
        lo, hi = bisect_left(self.ends, since_s), bisect_right(self.ends, until_s)
        return [self.rows[i] for i in range(lo, hi) if self.observed[i] <= observed_by_ms]


def _newest_by(times: list[int], until_ms: int) -> int | None:
    """Index of the newest time ≤ ``until_ms`` in an ascending list (None when none)."""
    i = bisect_right(times, until_ms) - 1
    return i if i >= 0 else None


class PreloadedReads:
    """The rows a read of ``keys`` can touch, loaded once; each read filtered in memory."""

    def __init__(
        self, store: Store, keys: Iterable[tuple[str, str]], *, all_markets: list[MarketRow]
    ) -> None:
        asked = set(keys)
        coins = {m.coin for m in all_markets if (m.venue, m.local_symbol) in asked}
        first_listed: dict[str, MarketRow] = {}
        for m in all_markets:
            if m.venue not in first_listed or m.first_seen_ms < first_listed[m.venue].first_seen_ms:
                first_listed[m.venue] = m
        witnesses = {m.id for m in first_listed.values()}
        # load_markets' order is kept: ties between equally good references go to the first.
        self._markets = [m for m in all_markets if m.coin in coins or m.id in witnesses]
        ids = [m.id for m in self._markets if m.coin in coins]
        self._series = _load_buckets(store, ids)
        self._ls = _load_ls(store, ids)
        symbols = {m.coinalyze_symbol for m in self._markets if m.coin in coins and m.coinalyze_symbol}
        self._liq = _load_liquidations(store, symbols)

    def markets(self) -> list[MarketRow]:
        return list(self._markets)

    def counts(self, *, since_s: int, until_s: int, observed_by_ms: int) -> dict[int, int]:
        out: dict[int, int] = {}
        for market, series in self._series.items():
            n = len(series.window(since_s, until_s, observed_by_ms))
            if n:
                out[market] = n
        return out

    def series(
        self, markets: Iterable[int], *, since_s: int, until_s: int, observed_by_ms: int
    ) -> dict[int, list[BucketRow]]:
        empty = _Series([], [], [])
        return {
            m: self._series.get(m, empty).window(since_s, until_s, observed_by_ms)
            for m in sorted(set(markets))
        }

    def ls_ratios(self, *, until_ms: int) -> dict[int, tuple[int, float]]:
        out: dict[int, tuple[int, float]] = {}
        for market, (times, ratios) in self._ls.items():
            i = _newest_by(times, until_ms)
            if i is not None:
                out[market] = (times[i], ratios[i])
        return out

    def liquidations(self, *, until_ms: int) -> dict[str, tuple[int, float, float]]:
        out: dict[str, tuple[int, float, float]] = {}
        for symbol, (times, sides) in self._liq.items():
            i = _newest_by(times, until_ms)
            if i is not None:
                out[symbol] = (times[i], *sides[i])
        return out


def _load_buckets(store: Store, ids: list[int]) -> dict[int, _Series]:
    out = {m: _Series([], [], []) for m in ids}
    for market in ids:
        rows = store.conn.execute(
            "SELECT bucket_end, oi_base, contract_size, source, price, funding, "
            "bucket_end * 1000 + COALESCE(lag_ms, 0) FROM oi_bucket WHERE market = ? ORDER BY bucket_end",
            (market,),
        )
        series = out[market]
        for end, oi, size, source, price, funding, observed in rows:
            series.ends.append(int(end))
            series.rows.append(BucketRow(int(end), float(oi), float(size), str(source), price, funding))
            series.observed.append(int(observed))
    return out


def _load_ls(store: Store, ids: list[int]) -> dict[int, tuple[list[int], list[float]]]:
    out: dict[int, tuple[list[int], list[float]]] = {}
    for market in ids:
        rows = store.conn.execute(
            "SELECT observed_ms, ratio FROM ls_ratio WHERE market = ? ORDER BY observed_ms", (market,)
        ).fetchall()
        if rows:
            out[market] = ([int(t) for t, _ in rows], [float(r) for _, r in rows])
    return out


def _load_liquidations(
    store: Store, symbols: set[str]
) -> dict[str, tuple[list[int], list[tuple[float, float]]]]:
    out: dict[str, tuple[list[int], list[tuple[float, float]]]] = {}
    for symbol in sorted(symbols):
        rows = store.conn.execute(
            "SELECT fetched_ms, longs, shorts FROM liquidations WHERE coinalyze_symbol = ? "
            "ORDER BY fetched_ms",
            (symbol,),
        ).fetchall()
        if rows:
            out[symbol] = ([int(t) for t, _, _ in rows], [(float(lo), float(sh)) for _, lo, sh in rows])
    return out
