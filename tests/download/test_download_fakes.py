"""ccxt against loopback fakes of Bybit, OKX and Hyperliquid: requests, files, increments, faults."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from quantpro.clock import FakeClock
from quantpro.simulator.venues import FakeBybit, FakeHyperliquid, FakeKuCoin, FakeOKX, FakeVenue, Request
from quantpro.symbols import parse_local_symbol
from quantpro.venues.table import hyperliquid_candle_weight

from .conftest import expected_markets, run

M15, H4 = 900_000, 14_400_000
NOW_MS = 1_768_842_000_000
LAST_15M = NOW_MS - M15  # the 15m candle opening at NOW is forming
LAST_4H = 1_768_824_000_000  # 12:00 UTC; the 16:00 candle is forming


def _files(data_dir: Path, venue: str) -> dict[str, list[dict[str, float]]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(data_dir.glob(f"{venue}_*.json"))}


def _names(fake: FakeVenue) -> set[str]:
    return {
        f"{fake.name}_{m.expected_local}_{tf}.json" for m in expected_markets(fake) for tf in ("15m", "4h")
    }


def test_three_venues_write_every_file_in_the_contract(
    clock: FakeClock, data_dir: Path, bybit: FakeBybit, okx: FakeOKX, hyperliquid: FakeHyperliquid
) -> None:
    report = run(clock, data_dir, bybit, okx, hyperliquid)

    assert not any(v.failed or v.failures for v in report.venues)
    for fake in (bybit, okx, hyperliquid):
        files = _files(data_dir, fake.name)
        assert set(files) == _names(fake)
        for name, candles in files.items():
            assert len(candles) == 500
            assert list(candles[0]) == ["time", "open", "high", "low", "close", "volume"]
            times = [c["time"] for c in candles]
            assert times == sorted(set(times))
            assert times[-1] == (LAST_15M if name.endswith("_15m.json") else LAST_4H)  # forming never stored
            assert all(
                b - a == (M15 if name.endswith("_15m.json") else H4) for a, b in itertools.pairwise(times)
            )
    assert sum(v.files_written for v in report.venues) == 2 * 10
    assert sum(v.candles_added for v in report.venues) == 2 * 10 * 500


@pytest.mark.parametrize("fake_name", ["bybit", "okx", "hyperliquid", "kucoin"])
def test_every_written_name_normalises_to_the_right_coin(
    clock: FakeClock, data_dir: Path, fake_name: str, request: pytest.FixtureRequest
) -> None:
    fake: FakeVenue = request.getfixturevalue(fake_name)
    run(clock, data_dir, fake, symbols=None)
    coins = {m.expected_local: m.coin for m in expected_markets(fake)}
    written = {p.name.split("_")[1] for p in data_dir.glob("*_*.json")}
    assert written == set(coins)
    for symbol in written:
        parsed = parse_local_symbol(symbol)
        assert parsed.coin == coins[symbol]
        assert parsed.quote in {"USDT", "USDC"}


def test_bybit_requests_markets_then_one_kline_per_file(
    clock: FakeClock, data_dir: Path, bybit: FakeBybit
) -> None:
    run(clock, data_dir, bybit)
    paths = [r.path for r in bybit.log]
    assert paths[:2] == ["/v5/market/instruments-info"] * 2  # normal and pre-launch lists
    assert {r.params["category"] for r in bybit.log} == {"linear"}
    assert "/v5/market/tickers" not in paths  # no --top: no tickers call
    klines = bybit.ohlcv_requests()
    assert len(klines) == 8 and len(bybit.log) == 10
    for r in klines:
        assert int(r.params["limit"]) == 500
        tf = M15 if r.params["interval"] == "15" else H4
        assert int(r.params["start"]) + 500 * tf - 1 == int(r.params["end"])


def test_okx_pages_within_its_candle_limit(clock: FakeClock, data_dir: Path, okx: FakeOKX) -> None:
    run(clock, data_dir, okx)
    assert okx.log[0].path == "/api/v5/public/instruments" and okx.log[0].params == {"instType": "SWAP"}
    pages = okx.ohlcv_requests()
    assert [int(r.params["limit"]) for r in pages] == [
        300,
        200,
    ] * 6  # 500 candles = 300 + 200, 3 markets × 2 tf
    for first, second in zip(pages[::2], pages[1::2], strict=True):
        assert second.params["before"] == first.params["after"]  # contiguous: the next page opens right after


def test_kucoin_pages_by_200_and_keeps_its_contract_names(
    clock: FakeClock, data_dir: Path, kucoin: FakeKuCoin
) -> None:
    run(clock, data_dir, kucoin)
    assert [r.path for r in kucoin.log[:1]] == ["/api/v1/contracts/active"]
    pages = kucoin.ohlcv_requests()
    assert len(pages) == 2 * 2 * 3  # 500 candles at ≤ 200 per request: 3 per file
    for r in pages:
        tf = M15 if r.params["granularity"] == "15" else H4
        assert (int(r.params["to"]) - int(r.params["from"])) // tf <= 200
    assert {p.name for p in data_dir.glob("*_*.json")} == _names(kucoin)
    assert all(len(json.loads(p.read_text())) == 500 for p in data_dir.glob("*_*.json"))


def test_hyperliquid_always_bounds_its_candle_calls_and_is_paced(
    clock: FakeClock, data_dir: Path, hyperliquid: FakeHyperliquid
) -> None:
    run(clock, data_dir, hyperliquid)
    assert hyperliquid.log[0].params == {"type": "metaAndAssetCtxs"}
    snaps = hyperliquid.ohlcv_requests()
    assert len(snaps) == 6
    for r in snaps:
        req = r.params["req"]
        tf = M15 if req["interval"] == "15m" else H4
        assert req["endTime"] - req["startTime"] == 500 * tf - 1  # never an open-ended snapshot
    # our own budget (800 weight/min): each snapshot of 500 candles weighs 29, so ≥ 2.175 s apart
    times = [r.at for r in hyperliquid.log]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] == pytest.approx(20 * 60 / 800)
    assert all(g == pytest.approx(hyperliquid_candle_weight(500) * 60 / 800) for g in gaps[1:])


def test_second_run_asks_only_for_the_missing_candles(
    clock: FakeClock, data_dir: Path, bybit: FakeBybit, okx: FakeOKX, hyperliquid: FakeHyperliquid
) -> None:
    run(clock, data_dir, bybit, okx, hyperliquid)
    first = {f: len(f.ohlcv_requests()) for f in (bybit, okx, hyperliquid)}
    clock.set(NOW_MS / 1000 + 3600 + 60)  # an hour later: four new closed 15m candles, no new 4h one

    report = run(clock, data_dir, bybit, okx, hyperliquid)

    new_last = LAST_15M + 4 * M15
    for fake in (bybit, okx, hyperliquid):
        asked = fake.ohlcv_requests()[first[fake] :]
        assert len(asked) == len(expected_markets(fake))  # one request per 15m file, none for 4h
        for r in asked:
            since, limit = _window(fake, r)
            assert (since, limit) == (LAST_15M + M15, 4)
        for name, candles in _files(data_dir, fake.name).items():
            assert len(candles) == 500
            assert candles[-1]["time"] == (new_last if name.endswith("_15m.json") else LAST_4H)
    assert sum(v.candles_added for v in report.venues) == 10 * 4
    assert sum(v.files_written for v in report.venues) == 10

    before = {f: len(f.ohlcv_requests()) for f in (bybit, okx, hyperliquid)}
    run(clock, data_dir, bybit, okx, hyperliquid)  # nothing new: no candle request at all
    assert {f: len(f.ohlcv_requests()) for f in (bybit, okx, hyperliquid)} == before


def _window(fake: FakeVenue, r: Request) -> tuple[int, int]:
    """(first open time asked, candles asked) of a candle request, whatever the venue's dialect."""
    if isinstance(fake, FakeBybit):
        return int(r.params["start"]), int(r.params["limit"])
    if isinstance(fake, FakeOKX):
        return int(r.params["before"]) + 1, int(r.params["limit"])
    req = r.params["req"]
    return req["startTime"], (req["endTime"] - req["startTime"] + 1) // M15


