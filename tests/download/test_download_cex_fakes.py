"""ccxt against loopback fakes of Binance, Bitget and MEXC: requests, files, paging, increments, faults."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from quantpro.clock import FakeClock
from quantpro.simulator.venues import FakeBinance, FakeBitget, FakeMEXC, FakeVenue, Request
from quantpro.symbols import parse_local_symbol

from .conftest import expected_markets, run

M15, H4 = 900_000, 14_400_000
NOW_MS = 1_768_842_000_000
LAST_15M = NOW_MS - M15  # the 15m candle opening at NOW is forming
LAST_4H = 1_768_824_000_000  # 12:00 UTC; the 16:00 candle is forming
VENUES = ["binance", "bitget", "mexc"]


def _files(data_dir: Path, venue: str) -> dict[str, list[dict[str, float]]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(data_dir.glob(f"{venue}_*.json"))}


def _names(fake: FakeVenue) -> set[str]:
    return {
        f"{fake.name}_{m.expected_local}_{tf}.json" for m in expected_markets(fake) for tf in ("15m", "4h")
    }


def _tf(name: str) -> int:
    return M15 if name.endswith("_15m.json") else H4


def _span(fake: FakeVenue, r: Request) -> tuple[int, int]:
    """(first, last) open time a candle request covers, whatever the venue's dialect."""
    p = r.params
    if isinstance(fake, FakeBinance):
        tf = M15 if p["interval"] == "15m" else H4
        return int(p["startTime"]), int(p["endTime"]) - tf + 1
    if isinstance(fake, FakeBitget):
        tf = M15 if p["granularity"] == "15m" else H4
        return int(p["startTime"]), int(p["endTime"]) - tf + 1
    tf = M15 if p["interval"] == "Min15" else H4
    return int(p["start"]) * 1000, (int(p["end"]) * 1000) // tf * tf  # MEXC: seconds


def _candle_tf(fake: FakeVenue, r: Request) -> int:
    interval = r.params.get("interval") or r.params.get("granularity")
    return M15 if interval in {"15m", "Min15"} else H4


def _symbol(fake: FakeVenue, r: Request) -> str:
    if isinstance(fake, FakeMEXC):
        return r.path.rsplit("/", 1)[-1]
    return str(r.params["symbol"])


@pytest.mark.parametrize("fake_name", VENUES)
def test_writes_500_closed_evenly_spaced_candles_under_names_that_parse(
    clock: FakeClock, data_dir: Path, fake_name: str, request: pytest.FixtureRequest
) -> None:
    fake: FakeVenue = request.getfixturevalue(fake_name)
    report = run(clock, data_dir, fake)

    venue = report.venues[0]
    assert not venue.failed and not venue.failures
    files = _files(data_dir, fake.name)
    assert set(files) == _names(fake)
    for name, candles in files.items():
        assert len(candles) == 500
        assert list(candles[0]) == ["time", "open", "high", "low", "close", "volume"]
        times = [c["time"] for c in candles]
        assert all(b - a == _tf(name) for a, b in itertools.pairwise(times))
        assert times[-1] == (LAST_15M if name.endswith("_15m.json") else LAST_4H)  # forming never stored
    coins = {m.expected_local: m.coin for m in expected_markets(fake)}
    for symbol in {name.split("_")[1] for name in files}:
        parsed = parse_local_symbol(symbol)
        assert parsed.coin == coins[symbol]
        assert parsed.quote in {"USDT", "USDC"}
    assert venue.files_written == len(files) and venue.candles_added == 500 * len(files)


def test_binance_requests_exchange_info_then_one_bounded_kline_per_file(
    clock: FakeClock, data_dir: Path, binance: FakeBinance
) -> None:
    run(clock, data_dir, binance)
    assert [r.path for r in binance.log[:1]] == ["/fapi/v1/exchangeInfo"]
    assert "/fapi/v1/ticker/24hr" not in [r.path for r in binance.log]  # no --top: no tickers call
    klines = binance.ohlcv_requests()
    assert len(klines) == 6 and len(binance.log) == 7
    for r in klines:
        tf = _candle_tf(binance, r)
        assert int(r.params["limit"]) == 500
        assert int(r.params["startTime"]) + 500 * tf - 1 == int(r.params["endTime"])
    # our budget (1,200 weight/min): exchangeInfo weighs 1, a kline of 500 weighs 5
    gaps = [b.at - a.at for a, b in itertools.pairwise(binance.log)]
    assert gaps[0] == pytest.approx(1 * 60 / 1200)
    assert all(g == pytest.approx(5 * 60 / 1200) for g in gaps[1:])


