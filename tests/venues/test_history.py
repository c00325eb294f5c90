"""``oi_history`` and ``ls_ratio`` against the fakes' truth (docs/design.md §11): 15-minute boundaries
in base units (OKX resampled from its 5-minute points, KuCoin's lots × multiplier), the venues' point
limits and retention, and the venues that serve neither."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import pytest

from quantpro.clock import FakeClock
from quantpro.errors import RequestRejectedError
from quantpro.simulator.venues import RunningFakes, VenueWorld
from quantpro.venues import VENUES, Venue, VenueClient, ls_ratio, oi_history

from .conftest import HOUR

Make = Callable[..., VenueClient]
HISTORY = {"BINANCE": "BTCUSDT", "BYBIT": "BTCUSDT", "OKX": "BTC-USDT-SWAP", "KUCOIN": "XBTUSDTM"}
HISTORY_PATHS = {
    "BINANCE": "/futures/data/openInterestHist",
    "BYBIT": "/v5/market/open-interest",
    "OKX": "/api/v5/rubik/stat/contracts/open-interest-history",
    "KUCOIN": "/api/ua/v1/market/open-interest",
}


def _ms(t: float) -> int:
    return int(t * 1000)


@pytest.mark.parametrize("venue", sorted(HISTORY))
def test_the_last_32_buckets_in_base_units_in_one_request(
    client: Make, fakes: RunningFakes, world: VenueWorld, clock: FakeClock, venue: str
) -> None:
    venue_client = client(venue)
    now = clock.now()
    last = math.floor(now / 900) * 900
    sent = len(fakes[venue].log)
    points = oi_history(venue_client, "BTC/USDT:USDT", since_ms=_ms(last - 31 * 900), until_ms=_ms(now))
    assert [t for t, _ in points] == list(range(last - 31 * 900, last + 1, 900))  # boundaries, oldest first
    for t, value in points:
        assert value == pytest.approx(world.oi_base(venue, HISTORY[venue], t), rel=1e-12)
    history_requests = [r for r in fakes[venue].log[sent:] if r.path == HISTORY_PATHS[venue]]
    # OKX: 5-minute points, 94 of them for 32 buckets, in one request of ≤ 100
    assert len(history_requests) == 1


def test_okx_resamples_its_five_minute_points_to_the_boundaries(
    client: Make, world: VenueWorld, clock: FakeClock
) -> None:
    okx = client("OKX")
    now = clock.now()
    points = dict(oi_history(okx, "ETH/USDT:USDT", since_ms=_ms(now - 2 * HOUR), until_ms=_ms(now)))
    assert all(t % 900 == 0 for t in points)
    t = max(points)
    between = world.oi_base("OKX", "ETH-USDT-SWAP", t - 600)
    assert points[t] == pytest.approx(world.oi_base("OKX", "ETH-USDT-SWAP", t))
    assert points[t] != pytest.approx(between)  # the 5-minute points differ: the boundary's was kept
    assert points[t - 900] == pytest.approx(world.oi_base("OKX", "ETH-USDT-SWAP", t - 900))


@pytest.mark.parametrize(
    ("venue", "days", "requests"), [("BYBIT", 3, 2), ("KUCOIN", 3, 2), ("BINANCE", 6, 2)]
)
def test_a_long_range_pages_by_the_venue_point_limit(
    client: Make,
    fakes: RunningFakes,
    world: VenueWorld,
    clock: FakeClock,
    venue: str,
    days: int,
    requests: int,
) -> None:
    venue_client = client(venue)
    now = clock.now()
    sent = len(fakes[venue].log)
    points = oi_history(venue_client, "BTC/USDT:USDT", since_ms=_ms(now - days * 86_400), until_ms=_ms(now))
    asked = [r for r in fakes[venue].log[sent:] if r.path == HISTORY_PATHS[venue]]
    limit = VENUES[Venue(venue)].oi_history_limit
    assert len(asked) == requests == math.ceil(len(points) / limit)
    times = [t for t, _ in points]
    assert times == sorted(set(times)) and all(b - a == 900 for a, b in itertools.pairwise(times))
    assert len(points) == days * 96
    assert all(v == pytest.approx(world.oi_base(venue, HISTORY[venue], t), rel=1e-12) for t, v in points)


@pytest.mark.parametrize(("venue", "max_days"), [("BINANCE", 30), ("OKX", 3)])
def test_history_never_asks_beyond_what_the_venue_keeps(
    client: Make, clock: FakeClock, venue: str, max_days: int
) -> None:
    now = clock.now()
    points = oi_history(client(venue), "BTC/USDT:USDT", since_ms=_ms(now - 60 * 86_400), until_ms=_ms(now))
    assert points[0][0] >= now - max_days * 86_400
    assert points[0][0] - (now - max_days * 86_400) <= 900


def test_a_market_listed_recently_has_history_since_its_listing(
    client: Make, world: VenueWorld, clock: FakeClock
) -> None:
    listed = next(m for m in world.markets("BYBIT") if m.listed_from_s)
    clock.set(listed.listed_from_s + 2 * HOUR)  # type: ignore[operator]
    bybit = client("BYBIT")
    now = clock.now()
    points = oi_history(bybit, "WLFI/USDT:USDT", since_ms=_ms(now - 8 * HOUR), until_ms=_ms(now))
    assert points and points[0][0] >= listed.listed_from_s  # type: ignore[operator]
    assert len(points) == 9


@pytest.mark.parametrize("venue", ["BITGET", "MEXC", "HYPERLIQUID"])
def test_venues_without_history_refuse(
    client: Make, fakes: RunningFakes, clock: FakeClock, venue: str
) -> None:
    symbol = "BTC/USDC:USDC" if venue == "HYPERLIQUID" else "BTC/USDT:USDT"
    with pytest.raises(RequestRejectedError, match="no open-interest history"):
        oi_history(client(venue), symbol, since_ms=0, until_ms=_ms(clock.now()))
    assert fakes[venue].log == []  # refused before any request
    assert not VENUES[Venue(venue)].has_oi_history


@pytest.mark.parametrize(
    ("venue", "venue_id"),
    [("BINANCE", "BTCUSDT"), ("BYBIT", "BTCUSDT"), ("OKX", "BTC-USDT-SWAP"), ("BITGET", "BTCUSDT")],
)
def test_ls_ratio_is_the_newest_ratio(
    client: Make, world: VenueWorld, clock: FakeClock, venue: str, venue_id: str
) -> None:
    ratio = ls_ratio(client(venue), "BTC/USDT:USDT")
    newest = math.floor(clock.now() / 300) * 300
    assert ratio == pytest.approx(world.ls_ratio(venue, venue_id, newest), rel=1e-9)


@pytest.mark.parametrize("venue", ["MEXC", "KUCOIN", "HYPERLIQUID"])
def test_ls_ratio_is_none_where_the_venue_has_none(client: Make, fakes: RunningFakes, venue: str) -> None:
    symbol = "BTC/USDC:USDC" if venue == "HYPERLIQUID" else "BTC/USDT:USDT"
    assert ls_ratio(client(venue), symbol) is None
    assert fakes[venue].log == []


def test_binance_statistics_have_their_own_pacing_pool(
    client: Make, fakes: RunningFakes, clock: FakeClock
) -> None:
    """/futures/data: 1,000 requests per 5 minutes per IP (we keep 500), apart from the weight budget."""
    binance = client("BINANCE")
    binance.load_markets()
    for _ in range(3):
        ls_ratio(binance, "BTC/USDT:USDT")
    stats = [r.at for r in fakes["BINANCE"].log if r.path.startswith("/futures/data/")]
    assert [b - a for a, b in itertools.pairwise(stats)] == pytest.approx([300 / 500] * 2)
    assert binance.stats_pacer is not binance.pacer
