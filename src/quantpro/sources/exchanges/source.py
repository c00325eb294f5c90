"""``ExchangeSource``: each market's own venue OI and funding, read from the store (docs/design.md §11).

The snapshot (:mod:`quantpro.runs.snapshot`) writes every perpetual of every venue into the store;
this source only reads it, so a scan of a fresh store sends nothing. Each market gets its own venue's
OI series (base units) and funding (percent, with the interval and the 8-hour rate); a market with
fewer than 14 real buckets of its own borrows its coin's reference market's series, marked ``proxy``.
The long/short ratio is the venue's own where the venue publishes one, else the reference market's
venue's (a proxy); liquidations are Coinalyze's, from the store's ``liquidations`` table. Every field
carries its provenance: source, venue, as-of and — through the feed — its age.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from quantpro.analysis.derivatives import OI_MIN_BUCKETS
from quantpro.clock import Clock, now_ms, utc_text
from quantpro.models import FieldSource, MarketData, MarketKey, SourceName, neutral_market_data
from quantpro.sources.base import ProgressCallback, SourceResult, SourceStats
from quantpro.sources.exchanges.reads import SqlReads, StoreReads
from quantpro.sources.exchanges.series import STALE_CYCLES, SeriesView, current_boundary, view_series
from quantpro.store.db import Store
from quantpro.store.derivatives import BUCKET_S, BucketRow, MarketRow

__all__ = ["LS_VENUES", "REFERENCE_ORDER", "ExchangeSource", "read_at"]

#: The venue whose market stands in for a coin's others (most liquid first).
REFERENCE_ORDER = ("BINANCE", "BYBIT", "OKX", "BITGET", "HYPERLIQUID", "KUCOIN", "MEXC")
#: Venues that publish a long/short ratio (the others take their reference market's venue's).
LS_VENUES = frozenset({"BINANCE", "BYBIT", "OKX", "BITGET"})
FRESH_S = (STALE_CYCLES + 1) * BUCKET_S  # a value older than this is stale


class ExchangeSource:
    """Markets in → each market's own venue data from the store; never sends a request."""

    name = "exchanges"

    def __init__(
        self, store_path: Path, *, clock: Clock, derivatives_block: dict[str, Any] | None = None
    ) -> None:
        self.store_path = Path(store_path)
        self.clock = clock
        self.block = derivatives_block

    def close(self) -> None:
        return None

    def fetch(
        self, markets: Sequence[MarketKey], *, progress: ProgressCallback | None = None
    ) -> SourceResult:
        scan_ms = now_ms(self.clock)
        stats = SourceStats()
        with Store(self.store_path) as store:
            data, warming_up = read_at(SqlReads(store), scan_ms, markets)
        for item in data.values():
            status = item.get("oi_status", "neutral")
            stats.oi_status[status] = stats.oi_status.get(status, 0) + 1
            stats.degraded_markets += 1 if (item.get("oi_metadata") or {}).get("degraded") else 0
        if self.block is not None:
            self.block.setdefault("store", {})["warming_up_markets"] = warming_up
            stats.derivatives = self.block
        return SourceResult(data, stats)


def read_at(
    reads: StoreReads, scan_ms: int, keys: Sequence[MarketKey]
) -> tuple[dict[MarketKey, MarketData], int]:
    """Each market's data as a scan at ``scan_ms`` reads it from ``reads``, and how many are warming up."""
    reader = _Reader(reads, scan_ms, keys)
    return {key: reader.market_data(key) for key in keys}, reader.warming_up


