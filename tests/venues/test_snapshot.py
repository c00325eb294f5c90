"""``snapshot_venue`` against the fakes' truth (docs/design.md §11): every perpetual with its OI in base
units (contracts × size on OKX, MEXC, KuCoin; coins on Hyperliquid), funding as the venue's fraction
with its interval, in the fewest requests; new listings, a re-sized contract and a delisting."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from quantpro.clock import FakeClock
from quantpro.simulator.venues import RunningFakes, VenueWorld, perp, start_venue_fakes
from quantpro.venues import VENUES, Venue, VenueClient, VenueSnapshot, snapshot_venue

from .conftest import HOUR

Make = Callable[..., VenueClient]
ALL = [v.value for v in Venue]
REL = 1e-12


def assert_matches_truth(snap: VenueSnapshot, world: VenueWorld) -> None:
    """Every perpetual of the world is in the snapshot, and each value is the world's."""
    venue = snap.venue.value
    t = snap.started_ms / 1000
    expected = {m.venue_id: m for m in world.perpetuals(venue, t)}
    assert {p.venue_id for p in snap.perps} == set(expected)
    for p in snap.perps:
        m = expected[p.venue_id]
        at = p.observed_ms / 1000
        assert p.local_symbol == m.expected_local and p.coin == m.coin
        assert p.contract_size == (m.contract_size_at(at) if VENUES[snap.venue].oi_in_contracts else 1.0)
        assert p.oi_base == pytest.approx(world.oi_base(venue, p.venue_id, at), rel=REL)
        assert p.oi_raw is not None and p.oi_base == pytest.approx(p.oi_raw * p.contract_size, rel=REL)
        rate, hours = world.funding(venue, p.venue_id, at)
        assert p.funding_rate == pytest.approx(rate, rel=REL)
        assert p.funding_interval_h == hours
        assert p.price == pytest.approx(world.price(venue, p.venue_id, at), rel=REL)
        assert p.oi_unit == VENUES[snap.venue].oi_unit


@pytest.mark.parametrize("venue", ALL)
def test_every_perpetual_in_base_units_with_its_funding(client: Make, world: VenueWorld, venue: str) -> None:
    snap = snapshot_venue(client(venue))
    assert snap.error is None and snap.http_429 == 0
    assert_matches_truth(snap, world)


def test_the_unit_traps(client: Make, world: VenueWorld, clock: FakeClock) -> None:
    """OKX ctVal, MEXC contractSize and KuCoin's multiplier are not 1; Hyperliquid counts coins and
    pays funding hourly."""
    snaps = {v: snapshot_venue(client(v)) for v in ("OKX", "MEXC", "KUCOIN", "HYPERLIQUID")}
    okx = {p.venue_id: p for p in snaps["OKX"].perps}
    assert okx["BTC-USDT-SWAP"].contract_size == 0.01 and okx["BTC-USDT-SWAP"].oi_unit == "contracts"
    assert okx["PEPE-USDT-SWAP"].oi_base == pytest.approx(okx["PEPE-USDT-SWAP"].oi_raw * 10_000_000)  # type: ignore[operator]
    mexc = {p.venue_id: p for p in snaps["MEXC"].perps}
    assert mexc["BTC_USDT"].oi_base == pytest.approx(mexc["BTC_USDT"].oi_raw * 0.0001)  # type: ignore[operator]
    kucoin = {p.venue_id: p for p in snaps["KUCOIN"].perps}
    assert kucoin["XBTUSDTM"].oi_unit == "lots" and kucoin["XBTUSDTM"].local_symbol == "XBTUSDTM"
    assert kucoin["XBTUSDTM"].oi_base == pytest.approx(kucoin["XBTUSDTM"].oi_raw * 0.001)  # type: ignore[operator]
    hl = {p.venue_id: p for p in snaps["HYPERLIQUID"].perps}
    assert (
        hl["kPEPE"].oi_unit == "coins"
        and hl["kPEPE"].local_symbol == "kPEPEUSDT"
        and hl["kPEPE"].coin == "PEPE"
    )
    assert all(p.funding_interval_h == 1.0 and p.contract_size == 1.0 for p in hl.values())
    t = clock.now()
    assert hl["BTC"].funding_rate == pytest.approx(world.funding("HYPERLIQUID", "BTC", t)[0])


