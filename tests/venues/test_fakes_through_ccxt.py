"""Each venue fake checked by driving ccxt 4.5.90 itself against it: what ccxt parses out of the fake's
answers is the world's truth (docs/design.md §11). No QuantPro code sits between ccxt and the fake, so
a fake that answered in a shape ccxt misreads would fail here, not hide in the client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ccxt
import pytest

from quantpro.clock import FakeClock
from quantpro.simulator.venues import RunningFakes, VenueWorld

from .conftest import HOUR

Make = Callable[[str], Any]
REL = 1e-12


def _truth_oi(world: VenueWorld, venue: str, venue_id: str, t: float) -> float:
    return world.oi_base(venue, venue_id, t)


def test_bybit_tickers_carry_funding_and_base_oi(exchange: Make, world: VenueWorld, clock: FakeClock) -> None:
    ex = exchange("BYBIT")
    rates = ex.fetch_funding_rates()
    t = clock.now()
    for m in world.listed("BYBIT", t):
        row = rates[ex.markets_by_id[m.venue_id][0]["symbol"]]
        rate, hours = world.funding("BYBIT", m.venue_id, t)
        assert row["fundingRate"] == pytest.approx(rate, rel=REL)
        assert row["interval"] == f"{int(hours)}h"  # from instruments-info fundingInterval (minutes)
        assert float(row["info"]["openInterest"]) == pytest.approx(
            _truth_oi(world, "BYBIT", m.venue_id, t), rel=REL
        )
        assert row["markPrice"] == pytest.approx(world.price("BYBIT", m.venue_id, t), rel=REL)


def test_okx_funding_and_open_interest_for_every_swap_in_two_calls(
    exchange: Make, world: VenueWorld, clock: FakeClock, fakes: RunningFakes
) -> None:
    ex = exchange("OKX")
    ex.load_markets()
    before = len(fakes["OKX"].log)
    rates, interests = ex.fetch_funding_rates(), ex.fetch_open_interests()
    assert [r.path for r in fakes["OKX"].log[before:]] == [
        "/api/v5/public/funding-rate",
        "/api/v5/public/open-interest",
    ]
    t = clock.now()
    for m in world.perpetuals("OKX", t):
        symbol = ex.markets_by_id[m.venue_id][0]["symbol"]
        size = ex.markets[symbol]["contractSize"]
        assert size == m.contract_size  # ctVal: base units per contract, ≠ 1 (the unit trap)
        oi = interests[symbol]
        truth = _truth_oi(world, "OKX", m.venue_id, t)
        assert oi["openInterestAmount"] * size == pytest.approx(truth, rel=REL)  # contracts × ctVal
        assert oi["baseVolume"] == pytest.approx(truth, rel=REL)  # oiCcy: the venue's own base figure
        rate, hours = world.funding("OKX", m.venue_id, t)
        assert rates[symbol]["fundingRate"] == pytest.approx(rate, rel=REL)
        assert rates[symbol]["interval"] == f"{int(hours)}h"  # nextFundingTime − fundingTime


def test_hyperliquid_one_call_carries_hourly_funding_and_oi_in_coins(
    exchange: Make, world: VenueWorld, clock: FakeClock
) -> None:
    ex = exchange("HYPERLIQUID")
    rates = ex.fetch_funding_rates()
    t = clock.now()
    by_name = {r["info"]["name"]: r for r in rates.values()}
    for m in world.listed("HYPERLIQUID", t):
        row = by_name[m.venue_id]
        rate, hours = world.funding("HYPERLIQUID", m.venue_id, t)
        assert hours == 1.0 and row["interval"] == "1h"
        assert row["fundingRate"] == pytest.approx(rate, rel=REL)
        assert float(row["info"]["openInterest"]) == pytest.approx(
            _truth_oi(world, "HYPERLIQUID", m.venue_id, t), rel=REL
        )


@pytest.mark.parametrize("venue", ["BITGET", "MEXC"])
def test_bulk_tickers_carry_funding_and_oi(
    exchange: Make, world: VenueWorld, clock: FakeClock, venue: str
) -> None:
    ex = exchange(venue)
    ex.load_markets()
    if venue == "BITGET":
        tickers = {**ex.fetch_tickers(None, {"productType": "USDT-FUTURES"})}
        tickers.update(ex.fetch_tickers(None, {"productType": "USDC-FUTURES"}))
    else:
        tickers = ex.fetch_tickers()
    t = clock.now()
    for m in world.perpetuals(venue, t):
        symbol = ex.markets_by_id[m.venue_id][0]["symbol"]
        info = tickers[symbol]["info"]
        truth = _truth_oi(world, venue, m.venue_id, t)
        if venue == "BITGET":
            assert float(info["holdingAmount"]) == pytest.approx(truth, rel=REL)  # base units
        else:
            size = ex.markets[symbol]["contractSize"]
            assert size == m.contract_size  # contractSize: base units per contract
            assert float(info["holdVol"]) * size == pytest.approx(truth, rel=REL)  # contracts × size
        assert float(info["fundingRate"]) == pytest.approx(world.funding(venue, m.venue_id, t)[0], rel=REL)
        assert tickers[symbol]["quoteVolume"] == pytest.approx(m.volume, rel=1e-9)


def test_kucoin_contract_list_carries_oi_in_lots_and_funding(
    exchange: Make, world: VenueWorld, clock: FakeClock
) -> None:
    ex = exchange("KUCOIN")
    markets = ex.load_markets()
    t = clock.now()
    for m in world.perpetuals("KUCOIN", t):
        market = next(x for x in markets.values() if x["id"] == m.venue_id)
        assert market["contractSize"] == m.contract_size  # the multiplier
        info = market["info"]
        assert float(info["openInterest"]) * market["contractSize"] == pytest.approx(
            _truth_oi(world, "KUCOIN", m.venue_id, t), rel=REL
        )
        rate, hours = world.funding("KUCOIN", m.venue_id, t)
        assert info["fundingFeeRate"] == pytest.approx(rate, rel=REL)
        assert info["fundingRateGranularity"] == hours * 3_600_000


def test_binance_premium_index_funding_info_and_open_interest(
    exchange: Make, world: VenueWorld, clock: FakeClock
) -> None:
    ex = exchange("BINANCE")
    rates = ex.fetch_funding_rates()
    intervals = ex.fetch_funding_intervals()
    t = clock.now()
    for m in world.perpetuals("BINANCE", t):
        symbol = ex.markets_by_id[m.venue_id][0]["symbol"]
        rate, hours = world.funding("BINANCE", m.venue_id, t)
        assert rates[symbol]["fundingRate"] == pytest.approx(rate, rel=REL)
        assert (intervals[symbol]["interval"] if symbol in intervals else "8h") == f"{int(hours)}h"
        oi = ex.fetch_open_interest(symbol)
        assert oi["openInterestAmount"] == pytest.approx(_truth_oi(world, "BINANCE", m.venue_id, t), rel=REL)
    with pytest.raises(ccxt.BadRequest):
        ex.fetch_open_interest("BTC/USDT:USDT", {"symbol": "NOSUCHUSDT"})


@pytest.mark.parametrize(
    ("venue", "symbol", "timeframe", "unit_size"),
    [
        ("BINANCE", "BTC/USDT:USDT", "15m", False),
        ("BYBIT", "BTC/USDT:USDT", "15m", False),
        ("OKX", "BTC/USDT:USDT", "5m", True),
        ("KUCOIN", "BTC/USDT:USDT", "15m", True),
    ],
)
def test_open_interest_history_through_ccxt(
    exchange: Make,
    world: VenueWorld,
    clock: FakeClock,
    venue: str,
    symbol: str,
    timeframe: str,
    unit_size: bool,
) -> None:
    ex = exchange(venue)
    market = ex.load_markets()[symbol]
    step = 300 if timeframe == "5m" else 900
    until = int(clock.now()) // step * step
    since = until - 31 * step
    rows = ex.fetch_open_interest_history(symbol, timeframe, since * 1000, 32, {"until": until * 1000})
    assert [r["timestamp"] // 1000 for r in rows] == list(range(since, until + 1, step))
    for r in rows:
        t = r["timestamp"] // 1000
        size = market["contractSize"] if unit_size else 1.0
        truth = world.oi_base(venue, market["id"], t)
        assert r["openInterestAmount"] * size == pytest.approx(truth, rel=REL)


@pytest.mark.parametrize(
    ("venue", "timeframe", "limit", "error"),
    [
        ("BINANCE", "15m", 501, ccxt.BadRequest),
        ("BYBIT", "15m", 201, ccxt.ExchangeError),
        ("OKX", "5m", 101, None),  # ccxt itself caps OKX statistics at 100 points
        ("KUCOIN", "15m", 201, ccxt.ExchangeError),
    ],
)
def test_history_point_limits_are_enforced(
    exchange: Make, fakes: RunningFakes, clock: FakeClock, venue: str, timeframe: str, limit: int, error: Any
) -> None:
    ex = exchange(venue)
    ex.load_markets()
    since = int(clock.now() - 24 * HOUR) * 1000
    if error is None:
        rows = ex.fetch_open_interest_history("BTC/USDT:USDT", timeframe, since, limit)
        assert len(rows) == 100 and int(fakes[venue].log[-1].params["limit"]) == 100
        return
    with pytest.raises(error):
        ex.fetch_open_interest_history("BTC/USDT:USDT", timeframe, since, limit)


def test_binance_history_goes_back_30_days_and_okx_about_three(exchange: Make, clock: FakeClock) -> None:
    now = int(clock.now())
    binance, okx = exchange("BINANCE"), exchange("OKX")
    old = (now - 31 * 86_400) * 1000
    assert binance.fetch_open_interest_history("BTC/USDT:USDT", "15m", old, 10) == []
    assert okx.fetch_open_interest_history("BTC/USDT:USDT", "5m", (now - 4 * 86_400) * 1000, 10) == []
    assert len(okx.fetch_open_interest_history("BTC/USDT:USDT", "5m", (now - 2 * 86_400) * 1000, 10)) == 10


@pytest.mark.parametrize(
    ("venue", "timeframe"), [("BINANCE", "5m"), ("BYBIT", "5min"), ("OKX", "5m"), ("BITGET", "5m")]
)
def test_long_short_ratio_through_ccxt(
    exchange: Make, world: VenueWorld, clock: FakeClock, venue: str, timeframe: str
) -> None:
    ex = exchange(venue)
    market = ex.load_markets()["BTC/USDT:USDT"]
    rows = ex.fetch_long_short_ratio_history("BTC/USDT:USDT", timeframe, None, 1)
    newest = max(rows, key=lambda r: r["timestamp"])
    t = newest["timestamp"] / 1000
    assert t == int(clock.now()) // 300 * 300
    assert newest["longShortRatio"] == pytest.approx(world.ls_ratio(venue, market["id"], t), rel=1e-9)


def test_scripted_faults_and_a_venue_down(exchange: Make, fakes: RunningFakes) -> None:
    ex = exchange("BYBIT")
    fake = fakes["BYBIT"]
    fake.fail(
        "/v5/market/tickers", 429, retry_after="3", body={"retCode": 10006, "retMsg": "Too many visits!"}
    )
    with pytest.raises(ccxt.RateLimitExceeded):
        ex.fetch_funding_rates()
    assert ex.last_response_headers["Retry-After"] == "3"
    fake.fail("/v5/market/tickers", 503, body="<html>503</html>")
    with pytest.raises(ccxt.ExchangeNotAvailable):
        ex.fetch_funding_rates()
    ex.fetch_funding_rates()  # the faults are used up
    fake.set_down()
    with pytest.raises(ccxt.NetworkError):
        ex.fetch_funding_rates()
    fake.set_down(status=502)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        ex.fetch_funding_rates()
    fake.set_down(False)
    assert ex.fetch_funding_rates()