def test_top_n_makes_one_tickers_call_and_keeps_the_largest(
    clock: FakeClock, data_dir: Path, bybit: FakeBybit, okx: FakeOKX, hyperliquid: FakeHyperliquid
) -> None:
    run(clock, data_dir, bybit, okx, hyperliquid, top=2)
    assert [r.path for r in bybit.log].count("/v5/market/tickers") == 1
    assert [r.path for r in okx.log].count("/api/v5/market/tickers") == 1
    assert [r.params.get("type") for r in hyperliquid.log].count("metaAndAssetCtxs") == 2  # markets + tickers
    symbols = {p.name.rsplit("_", 1)[0] for p in data_dir.glob("*_*.json")}
    assert symbols == {
        "BYBIT_BTCUSDT",
        "BYBIT_1000PEPEUSDT",
        "OKX_BTCUSDT",
        "OKX_PEPEUSDT",  # OKX volume from contracts × contract size × price
        "HYPERLIQUID_BTCUSDT",
        "HYPERLIQUID_HYPEUSDT",
    }


def test_symbols_option_selects_by_coin(clock: FakeClock, data_dir: Path, bybit: FakeBybit) -> None:
    report = run(clock, data_dir, bybit, symbols=["BTCUSDT", "PEPEUSDT", "DOGEUSDT"])
    assert {p.name for p in data_dir.glob("*_*.json")} == {
        f"BYBIT_{s}_{tf}.json" for s in ("BTCUSDT", "1000PEPEUSDT") for tf in ("15m", "4h")
    }
    assert report.venues[0].unmatched == ["DOGEUSDT"]