def test_bitget_loads_its_six_product_lists_and_bounds_every_candle_call(
    clock: FakeClock, data_dir: Path, bitget: FakeBitget
) -> None:
    run(clock, data_dir, bitget)
    lists = [r.params["productType"] for r in bitget.log if r.path == "/api/v2/mix/market/contracts"]
    assert lists == [
        "USDT-FUTURES",
        "COIN-FUTURES",
        "USDC-FUTURES",
        "SUSDT-FUTURES",
        "SCOIN-FUTURES",
        "SUSDC-FUTURES",
    ]
    candles = bitget.ohlcv_requests()
    assert len(candles) == 6 and len(bitget.log) == 12
    for r in candles:
        assert r.path == "/api/v2/mix/market/candles"  # recent candles: not the 200-per-call history
        tf = _candle_tf(bitget, r)
        assert int(r.params["limit"]) == 500
        # Bitget serves the last ``limit`` candles before endTime: the end must be the page's own
        assert int(r.params["startTime"]) + 500 * tf - 1 == int(r.params["endTime"])
    assert {r.params["productType"] for r in candles} == {"USDT-FUTURES", "USDC-FUTURES"}
    assert candles[0].at - bitget.log[0].at == pytest.approx(6 / 8)  # six lists: six of our 8 per second
    candle_gaps = [b.at - a.at for a, b in itertools.pairwise(candles)]
    assert all(g == pytest.approx(1 / 8) for g in candle_gaps)


def test_mexc_loads_both_lists_and_bounds_every_kline_in_seconds(
    clock: FakeClock, data_dir: Path, mexc: FakeMEXC
) -> None:
    run(clock, data_dir, mexc)
    assert [r.path for r in mexc.log[:2]] == ["/api/v3/exchangeInfo", "/api/v1/contract/detail"]
    klines = mexc.ohlcv_requests()
    assert len(klines) == 8 and len(mexc.log) == 10
    for r in klines:
        assert "limit" not in r.params  # MEXC's contract klines take a window, not a count
        first, last = _span(mexc, r)
        assert (last - first) // _candle_tf(mexc, r) + 1 == 500
    gaps = [b.at - a.at for a, b in itertools.pairwise([mexc.log[1], *klines])]
    assert gaps[0] == pytest.approx(2 / 5)  # the two lists cost two of our 5 per second
    assert all(g == pytest.approx(1 / 5) for g in gaps[1:])


