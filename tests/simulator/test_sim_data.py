"""The data endpoints' shapes and semantics (docs/coinalyze_api.md §3, §6, §8, §9)."""

from __future__ import annotations

import math
import statistics

import httpx
import pytest

from quantpro.clock import FakeClock
from quantpro.simulator import INTERVALS, RunningSimulator, SimulatorConfig, build_catalogue, start_simulator

from .conftest import KEY

BTC = "BTCUSDT_PERP.A"


def _history(
    client: httpx.Client, path: str, symbols: str, interval: str, start: float, end: float, **extra: str
) -> httpx.Response:
    params = {"symbols": symbols, "interval": interval, "from": str(int(start)), "to": str(int(end)), **extra}
    return client.get(path, params=params)


def test_unknown_symbols_dropped_known_kept_in_order(http: httpx.Client, clock: FakeClock) -> None:
    now = clock.now()
    r = _history(http, "open-interest-history", f"BTCUSDT.H,{BTC},FOO_PERP.A,BTC.H", "1hour", now - 7200, now)
    assert r.status_code == 200
    assert [item["symbol"] for item in r.json()] == [BTC, "BTC.H"]


def test_all_unknown_is_empty_array(http: httpx.Client) -> None:
    r = http.get("funding-rate", params={"symbols": "BINANCE:BTCUSDT,BTCUSDT,BTC-PERP"})
    assert (r.status_code, r.json()) == (200, [])


@pytest.mark.parametrize("interval", list(INTERVALS))
def test_history_is_ascending_bucket_aligned_and_inclusive(
    http: httpx.Client, clock: FakeClock, interval: str
) -> None:
    clock.advance(437.0)  # not on a bucket boundary
    now, step = clock.now(), INTERVALS[interval]
    start, end = now - 10 * step, now
    r = _history(http, "open-interest-history", BTC, interval, start, end)
    (item,) = r.json()
    ts = [point["t"] for point in item["history"]]
    assert ts == sorted(ts) and len(set(ts)) == len(ts)
    assert all(t % step == 0 for t in ts)
    assert all(int(start) <= t <= end for t in ts)
    assert ts[-1] == math.floor(now / step) * step  # the newest, partial bucket is there
    assert ts[0] == math.ceil(int(start) / step) * step
    assert set(item["history"][0]) == {"t", "o", "h", "l", "c"}
    for p in item["history"]:
        assert p["l"] <= min(p["o"], p["c"]) <= max(p["o"], p["c"]) <= p["h"]


def test_intraday_history_keeps_the_newest_2000_points(http: httpx.Client, clock: FakeClock) -> None:
    now = clock.now()
    (item,) = _history(http, "open-interest-history", BTC, "1min", now - 5 * 86400, now).json()
    ts = [p["t"] for p in item["history"]]
    assert len(ts) == 2000 and ts[-1] == math.floor(now / 60) * 60
    (daily,) = _history(http, "open-interest-history", BTC, "daily", now - 3000 * 86400, now).json()
    assert len(daily["history"]) > 2000


def test_newest_bucket_is_partial_and_closed_buckets_are_deterministic(
    http: httpx.Client, clock: FakeClock
) -> None:
    start = clock.now() - 6 * 3600
    first = _history(http, "open-interest-history", "ETHUSDT.6", "15min", start, clock.now()).json()[0][
        "history"
    ]
    clock.advance(300)
    second = _history(http, "open-interest-history", "ETHUSDT.6", "15min", start, clock.now()).json()[0][
        "history"
    ]
    assert first[:-1] == second[: len(first) - 1]  # closed buckets: same values at a later time
    assert first[-1]["t"] == second[-1]["t"]  # the same partial bucket...
    assert first[-1] != second[-1]  # ...revised as time goes on


def test_current_oi_is_the_partial_bucket_close(http: httpx.Client, clock: FakeClock) -> None:
    clock.advance(123)
    now = clock.now()
    current = http.get("open-interest", params={"symbols": BTC}).json()[0]
    (item,) = _history(http, "open-interest-history", BTC, "5min", now - 600, now).json()
    assert current["value"] == item["history"][-1]["c"]
    assert now * 1000 - 5000 <= current["update"] <= now * 1000


def test_funding_is_percent_and_update_is_ms(http: httpx.Client, clock: FakeClock) -> None:
    for path in ("funding-rate", "predicted-funding-rate"):
        items = http.get(path, params={"symbols": f"{BTC},BTC.H,1000PEPEUSDT_PERP.A"}).json()
        assert [set(i) for i in items] == [{"symbol", "value", "update"}] * 3
        for item in items:
            assert abs(item["value"]) < 0.1  # percent: 0.01 means 0.01 %
            assert isinstance(item["update"], int) and item["update"] > 1e12
            assert item["update"] <= clock.now() * 1000


def test_convert_to_usd_multiplies_native_by_price(http: httpx.Client, clock: FakeClock) -> None:
    now = clock.now()
    native = http.get("open-interest", params={"symbols": f"{BTC},BTCUSD_PERP.A"}).json()
    usd = http.get(
        "open-interest", params={"symbols": f"{BTC},BTCUSD_PERP.A", "convert_to_usd": "true"}
    ).json()
    assert usd[0]["value"] / native[0]["value"] == pytest.approx(95_000, rel=0.3)  # BTC in USD
    assert usd[1]["value"] == native[1]["value"]  # QUOTE_ASSET (coin-margined): already USD
    price = _history(http, "ohlcv-history", BTC, "1min", now - 60, now).json()[0]["history"][-1]["c"]
    assert usd[0]["value"] == pytest.approx(native[0]["value"] * price, rel=1e-6)


