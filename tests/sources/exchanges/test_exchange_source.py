"""The exchange source against the venue fakes' truth (docs/design.md §11): every perpetual stored in
base units, funding in percent with its interval, each market's own venue after 14 cycles, the z-score
equal to the truth's, a venue down, a contract re-sized, the current bucket missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantpro.analysis.derivatives import derivatives_component, oi_z_score
from quantpro.clock import FakeClock, now_ms
from quantpro.models import MarketData, MarketKey
from quantpro.runs.snapshot import SnapshotOutcome, run_snapshot
from quantpro.settings import Settings
from quantpro.simulator.venues import RunningFakes, VenueWorld
from quantpro.sources.exchanges import ExchangeSource
from quantpro.sources.exchanges.history import splice_check
from quantpro.store.db import Store
from quantpro.store.derivatives_read import load_markets, load_series
from quantpro.venues import VENUES, Venue

from .conftest import T0

BOUNDARY = 900
ALL = [v.value for v in Venue]


def cycle(settings: Settings, data_dir: Path, clock: FakeClock, k: int) -> SnapshotOutcome:
    clock.set(T0 + k * BOUNDARY)
    return run_snapshot(settings, data_dir, clock=clock)


def universe(world: VenueWorld, t: float) -> list[MarketKey]:
    return [MarketKey(v, m.expected_local) for v in ALL for m in world.perpetuals(v, t)]


def fetch(settings: Settings, clock: FakeClock, keys: list[MarketKey]) -> dict[MarketKey, MarketData]:
    return ExchangeSource(settings.store_file(), clock=clock).fetch(keys).data


def test_every_perpetual_is_stored_in_base_units(
    settings: Settings, data_dir: Path, clock: FakeClock, world: VenueWorld
) -> None:
    outcome = cycle(settings, data_dir, clock, 0)
    assert all(v.status == "ok" and v.error is None for v in outcome.venues.values())
    with Store(settings.store_file()) as store:
        stored = load_markets(store)
    for venue in ALL:
        truth = {m.venue_id: m for m in world.perpetuals(venue, T0)}
        mine = {m.venue_id: m for m in stored if m.venue == venue}
        assert set(mine) == set(truth), venue
        for venue_id, m in mine.items():
            in_contracts = VENUES[Venue(venue)].oi_in_contracts
            assert m.contract_size == (truth[venue_id].contract_size if in_contracts else 1.0)
            assert m.last_oi_base == pytest.approx(world.oi_base(venue, venue_id, T0), rel=1e-12)
    okx = next(m for m in stored if m.venue_id == "BTC-USDT-SWAP")
    assert okx.contract_size == 0.01 and okx.oi_unit == "contracts"


def test_funding_in_percent_with_its_interval(
    settings: Settings, data_dir: Path, clock: FakeClock, world: VenueWorld
) -> None:
    cycle(settings, data_dir, clock, 0)
    data = fetch(settings, clock, universe(world, T0))
    hourly = 0
    with Store(settings.store_file()) as store:
        ids = {(m.venue, m.local_symbol): m.venue_id for m in load_markets(store)}
    for key, item in data.items():
        rate, hours = world.funding(key.exchange, ids[(key.exchange, key.symbol)], T0)
        assert item["funding_rate"] == pytest.approx(rate * 100, rel=1e-12)
        assert item["funding_interval_h"] == hours
        component = derivatives_component(item, now_ms(clock))
        assert component.funding_rate_8h == pytest.approx(rate * 100 * 8 / hours, rel=1e-12)
        assert item["provenance"]["funding_rate"]["venue"] == key.exchange
        hourly += hours == 1.0
    assert hourly == len(world.perpetuals("HYPERLIQUID", T0))


def truth_z(world: VenueWorld, venue: str, venue_id: str, ends: list[int]) -> float | None:
    values = np.array([world.oi_base(venue, venue_id, e) for e in ends], dtype=np.float64)
    return oi_z_score(values)


def test_own_venue_series_and_z_equal_to_truth_after_14_cycles(
    settings: Settings, data_dir: Path, clock: FakeClock, world: VenueWorld
) -> None:
    for k in range(15):
        cycle(settings, data_dir, clock, k)
    keys = universe(world, clock.now())
    data = fetch(settings, clock, keys)
    scan_s = clock.now()
    with Store(settings.store_file()) as store:
        by_local = {(m.venue, m.local_symbol): m for m in load_markets(store)}
    checked = 0
    for key, item in data.items():
        market = by_local[(key.exchange, key.symbol)]
        if market.first_seen_ms > (T0 + 10) * 1000:
            continue  # listed during the run: still warming up
        size_changes = world.market(key.exchange, market.venue_id).size_changes  # type: ignore[union-attr]
        if size_changes:
            continue  # a new series (tested below)
        assert item["oi_status"] == "resolved" and item["oi_source"] == "venue", key
        assert item["oi_market"] == {"venue": key.exchange, "venue_id": market.venue_id}
        ends = [p["timestamp"] + BOUNDARY for p in item["oi_history"]]
        assert not any(p.get("filled") for p in item["oi_history"])
        values = np.array([p["value"] for p in item["oi_history"]], dtype=np.float64)
        mine = oi_z_score(values)
        expected = truth_z(world, key.exchange, market.venue_id, ends)
        assert mine is not None and expected is not None
        assert abs(mine - expected) <= 1e-9, key
        has_history = VENUES[Venue(key.exchange)].has_oi_history
        assert len(ends) == (min(96, 15 + 31) if has_history else 15), key
        assert ends[-1] == int(scan_s // BOUNDARY) * BOUNDARY
        checked += 1
    assert checked >= 20
    for venue in ("MEXC", "KUCOIN", "BITGET"):
        own = [i for k, i in data.items() if k.exchange == venue and i["oi_status"] == "resolved"]
        assert own and all(i["provenance"]["open_interest"]["source"] == "venue" for i in own)


def test_a_market_warming_up_borrows_its_reference_series(
    settings: Settings, data_dir: Path, clock: FakeClock
) -> None:
    cycle(settings, data_dir, clock, 0)
    item = fetch(settings, clock, [MarketKey("MEXC", "ETHUSDT")])[MarketKey("MEXC", "ETHUSDT")]
    assert item["oi_status"] == "aggregated" and item["oi_source"] == "proxy"
    assert item["oi_market"] == {"venue": "BINANCE", "venue_id": "ETHUSDT"}
    assert item["proxy_of"] == "MEXC:ETHUSDT"
    assert item["funding_rate"] is not None
    assert item["provenance"]["funding_rate"]["venue"] == "MEXC"  # funding is always its own


def test_a_venue_down_goes_stale_after_two_cycles_and_others_are_unaffected(
    settings: Settings, data_dir: Path, clock: FakeClock, fakes: RunningFakes, world: VenueWorld
) -> None:
    cycle(settings, data_dir, clock, 0)
    fakes["BYBIT"].set_down()
    for k in (1, 2, 3):
        outcome = cycle(settings, data_dir, clock, k)
        assert outcome.venues["BYBIT"].status == "failed" and outcome.venues["BYBIT"].error
        assert outcome.venues["OKX"].status == "ok"
    keys = [MarketKey("BYBIT", "BTCUSDT"), MarketKey("OKX", "BTCUSDT")]
    data = fetch(settings, clock, keys)
    bybit, okx = data[keys[0]], data[keys[1]]
    reason = bybit["oi_metadata"]["reason"] or ""
    assert bybit["oi_metadata"]["degraded"] is True
    assert reason.startswith("stale: ") and "BYBIT" in reason and "since" in reason
    assert bybit["provenance"]["open_interest"]["source"] == "none"
    assert bybit["funding_rate"] is None
    assert okx["oi_metadata"]["degraded"] is False and okx["oi_metadata"]["current_observed"]
    # recovered: the gap is repaired from the venue's history
    fakes["BYBIT"].set_down(False)
    outcome = cycle(settings, data_dir, clock, 4)
    assert outcome.venues["BYBIT"].status == "ok" and outcome.venues["BYBIT"].buckets_repaired >= 3
    after = fetch(settings, clock, keys)[keys[0]]
    ends = {p["timestamp"] + BOUNDARY for p in after["oi_history"] if not p.get("filled")}
    assert {int(T0 // BOUNDARY) * BOUNDARY + k * BOUNDARY for k in range(5)} <= ends


def test_one_missed_cycle_keeps_the_value_but_not_the_z(
    settings: Settings, data_dir: Path, clock: FakeClock
) -> None:
    for k in range(15):
        cycle(settings, data_dir, clock, k)
    clock.set(T0 + 15 * BOUNDARY)  # the scan comes, the snapshot of this boundary did not
    key = MarketKey("MEXC", "BTCUSDT")
    item = fetch(settings, clock, [key])[key]
    assert item["oi_metadata"]["current_observed"] is False
    assert "current bucket not observed yet" in (item["oi_metadata"]["reason"] or "")
    component = derivatives_component(item, now_ms(clock))
    assert component.value is not None and component.z_score_valid is False


def test_a_contract_size_change_starts_a_new_series(
    settings: Settings, data_dir: Path, clock: FakeClock, world: VenueWorld
) -> None:
    """OKX DOGE is re-sized three hours in: the series restarts at the change."""
    for k in range(16):
        cycle(settings, data_dir, clock, k)
    key = MarketKey("OKX", "DOGEUSDT")
    item = fetch(settings, clock, [key])[key]
    resized = world.market("OKX", "DOGE-USDT-SWAP").size_changes[0][0]  # type: ignore[union-attr]
    starts = [p["timestamp"] for p in item["oi_history"]]
    assert starts and min(starts) + BOUNDARY >= resized


def test_a_bootstrap_in_another_unit_is_rejected_by_the_splice_check(
    settings: Settings, data_dir: Path, clock: FakeClock, world: VenueWorld
) -> None:
    """OKX BTC history in contracts (raw) against live data in base units: 100 × apart, discarded;
    the same history in base units is accepted."""
    for k in range(3):
        clock.set(T0 + k * BOUNDARY)
        run_snapshot(settings, data_dir, clock=clock, repair=False)
    with Store(settings.store_file()) as store:
        market = next(m for m in load_markets(store, "OKX") if m.venue_id == "BTC-USDT-SWAP")
        live = load_series(store, [market.id], since_s=0, until_s=2**40)[market.id]
    ends = [r.bucket_end for r in live] + [live[0].bucket_end - BOUNDARY * k for k in range(1, 5)]
    in_contracts = [(e, world.oi_raw("OKX", "BTC-USDT-SWAP", e)) for e in sorted(ends)]
    in_base = [(e, world.oi_base("OKX", "BTC-USDT-SWAP", e)) for e in sorted(ends)]
    rejected = splice_check(in_contracts, live)
    assert rejected.points == [] and rejected.reason and "another unit" in rejected.reason
    accepted = splice_check(in_base, live)
    assert accepted.reason is None and len(accepted.points) == len(ends)


def test_long_short_ratio_own_venue_or_the_reference_venue_as_proxy(
    settings: Settings, data_dir: Path, clock: FakeClock, world: VenueWorld
) -> None:
    cycle(settings, data_dir, clock, 0)
    keys = [MarketKey("BINANCE", "BTCUSDT"), MarketKey("MEXC", "BTCUSDT")]
    data = fetch(settings, clock, keys)
    own, proxy = data[keys[0]], data[keys[1]]
    assert own["ls_ratio"] == pytest.approx(world.ls_ratio("BINANCE", "BTCUSDT", clock.now()), rel=1e-6)
    assert own["provenance"]["ls_ratio"]["source"] == "venue"
    assert proxy["ls_ratio"] == own["ls_ratio"]
    assert proxy["provenance"]["ls_ratio"] == {
        "source": "proxy",
        "venue": "BINANCE",
        "as_of": own["provenance"]["ls_ratio"]["as_of"],
    }


def test_an_empty_store_lacks_oi_and_an_unlisted_market_is_neutral(
    settings: Settings, data_dir: Path, clock: FakeClock
) -> None:
    keys = [MarketKey("BINANCE", "BTCUSDT"), MarketKey("BINANCE", "NOSUCHUSDT")]
    empty = ExchangeSource(settings.store_file(), clock=clock).fetch(keys)
    assert empty.stats.degraded_markets == 2
    assert "no snapshot of BINANCE" in (empty.data[keys[0]]["oi_metadata"]["reason"] or "")
    run_snapshot(settings, data_dir, clock=clock, exchanges=["BINANCE"])
    after = ExchangeSource(settings.store_file(), clock=clock).fetch(keys)
    assert after.data[keys[1]]["oi_status"] == "neutral" and after.stats.degraded_markets == 0


def test_a_delisted_market_is_kept_and_marked(settings: Settings, data_dir: Path, clock: FakeClock) -> None:
    """Binance SOL is delisted four hours in: the store keeps it, marked, and history repair skips it
    without stopping the venue's other markets."""
    cycle(settings, data_dir, clock, 0)
    outcome = cycle(settings, data_dir, clock, 17)  # +4 h 15 min: a gap of 16 cycles to repair
    with Store(settings.store_file()) as store:
        sol = next(m for m in load_markets(store, "BINANCE") if m.venue_id == "SOLUSDT")
        btc = next(m for m in load_markets(store, "BINANCE") if m.venue_id == "BTCUSDT")
        series = load_series(store, [btc.id], since_s=0, until_s=2**40)[btc.id]
    assert sol.delisted and not btc.delisted
    assert outcome.venues["BINANCE"].buckets_repaired > 0
    current = int(clock.now() // BOUNDARY) * BOUNDARY
    assert {current - k * BOUNDARY for k in range(17)} <= {r.bucket_end for r in series}
