"""The store read as of a past moment (``scan --as-of``, the backtest, docs/design.md §13): exactly what
a live scan at that moment read, whatever the store learned afterwards."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

from quantpro.clock import FakeClock
from quantpro.models import MarketData, MarketKey
from quantpro.runs.asof import NoDerivativesAt, StoreDerivativesAt, derivatives_at_for
from quantpro.runs.snapshot import run_snapshot
from quantpro.settings import Settings
from quantpro.simulator.venues import VenueWorld
from quantpro.sources.exchanges import ExchangeSource
from quantpro.venues import Venue

from .conftest import T0

BOUNDARY = 900


def test_the_store_as_of_t_is_what_a_live_scan_at_t_read(
    settings: Settings, data_dir: Path, clock: FakeClock, world: VenueWorld
) -> None:
    keys = [MarketKey(v.value, m.expected_local) for v in Venue for m in world.perpetuals(v.value, T0)]
    for k in range(16):  # enough real buckets for a valid z on every venue
        clock.set(T0 + k * BOUNDARY + 20)
        run_snapshot(settings, data_dir, clock=clock)
    replay_at_ms = int(clock.now() * 1000) + 60_000  # a minute after the 16th snapshot
    clock.set(replay_at_ms / 1000)
    live = ExchangeSource(settings.store_file(), clock=clock).fetch(keys).data

    for k in range(16, 24):  # the store learns more: later OI, funding, ratios
        clock.set(T0 + k * BOUNDARY + 20)
        run_snapshot(settings, data_dir, clock=clock)
    replayed = StoreDerivativesAt(settings.store_file()).at(keys, replay_at_ms)

    # The one thing a replay cannot know exactly is when within its bucket the funding rate was read:
    # it says the bucket's boundary (never later than T); everything else is identical.
    for key, data in replayed.items():
        funding_as_of = data["provenance"]["funding_rate"].pop("as_of", None)
        live_as_of = live[key]["provenance"]["funding_rate"].pop("as_of", None)
        assert (funding_as_of is None) == (live_as_of is None)
        assert funding_as_of is None or funding_as_of <= live_as_of <= replay_at_ms
    assert replayed == live
    assert sum(1 for d in live.values() if d["oi_source"] == "venue") > len(keys) // 2


def test_a_bucket_observed_after_t_is_not_seen_at_t(
    settings: Settings, data_dir: Path, clock: FakeClock, world: VenueWorld
) -> None:
    keys = [MarketKey("BYBIT", m.expected_local) for m in world.perpetuals("BYBIT", T0)][:5]
    clock.set(T0 + 200)  # sampled 200 s after its boundary
    run_snapshot(settings, data_dir, clock=clock, exchanges=["BYBIT"])
    before = StoreDerivativesAt(settings.store_file()).at(keys, int((T0 + 100) * 1000))
    after = StoreDerivativesAt(settings.store_file()).at(keys, int((T0 + 250) * 1000))
    assert all(not d["oi_history"] for d in before.values())  # not yet observed at T0 + 100 s
    assert all(d["oi_history"] for d in after.values())


def test_a_replay_without_a_store_takes_the_neutral_rule_and_creates_none(
    settings: Settings, data_dir: Path
) -> None:
    assert isinstance(derivatives_at_for(settings, data_dir), NoDerivativesAt)
    assert not settings.store_file(data_dir).exists()


def _without_funding_as_of(data: MarketData) -> tuple[MarketData, int | None]:
    """The data with the funding rate's as-of taken out (a replay says its bucket's boundary)."""
    copy = deepcopy(data)
    funding = copy.get("provenance", {}).get("funding_rate", {})
    return copy, funding.pop("as_of", None)  # type: ignore[misc]


def test_the_preload_at_many_t_is_what_live_scans_at_those_t_read(
    settings: Settings, data_dir: Path, clock: FakeClock, world: VenueWorld
) -> None:
    keys = [MarketKey(v.value, m.expected_local) for v in Venue for m in world.perpetuals(v.value, T0)]
    keys.append(MarketKey("BINANCE", "NOSUCHUSDT"))  # absent from every snapshot
    live: dict[int, dict[MarketKey, MarketData]] = {}
    for k in range(30):
        boundary = T0 - 20 + k * BOUNDARY
        for offset in (10, 20, 400):  # before the cycle's snapshot, the snapshot, well after it
            clock.set(boundary + offset)
            if offset == 20:
                run_snapshot(settings, data_dir, clock=clock)
            else:
                at_ms = int(clock.now() * 1000)
                live[at_ms] = ExchangeSource(settings.store_file(), clock=clock).fetch(keys).data
    clock.set(clock.now() + 3600)  # the store is read later; it now knows the whole period
    store = StoreDerivativesAt(settings.store_file(), clock=clock)
    kinds: set[str] = set()
    for at_ms, seen in live.items():
        replay = ExchangeSource(settings.store_file(), clock=FakeClock(at_ms / 1000)).fetch(keys).data
        for key in keys:
            (got,) = store.at([key], at_ms).values()  # one market at a time: the preload
            assert got == replay[key], (key, at_ms)
            got, got_as_of = _without_funding_as_of(got)
            want, live_as_of = _without_funding_as_of(seen[key])
            assert got == want, (key, at_ms)
            assert (got_as_of is None) == (live_as_of is None)
            assert got_as_of is None or got_as_of <= live_as_of <= at_ms
            kinds.add(str(got["oi_status"]))
    assert store._preload is not None  # answered from memory
    assert kinds >= {"resolved", "aggregated", "neutral"}


def test_a_moment_after_the_preload_reads_sqlite(
    settings: Settings, data_dir: Path, clock: FakeClock, world: VenueWorld
) -> None:
    key = MarketKey("BYBIT", world.perpetuals("BYBIT", T0)[0].expected_local)
    run_snapshot(settings, data_dir, clock=clock, exchanges=["BYBIT"])
    store = StoreDerivativesAt(settings.store_file(), clock=clock)
    now = int(clock.now() * 1000)
    assert store.at([key], now) == ExchangeSource(settings.store_file(), clock=clock).fetch([key]).data
    assert store._preload is None  # the store may still learn what is observed by now
    store.at([key], now - 1000)
    assert store._preload is not None
