"""The downloader's pure pieces: venue table, naming, URL rebasing, retry math, pacing, windows, files."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ccxt
import pytest

from quantpro.clock import FakeClock
from quantpro.download.fetch import (
    MarketRef,
    is_stable_perpetual,
    last_closed_open,
    plan_since,
    quote_volume,
    select_symbols,
    top_by_volume,
)
from quantpro.errors import ConfigError, RateLimitError, RequestRejectedError, TemporaryError
from quantpro.net.pacing import Budget, Pacer
from quantpro.store.atomic import set_crash_hook
from quantpro.store.candles import Candle, merge_candles, read_candles, write_candles
from quantpro.symbols import parse_local_symbol
from quantpro.venues import VENUES, Venue, build_exchange, exchange_url_overrides, parse_venues
from quantpro.venues.client import parse_retry_after, rebase_url, retry_delay, translate_error
from quantpro.venues.table import hyperliquid_candle_weight, local_symbol

M15, H4 = 900_000, 14_400_000


# --- venue table and names --------------------------------------------------------------------------
def test_parse_venues_accepts_any_case_and_rejects_unknown_names() -> None:
    assert parse_venues("bybit, OKX,bybit") == [Venue.BYBIT, Venue.OKX]
    with pytest.raises(ConfigError, match="valid exchanges are BINANCE"):
        parse_venues("BYBIT,KRAKEN")


def test_every_venue_maps_to_the_ccxt_class_the_issue_names() -> None:
    assert {v: s.ccxt_id for v, s in VENUES.items()} == {
        Venue.BINANCE: "binanceusdm",
        Venue.BYBIT: "bybit",
        Venue.OKX: "okx",
        Venue.BITGET: "bitget",
        Venue.MEXC: "mexc",
        Venue.KUCOIN: "kucoinfutures",
        Venue.HYPERLIQUID: "hyperliquid",
    }
    assert VENUES[Venue.KUCOIN].candle_limit <= 200
    assert VENUES[Venue.OKX].candle_limit <= 300


# ccxt market structures as each venue's ccxt class builds them (the fields naming reads).
NAMING_CASES: list[tuple[Venue, dict[str, Any], str, str]] = [
    (
        Venue.BINANCE,
        {"id": "1000PEPEUSDT", "baseId": "1000PEPE", "base": "1000PEPE", "settle": "USDT"},
        "1000PEPEUSDT",
        "PEPE",
    ),
    (Venue.BINANCE, {"id": "BTCUSDC", "baseId": "BTC", "base": "BTC", "settle": "USDC"}, "BTCUSDC", "BTC"),
    (
        Venue.BYBIT,
        {"id": "1000000MOGUSDT", "baseId": "1000000MOG", "base": "1000000MOG", "settle": "USDT"},
        "1000000MOGUSDT",
        "MOG",
    ),
    (Venue.BYBIT, {"id": "ETHPERP", "baseId": "ETH", "base": "ETH", "settle": "USDC"}, "ETHUSDC", "ETH"),
    (Venue.OKX, {"id": "BTC-USDT-SWAP", "baseId": "BTC", "base": "BTC", "settle": "USDT"}, "BTCUSDT", "BTC"),
    (
        Venue.BITGET,
        {"id": "1MBABYDOGEUSDT", "baseId": "1MBABYDOGE", "base": "1MBABYDOGE", "settle": "USDT"},
        "1MBABYDOGEUSDT",
        "BABYDOGE",
    ),
    (Venue.MEXC, {"id": "BTC_USDT", "baseId": "BTC", "base": "BTC", "settle": "USDT"}, "BTCUSDT", "BTC"),
    (Venue.MEXC, {"id": "0G_USDT", "baseId": "0G", "base": "0G", "settle": "USDT"}, "0GUSDT", "0G"),
    (Venue.KUCOIN, {"id": "XBTUSDTM", "baseId": "XBT", "base": "BTC", "settle": "USDT"}, "XBTUSDTM", "BTC"),
    (
        Venue.KUCOIN,
        {"id": "1000PEPEUSDTM", "baseId": "1000PEPE", "base": "1000PEPE", "settle": "USDT"},
        "1000PEPEUSDTM",
        "PEPE",
    ),
    (
        Venue.HYPERLIQUID,
        {"id": "7", "baseId": "7", "baseName": "kPEPE", "base": "KPEPE", "settle": "USDC"},
        "kPEPEUSDT",
        "PEPE",
    ),
    (
        Venue.HYPERLIQUID,
        {"id": "0", "baseId": "0", "baseName": "BTC", "base": "BTC", "settle": "USDC"},
        "BTCUSDT",
        "BTC",
    ),
]


@pytest.mark.parametrize(("venue", "market", "name", "coin"), NAMING_CASES)
def test_local_names_normalise_to_the_right_coin(
    venue: Venue, market: dict[str, Any], name: str, coin: str
) -> None:
    written = local_symbol(VENUES[venue], market)
    assert written == name
    parsed = parse_local_symbol(written)
    assert parsed.coin == coin
    assert parsed.quote in {"USDT", "USDC"}


def test_only_active_linear_stable_perpetuals_are_downloaded() -> None:
    perp = {"swap": True, "linear": True, "active": True, "settle": "USDT", "expiry": None}
    assert is_stable_perpetual(perp)
    assert is_stable_perpetual({**perp, "active": None})
    assert not is_stable_perpetual({**perp, "active": False})
    assert not is_stable_perpetual({**perp, "settle": "BTC", "linear": False})
    assert not is_stable_perpetual({**perp, "swap": False, "expiry": 1774598400000})


# --- URL overrides ---------------------------------------------------------------------------------
def test_exchange_url_overrides_reads_only_its_variables() -> None:
    env = {
        "QUANTPRO_EXCHANGE_URL_BYBIT": "http://127.0.0.1:9001/",
        "PATH": "/bin",
        "QUANTPRO_EXCHANGE_URL_OKX": "",
    }
    assert exchange_url_overrides(env) == {Venue.BYBIT: "http://127.0.0.1:9001"}
    with pytest.raises(ConfigError, match="unknown exchange"):
        exchange_url_overrides({"QUANTPRO_EXCHANGE_URL_KRAKEN": "http://x"})
    with pytest.raises(ConfigError, match="http"):
        exchange_url_overrides({"QUANTPRO_EXCHANGE_URL_BYBIT": "127.0.0.1:9001"})


def test_rebase_keeps_the_path() -> None:
    assert (
        rebase_url("https://fapi.binance.com/fapi/v1", "http://127.0.0.1:9") == "http://127.0.0.1:9/fapi/v1"
    )
    assert rebase_url("https://api.{hostname}", "http://proxy:8/bybit") == "http://proxy:8/bybit"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


@pytest.mark.parametrize("venue", list(Venue))
def test_every_api_url_of_every_venue_is_rebased(venue: Venue) -> None:
    spec = VENUES[venue]
    original = _strings(getattr(ccxt, spec.ccxt_id)().urls["api"])
    exchange = build_exchange(spec, base_url="http://127.0.0.1:9001")
    rebased = _strings(exchange.urls["api"])
    assert rebased and all(url.startswith("http://127.0.0.1:9001") for url in rebased)
    assert sorted(urlsplit(u).path for u in rebased) == sorted(urlsplit(u).path for u in original)
    assert exchange.has["fetchCurrencies"] is False
    assert exchange.enableRateLimit is False


# --- retry math and error translation -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("1.5", 1.5),
        ("49.119", 49.119),
        (" 2 ", 2.0),
        ("0", 0.0),
        (None, None),
        ("soon", None),
        ("-3", None),
        ("nan", None),
        ("9999", 120.0),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize(
    ("attempt", "error", "delay"),
    [
        (1, RateLimitError("x", retry_after=1.5), 1.5),
        (1, RateLimitError("x"), 5.0),
        (3, RateLimitError("x"), 20.0),
        (9, RateLimitError("x"), 60.0),
        (1, TemporaryError("x"), 1.0),
        (3, TemporaryError("x"), 4.0),
        (9, TemporaryError("x"), 30.0),
    ],
)
def test_retry_delay(attempt: int, error: Exception, delay: float) -> None:
    assert retry_delay(attempt, error) == delay


@pytest.mark.parametrize(
    ("exc", "status", "expected"),
    [
        (ccxt.RateLimitExceeded("x"), 429, RateLimitError),
        (ccxt.DDoSProtection("x"), 418, RateLimitError),
        (ccxt.ExchangeNotAvailable("x"), 503, TemporaryError),
        (ccxt.RequestTimeout("x"), 504, TemporaryError),
        (ccxt.RequestTimeout("x"), None, TemporaryError),
        (ccxt.NetworkError("x"), None, TemporaryError),
        (ccxt.ExchangeNotAvailable("x"), 404, RequestRejectedError),  # ccxt calls a 404 "not available"
        (ccxt.BadSymbol("x"), 200, RequestRejectedError),
    ],
)
def test_translate_error(exc: Exception, status: int | None, expected: type) -> None:
    error = translate_error(exc, status, {"retry-after": "2.5"}, "BYBIT")
    assert isinstance(error, expected)
    assert isinstance(error, RateLimitError) == (expected is RateLimitError)
    assert error.source == "BYBIT"
    if expected is RateLimitError:
        assert isinstance(error, RateLimitError) and error.retry_after == 2.5


# --- pacing -------------------------------------------------------------------------------------------
def test_pacer_spreads_requests_and_never_overspends_a_window() -> None:
    clock = FakeClock(1000.0)
    budget = Budget(800, 60)
    pacer = Pacer(budget, clock)
    costs = [20.0] + [hyperliquid_candle_weight(500)] * 40
    for cost in costs:
        pacer.acquire(cost)
    starts = [slot.start for slot in pacer.schedule]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps[0] == pytest.approx(budget.interval(20))
    assert all(g == pytest.approx(29 * 60 / 800) for g in gaps[1:])
    for slot in pacer.schedule:
        spent = sum(s.cost for s in pacer.schedule if slot.start <= s.start < slot.start + 60)
        assert spent <= 800 + 29  # our budget, give or take the request that opens the window
        assert spent <= 1200  # Hyperliquid's published limit: never reached
    assert sum(clock.sleeps) == pytest.approx(starts[-1] - 1000.0)


def test_pacer_does_not_wait_when_requests_are_already_spread() -> None:
    clock = FakeClock(0.0)
    pacer = Pacer(Budget(10, 1), clock)
    pacer.acquire(1)
    clock.advance(5)
    assert pacer.acquire(1) == 0.0


# --- windows -----------------------------------------------------------------------------------------
def test_the_forming_candle_is_never_planned() -> None:
    now = 1_768_842_000_000  # a 15m candle opens exactly now: it is forming
    assert last_closed_open(now, M15) == now - M15
    assert last_closed_open(now + 1, M15) == now - M15
    assert last_closed_open(now, H4) == 1_768_824_000_000


def test_plan_since_asks_only_for_what_is_missing() -> None:
    last = 1_768_841_100_000
    assert plan_since(None, last, M15, 500) == last - 499 * M15
    assert plan_since(last - 4 * M15, last, M15, 500) == last - 3 * M15
    assert plan_since(last, last, M15, 500) is None
    assert plan_since(last - 10_000 * M15, last, M15, 500) == last - 499 * M15  # stale file: a fresh window


# --- selection ----------------------------------------------------------------------------------------
MARKETS = [
    MarketRef("BTC/USDT:USDT", "XBTUSDTM", "USDT", 0.001),
    MarketRef("PEPE/USDT:USDT", "1000PEPEUSDT", "USDT", 1.0),
    MarketRef("ETH/USDC:USDC", "ETHUSDC", "USDC", 1.0),
]


def test_symbols_match_by_coin_and_quote() -> None:
    chosen, unmatched = select_symbols(MARKETS, ["BTCUSDT", "pepeusdt", "ETH", "DOGEUSDT"])
    assert [m.local for m in chosen] == ["1000PEPEUSDT", "ETHUSDC", "XBTUSDTM"]
    assert unmatched == ["DOGEUSDT"]


def test_top_by_volume_uses_quote_volume_or_contracts_times_price() -> None:
    tickers = {
        "BTC/USDT:USDT": {"quoteVolume": None, "baseVolume": 1e9, "last": 90_000},  # contracts (OKX)
        "PEPE/USDT:USDT": {"quoteVolume": 5e8},
        "ETH/USDC:USDC": {"quoteVolume": 1e9},
    }
    assert quote_volume(tickers["BTC/USDT:USDT"], MARKETS[0]) == pytest.approx(9e10)
    assert [m.local for m in top_by_volume(MARKETS, tickers, 2)] == ["XBTUSDTM", "ETHUSDC"]
    assert [m.local for m in top_by_volume(MARKETS, {}, 2)] == [
        "1000PEPEUSDT",
        "ETHUSDC",
    ]  # no ticker: by name


# --- files --------------------------------------------------------------------------------------------
def _candles(times: list[int], close: float = 1.0) -> list[Candle]:
    return [Candle(t, close, close * 1.01, close * 0.99, close, 10.0) for t in times]


def test_merge_trims_drops_forming_and_prefers_new() -> None:
    old = _candles([1, 2, 3], close=1.0)
    new = _candles([3, 4, 5], close=2.0)
    merged = merge_candles(old, new, keep=3, last_open=4)
    assert [c.time for c in merged] == [2, 3, 4]
    assert merged[1].close == 2.0


def test_files_are_compact_object_arrays_and_read_tolerantly(tmp_path: Path) -> None:
    path = tmp_path / "BYBIT_BTCUSDT_15m.json"
    write_candles(path, _candles([M15, 2 * M15]))
    raw = path.read_text()
    assert raw.startswith('[{"time":900000,"open":1.0') and "\n" not in raw and " " not in raw
    assert [c.time for c in read_candles(path)] == [M15, 2 * M15]
    path.write_text(json.dumps([[M15 * 2, 1, 2, 0.5, 1, 3], [M15, 1, 2, 0.5, 1, 3], {"time": "x"}]))
    assert [c.time for c in read_candles(path)] == [M15, 2 * M15]  # array form, unsorted, one bad row
    path.write_text('[{"time":1')  # torn
    assert read_candles(path) == []


def test_a_crash_while_writing_leaves_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "OKX_BTCUSDT_4h.json"
    write_candles(path, _candles([H4]))
    before = path.read_bytes()

    def crash(moment: str, target: Path) -> None:
        if moment == "before_replace":
            raise KeyboardInterrupt

    set_crash_hook(crash)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_candles(path, _candles([H4, 2 * H4]))
    finally:
        set_crash_hook(None)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]