class _Reader:
    """One scan's view of the store: markets indexed, the series loaded in one query."""

    def __init__(self, reads: StoreReads, scan_ms: int, keys: Sequence[MarketKey]) -> None:
        self.scan_ms = scan_ms
        self.scan_s = scan_ms / 1000
        self.current = current_boundary(self.scan_s)
        # Only what was known at the scan's moment: a replay of the past (``scan --as-of``, the
        # backtest) must not see a market listed later, nor a ratio or a funding rate observed later.
        self.markets = [m for m in reads.markets() if m.first_seen_ms <= scan_ms]
        self.by_local = {(m.venue, m.local_symbol): m for m in self.markets}
        since = int(self.scan_s) - 86_400 + BUCKET_S
        counts = reads.counts(since_s=since, until_s=self.current, observed_by_ms=scan_ms)
        self.reference = _references(self.markets, counts)
        asked = {(k.exchange.upper(), k.symbol) for k in keys}
        own = [m for m in self.markets if (m.venue, m.local_symbol) in asked]
        self.reads = reads
        self.series = self._load({m.id for m in own})
        self.views = {m.id: view_series(self.series[m.id], scan_s=self.scan_s) for m in own}
        # A reference market's series is read only for the markets that may borrow it (warming up).
        refs = {
            self.reference[m.coin].id
            for m in own
            if self.views[m.id].real < OI_MIN_BUCKETS and m.coin in self.reference
        }
        self.series.update(self._load(refs - self.series.keys()))
        self.warming_up = 0
        self.ls = reads.ls_ratios(until_ms=scan_ms)
        self.liquidations = reads.liquidations(until_ms=scan_ms)

    def _absent(self, key: MarketKey) -> MarketData:
        """A market not in the store: neutral when its venue's snapshot does not list it; lacking OI
        (it counts toward ``failed``) when the store has no snapshot of its venue at all."""
        venue = key.exchange.upper()
        if any(m.venue == venue for m in self.markets):
            return neutral_market_data(f"{venue} lists no perpetual {key.symbol} (not in its snapshot)")
        data = neutral_market_data(
            f"no snapshot of {venue} in the store (run `quantpro snapshot`, or scan with --derivatives auto)"
        )
        data["oi_status"] = "resolved"
        data["oi_metadata"]["degraded"] = True
        return data

    def _load(self, wanted: set[int]) -> dict[int, list[BucketRow]]:
        since, until = self.current - 86_400, self.current
        return self.reads.series(wanted, since_s=since, until_s=until, observed_by_ms=self.scan_ms)

    def view(self, market: MarketRow) -> SeriesView:
        found = self.views.get(market.id)
        if found is None:
            found = self.views[market.id] = view_series(self.series.get(market.id, []), scan_s=self.scan_s)
        return found

    def market_data(self, key: MarketKey) -> MarketData:
        own = self.by_local.get((key.exchange.upper(), key.symbol))
        if own is None:
            return self._absent(key)
        own_view = self.view(own)
        used, view, proxy = own, own_view, False
        if own_view.real < OI_MIN_BUCKETS:
            self.warming_up += 1
            ref = self.reference.get(own.coin)
            if ref is not None and ref.id != own.id:
                ref_view = self.view(ref)
                if ref_view.real >= OI_MIN_BUCKETS and ref_view.current_observed:
                    used, view, proxy = ref, ref_view, True
        return self._data(own, used, view, proxy)

    def _data(self, own: MarketRow, used: MarketRow, view: SeriesView, proxy: bool) -> MarketData:
        reason = view.stale_reason(used.venue)
        lacking = view.newest_end is None or view.missed_cycles > STALE_CYCLES
        oi_as_of = view.newest_end * 1000 if view.newest_end is not None else None
        source: SourceName = "proxy" if proxy else "venue"
        oi_prov: FieldSource = (
            {"source": "none", "reason": reason or "no open interest"}
            if lacking
            else {"source": source, "venue": used.venue, "as_of": oi_as_of}
        )
        price = used.last_price if used.last_seen_ms <= self.scan_ms else self._stored(used, "price")[0]
        data: MarketData = {
            "oi_history": [] if lacking else view.points,
            "oi_status": "aggregated" if proxy else "resolved",
            "coinalyze_symbol": own.coinalyze_symbol,
            "oi_metadata": {
                "partial_last_bucket": False,
                "reason": reason,
                "degraded": lacking,
                "fetched_at": oi_as_of,
                "current_observed": view.current_observed,
            },
            "oi_source": source,
            "oi_market": {"venue": used.venue, "venue_id": used.venue_id},
            "proxy_of": f"{own.venue}:{own.local_symbol}" if proxy else None,
            "oi_unit": "base",
            "oi_value_usd": view.value * price if view.value is not None and price else None,
            "funding_interval_h": own.funding_interval_h,
        }
        funding, funding_prov = self._funding(own)
        ls, ls_prov = self._ls_ratio(own)
        liq, liq_prov = self._liquidations(own)
        data.update(
            {
                "funding_rate": funding,
                "ls_ratio": ls,
                "liquidations": liq,  # type: ignore[typeddict-item]
                "provenance": {
                    "open_interest": oi_prov,
                    "funding_rate": funding_prov,
                    "ls_ratio": ls_prov,
                    "liquidations": liq_prov,
                },
            }
        )
        return data

    def _age_ok(self, as_of_ms: int) -> bool:
        return self.scan_ms - as_of_ms <= FRESH_S * 1000

    def _stored(self, market: MarketRow, name: str) -> tuple[float | None, int]:
        """The newest ``price`` or ``funding`` of ``market``'s buckets up to the scan (value, as-of ms)."""
        for row in reversed(self.series.get(market.id, [])):
            value = getattr(row, name)
            if value is not None:
                return float(value), row.bucket_end * 1000
        return None, 0

    def _funding(self, own: MarketRow) -> tuple[float | None, FieldSource]:
        if own.last_seen_ms > self.scan_ms:  # a replay: the rate of the newest bucket by then
            rate, as_of = self._stored(own, "funding")
            own = replace(own, last_funding=rate, last_seen_ms=as_of)
        if own.last_funding is None:
            return None, {"source": "none", "reason": f"{own.venue} gave no funding rate"}
        if not self._age_ok(own.last_seen_ms):
            since = utc_text(own.last_seen_ms)
            return None, {"source": "none", "reason": f"stale: no funding from {own.venue} since {since}"}
        prov: FieldSource = {"source": "venue", "venue": own.venue, "as_of": own.last_seen_ms}
        return own.last_funding * 100.0, prov

    def _ls_ratio(self, own: MarketRow) -> tuple[float | None, FieldSource]:
        market = own
        source: SourceName = "venue"
        if own.venue not in LS_VENUES:
            ref = self.reference.get(own.coin)
            if ref is None or ref.venue not in LS_VENUES:
                return None, {"source": "none", "reason": f"{own.venue} publishes no long/short ratio"}
            market, source = ref, "proxy"
        found = self.ls.get(market.id)
        if found is None or not self._age_ok(found[0]):
            why = "no recent long/short ratio" if found is None else "long/short ratio is stale"
            return None, {"source": "none", "reason": f"{why} from {market.venue}"}
        prov: FieldSource = {"source": source, "venue": market.venue, "as_of": found[0]}
        return found[1], prov

    def _liquidations(self, own: MarketRow) -> tuple[dict[str, float] | None, FieldSource]:
        symbol = own.coinalyze_symbol
        found = self.liquidations.get(symbol) if symbol else None
        if found is None or not self._age_ok(found[0]):
            why = "no Coinalyze symbol" if not symbol else "no recent liquidations from Coinalyze"
            return None, {"source": "none", "reason": why}
        source: SourceName = "coinalyze" if own.coinalyze_status == "resolved" else "proxy"
        prov: FieldSource = {"source": source, "coinalyze_symbol": symbol, "as_of": found[0]}
        return {"longs": found[1], "shorts": found[2]}, prov


def _references(markets: Sequence[MarketRow], counts: dict[int, int]) -> dict[str, MarketRow]:
    """Each coin's reference market: the most liquid venue with the most buckets, USDT first."""
    best: dict[str, tuple[tuple[int, int, int], MarketRow]] = {}
    for m in markets:
        rank = REFERENCE_ORDER.index(m.venue) if m.venue in REFERENCE_ORDER else len(REFERENCE_ORDER)
        enough = 0 if counts.get(m.id, 0) >= OI_MIN_BUCKETS else 1
        key = (enough, rank, 0 if m.local_symbol.endswith("USDT") else 1)
        if m.coin not in best or key < best[m.coin][0]:
            best[m.coin] = (key, m)
    return {coin: m for coin, (_, m) in best.items()}