def test_long_short_shape_and_sums(http: httpx.Client, clock: FakeClock) -> None:
    now = clock.now()
    (item,) = _history(http, "long-short-ratio-history", BTC, "5min", now - 3600, now).json()
    assert len(item["history"]) == 13
    for p in item["history"]:
        assert set(p) == {"t", "r", "l", "s"}
        assert p["l"] + p["s"] == pytest.approx(100)
        assert p["r"] == pytest.approx(p["l"] / p["s"], abs=1e-4)


def test_long_short_is_empty_at_1min_and_where_the_market_has_none(
    http: httpx.Client, clock: FakeClock
) -> None:
    now = clock.now()
    r = _history(http, "long-short-ratio-history", BTC, "1min", now - 3600, now)
    assert r.json() == [{"symbol": BTC, "history": []}]
    r = _history(http, "long-short-ratio-history", "BTC.H", "5min", now - 3600, now)
    assert r.json() == [{"symbol": "BTC.H", "history": []}]
    row = next(m for m in build_catalogue().future_markets if m["symbol"] == "BTC.H")
    assert row["has_long_short_ratio_data"] is False


def test_liquidations_are_sparse_and_convert(http: httpx.Client, clock: FakeClock) -> None:
    now = clock.now()
    (native,) = _history(http, "liquidation-history", BTC, "1min", now - 3 * 3600, now).json()
    ts = [p["t"] for p in native["history"]]
    assert 0 < len(ts) < 181  # some 1-minute buckets are missing
    assert set(native["history"][0]) == {"t", "l", "s"}
    (usd,) = _history(
        http, "liquidation-history", BTC, "1min", now - 3 * 3600, now, convert_to_usd="true"
    ).json()
    assert [p["t"] for p in usd["history"]] == ts
    assert usd["history"][0]["l"] > native["history"][0]["l"] * 1000


def test_ohlcv_shape_for_future_and_spot(http: httpx.Client, clock: FakeClock) -> None:
    now = clock.now()
    items = _history(http, "ohlcv-history", f"{BTC},BTCUSD.A", "1hour", now - 86400, now).json()
    assert [i["symbol"] for i in items] == [BTC, "BTCUSD.A"]
    for item in items:
        for p in item["history"]:
            assert set(p) == {"t", "o", "h", "l", "c", "v", "bv", "tx", "btx"}
            assert p["bv"] <= p["v"] and p["btx"] <= p["tx"]


def test_milliseconds_from_to_answer_empty_array(http: httpx.Client, clock: FakeClock) -> None:
    now_ms = clock.now() * 1000
    r = _history(http, "open-interest-history", BTC, "15min", now_ms - 3_600_000, now_ms)
    assert (r.status_code, r.json()) == (200, [])


def test_bad_interval_is_400_listing_the_values(http: httpx.Client, clock: FakeClock) -> None:
    now = clock.now()
    r = _history(http, "funding-rate-history", BTC, "weekly", now - 3600, now)
    assert r.status_code == 400
    message = r.json()["message"]
    assert all(interval in message for interval in INTERVALS)


@pytest.mark.parametrize("missing", ["symbols", "interval", "from", "to"])
def test_missing_required_parameter_is_400(http: httpx.Client, clock: FakeClock, missing: str) -> None:
    now = int(clock.now())
    params = {"symbols": BTC, "interval": "5min", "from": str(now - 600), "to": str(now)}
    del params[missing]
    r = http.get("open-interest-history", params=params)
    assert r.status_code == 400 and "message" in r.json()


def test_surge_fraction_of_coins_with_rising_open_interest(clock: FakeClock) -> None:
    """At any moment, 5–15 % of coins show z > 1.5 over the last 30 closed 15-minute OI buckets."""
    catalogue = build_catalogue()
    one_per_coin: dict[str, str] = {}
    for symbol, spec in catalogue.markets.items():
        if spec.kind == "future":
            one_per_coin.setdefault(spec.coin, symbol)
    symbols = list(one_per_coin.values())
    with start_simulator(SimulatorConfig(calls=10**6), clock=clock) as sim:
        for when in (1_768_842_000.0 + 431.0, 1_769_500_000.0):
            clock.set(when)
            fraction = _surging_fraction(sim, symbols, when)
            assert 0.05 <= fraction <= 0.15, (when, fraction)


def _surging_fraction(sim: RunningSimulator, symbols: list[str], now: float) -> float:
    hits = 0
    with httpx.Client(base_url=sim.base_url + "/", headers={"api_key": KEY}) as client:
        for i in range(0, len(symbols), 20):
            batch = ",".join(symbols[i : i + 20])
            for item in _history(client, "open-interest-history", batch, "15min", now - 32 * 900, now).json():
                closes = [p["c"] for p in item["history"] if p["t"] + 900 <= now][-30:]
                assert len(closes) == 30
                std = statistics.pstdev(closes)
                hits += std > 0 and (closes[-1] - statistics.fmean(closes)) / std > 1.5
    return hits / len(symbols)