@pytest.mark.parametrize(
    ("fake_name", "candles", "per_request"),
    [
        ("binance", 1500, {"15m": 1000, "4h": 1000}),
        # Bitget: no window wider than 90 days (4h: 540); 1,400 4h candles stay on the recent endpoint
        ("bitget", 1400, {"15m": 1000, "4h": 540}),
        ("mexc", 1500, {"15m": 1000, "4h": 1000}),
    ],
)
def test_pages_are_contiguous_within_the_venue_limit(
    clock: FakeClock,
    data_dir: Path,
    fake_name: str,
    candles: int,
    per_request: dict[str, int],
    request: pytest.FixtureRequest,
) -> None:
    fake: FakeVenue = request.getfixturevalue(fake_name)
    report = run(clock, data_dir, fake, candles=candles, symbols=["BTCUSDT"])

    assert not report.venues[0].failures
    by_file: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for r in fake.ohlcv_requests():
        by_file.setdefault((_symbol(fake, r), _candle_tf(fake, r)), []).append(_span(fake, r))
    for (_, tf), spans in by_file.items():
        limit = per_request["15m" if tf == M15 else "4h"]
        assert all((last - first) // tf + 1 <= limit for first, last in spans)
        covered = sorted(spans)
        assert covered[0][0] == (LAST_15M if tf == M15 else LAST_4H) - (candles - 1) * tf
        assert covered[-1][1] == (LAST_15M if tf == M15 else LAST_4H)
        assert all(b[0] == a[1] + tf for a, b in itertools.pairwise(covered))  # no gap, no overlap
        assert len(spans) > 1
    for name, rows in _files(data_dir, fake.name).items():
        times = [c["time"] for c in rows]
        assert len(times) == candles and all(b - a == _tf(name) for a, b in itertools.pairwise(times))


def test_bitget_history_endpoint_pages_back_to_the_window_start(
    clock: FakeClock, data_dir: Path, bitget: FakeBitget
) -> None:
    """Older than ~30 days (15m), ccxt switches to history-candles: 200 per call, from the end."""
    run(clock, data_dir, bitget, candles=3000, symbols=["BTCUSDT"], timeframes=("15m",))
    pages = bitget.ohlcv_requests()
    assert {r.path for r in pages} == {"/api/v2/mix/market/candles", "/api/v2/mix/market/history-candles"}
    assert all(int(r.params["limit"]) <= 200 for r in pages if r.path.endswith("/history-candles"))
    times = [c["time"] for c in json.loads((data_dir / "BITGET_BTCUSDT_15m.json").read_text())]
    assert len(times) == 3000 and times[-1] == LAST_15M
    assert all(b - a == M15 for a, b in itertools.pairwise(times))


@pytest.mark.parametrize("fake_name", VENUES)
def test_second_run_asks_only_for_the_missing_candles(
    clock: FakeClock, data_dir: Path, fake_name: str, request: pytest.FixtureRequest
) -> None:
    fake: FakeVenue = request.getfixturevalue(fake_name)
    run(clock, data_dir, fake)
    first = len(fake.ohlcv_requests())
    clock.set(NOW_MS / 1000 + 3600 + 60)  # an hour later: four new closed 15m candles, no new 4h one

    report = run(clock, data_dir, fake)

    asked = fake.ohlcv_requests()[first:]
    assert len(asked) == len(expected_markets(fake))  # one request per 15m file, none for 4h
    for r in asked:
        assert _candle_tf(fake, r) == M15
        assert _span(fake, r) == (LAST_15M + M15, LAST_15M + 4 * M15)
    for name, candles in _files(data_dir, fake.name).items():
        assert len(candles) == 500
        assert candles[-1]["time"] == (LAST_15M + 4 * M15 if name.endswith("_15m.json") else LAST_4H)
    assert report.venues[0].candles_added == 4 * len(expected_markets(fake))

    before = len(fake.ohlcv_requests())
    run(clock, data_dir, fake)  # nothing new: no candle request at all
    assert len(fake.ohlcv_requests()) == before


def test_top_n_ranks_by_quote_volume_from_bulk_tickers(
    clock: FakeClock, data_dir: Path, binance: FakeBinance, bitget: FakeBitget, mexc: FakeMEXC
) -> None:
    run(clock, data_dir, binance, bitget, mexc, top=2)
    assert [r.path for r in binance.log].count("/fapi/v1/ticker/24hr") == 1
    assert [r.path for r in mexc.log].count("/api/v1/contract/ticker") == 1
    # Bitget's bulk tickers come per product type: one call for USDT-, one for USDC-margined
    bitget_tickers = [r.params for r in bitget.log if r.path == "/api/v2/mix/market/tickers"]
    assert bitget_tickers == [{"productType": "USDT-FUTURES"}, {"productType": "USDC-FUTURES"}]
    symbols = {p.name.rsplit("_", 1)[0] for p in data_dir.glob("*_*.json")}
    assert symbols == {
        "BINANCE_BTCUSDT",
        "BINANCE_BTCUSDC",  # the quarterly and the settling market are larger, but not downloaded
        "BITGET_BTCUSDT",
        "BITGET_ETHUSDC",  # a USDC perpetual, ranked only because its tickers were asked for
        "MEXC_BTCUSDT",
        "MEXC_PEPEUSDT",  # amount24 (quote volume), not volume24 (contracts)
    }


def _fail_candles(fake: FakeVenue) -> None:
    fake.fail(fake.is_ohlcv, 429, retry_after="1.5", body={"code": 429, "msg": "Too many requests"})
    fake.fail(
        lambda r: fake.is_ohlcv(r) and _candle_tf(fake, r) == H4,
        503,
        body="<html>503 Service Unavailable</html>",
    )


@pytest.mark.parametrize("fake_name", VENUES)
def test_recovers_from_a_429_and_a_5xx(
    clock: FakeClock, data_dir: Path, fake_name: str, request: pytest.FixtureRequest
) -> None:
    fake: FakeVenue = request.getfixturevalue(fake_name)
    _fail_candles(fake)
    report = run(clock, data_dir, fake)

    venue = report.venues[0]
    files = len(_names(fake))
    assert not venue.failures and venue.retries == 2 and venue.files_written == files
    asked = fake.ohlcv_requests()
    assert len(asked) == files + 2
    assert asked[0].params == asked[1].params and asked[0].path == asked[1].path  # the 429'd one, again
    assert asked[1].at - asked[0].at >= 1.5  # Retry-After honoured on the clock
    assert 1.5 in clock.sleeps and 1.0 in clock.sleeps  # 429: Retry-After; 5xx: first backoff
    assert all(len(c) == 500 for c in _files(data_dir, fake.name).values())