def test_recovers_from_a_429_and_a_5xx(clock: FakeClock, data_dir: Path, bybit: FakeBybit) -> None:
    bybit.fail(
        lambda r: r.path == "/v5/market/kline",
        429,
        retry_after="1.5",
        body={"retCode": 10006, "retMsg": "Too many visits!"},
    )
    bybit.fail(
        lambda r: r.path == "/v5/market/kline" and r.params.get("interval") == "240",
        503,
        body="<html>503 Service Unavailable</html>",
    )
    report = run(clock, data_dir, bybit)

    venue = report.venues[0]
    assert not venue.failures and venue.retries == 2 and venue.files_written == 8
    klines = bybit.ohlcv_requests()
    assert len(klines) == 8 + 2
    assert klines[0].params == klines[1].params  # the 429'd request, repeated
    assert klines[1].at - klines[0].at >= 1.5  # Retry-After honoured on the clock
    assert 1.5 in clock.sleeps and 1.0 in clock.sleeps  # 429: Retry-After; 5xx: first backoff


def test_retries_are_bounded_and_a_failing_venue_does_not_stop_the_others(
    clock: FakeClock, data_dir: Path, bybit: FakeBybit, okx: FakeOKX
) -> None:
    okx.fail(lambda r: True, 502, times=100)
    bybit.fail(lambda r: r.params.get("symbol") == "SOLUSDT", 500, times=100)
    report = run(clock, data_dir, bybit, okx)

    by_venue = {v.venue.value: v for v in report.venues}
    assert by_venue["OKX"].failed and "502" in (by_venue["OKX"].error or "")
    assert len(okx.log) == 4  # four attempts, then the venue gives up
    assert not by_venue["BYBIT"].failed and len(by_venue["BYBIT"].failures) == 2  # SOLUSDT 15m and 4h
    assert len(list(data_dir.glob("BYBIT_*.json"))) == 6
    assert not report.all_failed