@pytest.mark.parametrize("venue", ALL)
def test_requests_per_snapshot_are_the_fewest(
    client: Make, fakes: RunningFakes, world: VenueWorld, venue: str
) -> None:
    """Warm (markets loaded): Binance 1 + N, every other venue ≤ 2 — the venue table's count."""
    venue_client = client(venue)
    cold = snapshot_venue(venue_client)
    before = len(fakes[venue].log)
    warm = snapshot_venue(venue_client)
    assert warm.requests == len(fakes[venue].log) - before
    n = len(world.perpetuals(venue, warm.started_ms / 1000))
    spec = VENUES[Venue(venue)]
    assert warm.requests == spec.snapshot_requests + (n if spec.oi_per_symbol else 0)
    if venue != "BINANCE":
        assert warm.requests <= 2
    # cold: the markets once more (KuCoin and Hyperliquid: the bulk call is the market list itself)
    extra = {"BINANCE": 2, "BYBIT": 2, "OKX": 1, "BITGET": 6, "MEXC": 2, "KUCOIN": 0, "HYPERLIQUID": 0}
    assert cold.requests == warm.requests + extra[venue]


def test_markets_are_reloaded_after_their_ttl_only(clock: FakeClock) -> None:
    calm = VenueWorld({"BITGET": [perp("BITGET", "BTC"), perp("BITGET", "ETH", quote="USDC")]})  # no events
    with start_venue_fakes(clock, world=calm, venues=["BITGET"]) as fakes:
        bitget = VenueClient.connect(VENUES[Venue.BITGET], clock, base_url=fakes.urls["BITGET"])
        assert snapshot_venue(bitget).requests == 6 + 2
        clock.advance(VENUES[Venue.BITGET].markets_ttl_s - 60)
        assert snapshot_venue(bitget).requests == 2
        clock.advance(120)
        assert snapshot_venue(bitget).requests == 2 + 6


@pytest.mark.parametrize("venue", ALL)
def test_a_market_listed_later_appears_and_a_delisted_one_goes(
    client: Make, world: VenueWorld, clock: FakeClock, venue: str
) -> None:
    venue_client = client(venue)
    first = snapshot_venue(venue_client)
    listed = [m for m in world.markets(venue) if m.listed_from_s]
    assert listed and not {m.venue_id for m in listed} & {p.venue_id for p in first.perps}
    clock.set(listed[0].listed_from_s + 30)  # type: ignore[operator]
    later = snapshot_venue(venue_client)
    assert later.error is None
    assert listed[0].venue_id in {p.venue_id for p in later.perps}  # markets reloaded for it
    assert_matches_truth(later, world)
    gone = [m for m in world.markets(venue) if m.delisted_from_s]
    if gone:
        clock.set(gone[0].delisted_from_s + 30)  # type: ignore[operator]
        after = snapshot_venue(venue_client)
        assert gone[0].venue_id not in {p.venue_id for p in after.perps}
        assert_matches_truth(after, world)


@pytest.mark.parametrize(("venue", "size"), [("OKX", 1000.0), ("MEXC", 0.1), ("KUCOIN", 100.0)])
def test_a_contract_resized_while_the_markets_are_cached(clock: FakeClock, venue: str, size: float) -> None:
    """The cached contract size is caught by the venue's own figures (OKX oiCcy, MEXC volume ÷ amount;
    KuCoin's list is fresh every time) and the OI stays in base units across the change."""
    change_at = clock.now() + HOUR
    resized = perp(venue, "DOGE", contract_size=size, size_changes=((change_at, size / 10),))
    world = VenueWorld({venue: [perp(venue, "BTC"), resized]})  # nothing else happens in this world
    with start_venue_fakes(clock, world=world, venues=[venue]) as fakes:
        venue_client = VenueClient.connect(VENUES[Venue(venue)], clock, base_url=fakes.urls[venue])
        before = {p.venue_id: p for p in snapshot_venue(venue_client).perps}[resized.venue_id]
        clock.set(change_at + 20)
        snap = snapshot_venue(venue_client)
    after = {p.venue_id: p for p in snap.perps}[resized.venue_id]
    assert before.contract_size == size and after.contract_size == size / 10
    assert after.oi_base == pytest.approx(world.oi_base(venue, resized.venue_id, clock.now()), rel=REL)
    assert_matches_truth(snap, world)
