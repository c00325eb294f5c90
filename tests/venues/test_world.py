"""The venue world: deterministic, realistic counts for the benchmark, the unit traps, the events, and
agreement with the Coinalyze simulator where both list a market (docs/design.md §11)."""

from __future__ import annotations

import pytest

from quantpro.simulator.catalogue import build_catalogue
from quantpro.simulator.market_data import market_model
from quantpro.simulator.venues import ALL, BENCHMARK_COUNTS, DEFAULT_START_S, VenueWorld
from quantpro.symbols import parse_local_symbol

T = DEFAULT_START_S


@pytest.fixture(scope="module")
def benchmark() -> VenueWorld:
    return VenueWorld.benchmark()


def test_the_benchmark_world_has_realistic_perpetual_counts(benchmark: VenueWorld) -> None:
    world = benchmark
    assert BENCHMARK_COUNTS == {
        "BINANCE": 600, "BYBIT": 550, "OKX": 280, "BITGET": 550,
        "MEXC": 800, "KUCOIN": 480, "HYPERLIQUID": 220,
    }  # fmt: skip
    for venue in ALL:
        perps = world.perpetuals(venue, T)
        assert len(perps) == BENCHMARK_COUNTS[venue]
        assert len({m.venue_id for m in perps}) == len(perps)
        assert len({m.expected_local for m in perps}) == len(perps)
        for m in perps:
            parsed = parse_local_symbol(m.expected_local)
            assert parsed.coin == m.coin and parsed.quote in {"USDT", "USDC"}
        # the events: listed during the day, one delisting; contract re-sized where OI counts contracts
        assert sum(1 for m in world.markets(venue) if m.listed_from_s and m.listed_from_s > T) == 2
        assert sum(1 for m in world.markets(venue) if m.delisted_from_s) == 1
        resized = [m for m in world.markets(venue) if m.size_changes]
        assert len(resized) == (1 if venue in {"OKX", "MEXC", "KUCOIN"} else 0)
    assert len(world.perpetuals("BINANCE", T + 24 * 3600)) == 600 + 2 - 1


def test_the_benchmark_world_includes_the_markets_asked_for() -> None:
    include = {
        "KUCOIN": ["XBTUSDTM", "ZZTOPUSDTM"],
        "HYPERLIQUID": ["kPEPEUSDT"],
        "MEXC": ["0GUSDT", "ABCUSDC"],
    }
    world = VenueWorld.benchmark(include=include)
    for venue, locals_ in include.items():
        names = {m.expected_local: m for m in world.perpetuals(venue, T)}
        assert set(locals_) <= set(names)
        assert len(names) == BENCHMARK_COUNTS[venue]
    assert world.market("HYPERLIQUID", "kPEPE") is not None
    assert world.market("KUCOIN", "ZZTOPUSDTM") is not None and world.market("MEXC", "ABC_USDC") is not None


def test_the_worlds_are_deterministic(benchmark: VenueWorld) -> None:
    a, b = benchmark, VenueWorld.benchmark()
    for venue in ALL:
        assert [m.venue_id for m in a.markets(venue)] == [m.venue_id for m in b.markets(venue)]
    m = a.markets("OKX")[7]
    assert a.oi_base("OKX", m.venue_id, T + 900) == b.oi_base("OKX", m.venue_id, T + 900)


def test_values_move_on_a_five_minute_grid() -> None:
    world = VenueWorld.default()
    boundary = T  # a 15-minute boundary
    assert world.oi_base("OKX", "BTC-USDT-SWAP", boundary + 299) == world.oi_base(
        "OKX", "BTC-USDT-SWAP", boundary
    )
    assert world.oi_base("OKX", "BTC-USDT-SWAP", boundary + 300) != world.oi_base(
        "OKX", "BTC-USDT-SWAP", boundary
    )


def test_the_unit_traps_are_in_the_default_world() -> None:
    world = VenueWorld.default()
    for venue in ("OKX", "MEXC", "KUCOIN"):
        sizes = {m.contract_size for m in world.perpetuals(venue, T)}
        assert sizes - {1.0}, f"{venue} has contract sizes ≠ 1"
        for m in world.perpetuals(venue, T):
            raw = world.oi_raw(venue, m.venue_id, T)
            assert raw * m.contract_size == pytest.approx(world.oi_base(venue, m.venue_id, T))
    assert {world.funding("HYPERLIQUID", m.venue_id, T)[1] for m in world.perpetuals("HYPERLIQUID", T)} == {
        1.0
    }
    eight = world.funding("BINANCE", "BTCUSDT", T)
    assert eight[1] == 8.0 and 0 < abs(eight[0]) < 0.003


def test_venue_oi_agrees_with_the_coinalyze_simulator_where_both_list_the_market() -> None:
    """Hyperliquid's bootstrap comes from Coinalyze: its OI history must meet the venue's own at the seam."""
    world = VenueWorld.default()
    catalogue = build_catalogue()
    for venue_id, symbol in (("BTC", "BTC.H"), ("kPEPE", "kPEPE.H")):
        model = market_model(catalogue.markets[symbol])
        for t in (T, T + 900, T + 3600):
            assert world.oi_base("HYPERLIQUID", venue_id, t) == model.open_interest(t)
    binance = market_model(catalogue.markets["BTCUSDT_PERP.A"])
    assert world.oi_base("BINANCE", "BTCUSDT", T) == binance.open_interest(T)


def test_an_unknown_venue_or_market_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown venues"):
        VenueWorld({"KRAKEN": []})
    with pytest.raises(KeyError, match="no market"):
        VenueWorld.default().oi_base("OKX", "NOPE-USDT-SWAP", T)
