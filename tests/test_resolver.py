"""CoinalyzeResolver against the simulator's catalogue, on a shared FakeClock (docs/design.md §4)."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantpro.clock import FakeClock
from quantpro.settings import Settings, load_settings
from quantpro.simulator import Fault, SimulatorConfig, start_simulator
from quantpro.sources.coinalyze.catalogue import (
    BUILTIN_EXCHANGES_2025,
    builtin_exchanges,
    exchange_key,
    is_candidate,
)
from quantpro.sources.coinalyze.client import CoinalyzeBatchClient
from quantpro.sources.coinalyze.resolver import CoinalyzeResolver, get_resolver
from quantpro.sources.coinalyze.responses import MAX_RETRIES
from quantpro.sources.coinalyze.symbol_index import SCHEMA_VERSION
from quantpro.store.layout import SYMBOLS_FILE

SPEC = Path(__file__).resolve().parents[1] / "docs" / "coinalyze_api.md"
KEY = "test-key-resolver"


@pytest.fixture(scope="module")
def shared_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def shared_sim(shared_clock: FakeClock) -> Iterator[Any]:
    """One simulator for the module (starting and stopping one per test costs half a second)."""
    config = SimulatorConfig(calls=4000, period=60.0, fault_rate=0.0, seed=0)
    with start_simulator(config, clock=shared_clock, port=0) as server:
        yield server


@pytest.fixture
def clock(shared_clock: FakeClock) -> FakeClock:
    return shared_clock


@pytest.fixture
def sim(shared_sim: Any) -> Iterator[Any]:
    """The shared simulator with an empty request log, left up and without pending faults."""
    shared_sim.simulator.clear_log()
    yield shared_sim
    shared_sim.set_down(False)
    assert shared_sim.simulator.pending_faults() == 0


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def make_settings(sim: Any, cache_dir: Path, **overrides: Any) -> Settings:
    return load_settings(api_key=KEY, base_url=sim.base_url, cache_dir=cache_dir, **overrides)


def make_resolver(sim: Any, clock: FakeClock, cache_dir: Path, **overrides: Any) -> CoinalyzeResolver:
    settings = make_settings(sim, cache_dir, **overrides)
    client = CoinalyzeBatchClient(settings, clock=clock, cache_dir=cache_dir)
    return CoinalyzeResolver(settings, client=client, clock=clock, cache_dir=cache_dir)


@pytest.fixture
def resolver(sim: Any, clock: FakeClock, cache_dir: Path) -> CoinalyzeResolver:
    return make_resolver(sim, clock, cache_dir)


@pytest.fixture(scope="module")
def ready(
    shared_sim: Any, shared_clock: FakeClock, tmp_path_factory: pytest.TempPathFactory
) -> CoinalyzeResolver:
    """One initialised resolver for the read-only resolution tests."""
    resolver = make_resolver(shared_sim, shared_clock, tmp_path_factory.mktemp("ready"))
    resolver.ensure_initialized()
    return resolver


def catalogue_rows(sim: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in sim.simulator.catalogue.future_markets]


def catalogue_requests(sim: Any) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in sim.log if r.path.endswith(("/future-markets", "/exchanges"))]


# -- exchange names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "coinalyze"),
    [
        ("BINANCE", "Binance"),
        ("HYPERLIQUID", "Hyperliquid"),
        ("HTX", "Huobi"),
        ("GATE", "Gate.io"),
        ("GATEIO", "Gate.io"),
        ("WOOX", "WOO X"),
        ("OKEX", "OKX"),
        ("okx", "OKX"),
        ("BITMEX", "BitMEX"),
        ("DYDX", "dYdX"),
    ],
)
def test_exchange_names_match_with_aliases(local: str, coinalyze: str) -> None:
    assert exchange_key(local) == exchange_key(coinalyze)


def test_builtin_exchange_list_matches_the_measured_list_exactly() -> None:
    text = SPEC.read_text(encoding="utf-8")
    block = re.search(r"### `/exchanges`, real output.*?```json\n(.*?)```", text, re.S)
    assert block is not None
    assert builtin_exchanges() == json.loads(block.group(1))
    assert len(BUILTIN_EXCHANGES_2025) == 26


# -- resolution rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "exchange", "expected"),
    [
        ("BTCUSDT", "BINANCE", ("BTCUSDT_PERP.A", "resolved")),
        ("BTCUSDT", "BYBIT", ("BTCUSDT.6", "resolved")),
        ("BTCUSDT", "OKX", ("BTCUSDT_PERP.3", "resolved")),
        ("BTCUSDT", "OKEX", ("BTCUSDT_PERP.3", "resolved")),
        ("BTCUSDT", "HYPERLIQUID", ("BTC.H", "resolved")),
        ("0GUSDT", "HYPERLIQUID", ("0G.H", "resolved")),
        ("BTCUSDT", "MEXC", ("BTCUSDT_PERP.A", "aggregated")),
        ("MAVUSDT", "MEXC", ("MAVUSDT_PERP.A", "aggregated")),
        ("XBTUSDTM", "KUCOIN", ("BTCUSDT_PERP.A", "aggregated")),
        ("ETHUSDTM", "KUCOIN", ("ETHUSDT_PERP.A", "aggregated")),
        # multipliers: every venue's own multiplied base is the same coin
        ("1000PEPEUSDT", "BINANCE", ("1000PEPEUSDT_PERP.A", "resolved")),
        ("1000PEPEUSDT", "BYBIT", ("1000PEPEUSDT.6", "resolved")),
        ("kPEPEUSDT", "HYPERLIQUID", ("kPEPE.H", "resolved")),
        ("PEPEUSDT", "HYPERLIQUID", ("kPEPE.H", "resolved")),
        ("PEPEUSDT", "MEXC", ("1000PEPEUSDT_PERP.A", "aggregated")),
        ("1MBABYDOGEUSDT", "BINANCE", ("1MBABYDOGEUSDT_PERP.A", "resolved")),
        ("BABYDOGEUSDT", "BYBIT", ("1000000BABYDOGEUSDT.6", "resolved")),
        # digit-led coins stay as they are
        ("0GUSDT", "BINANCE", ("0GUSDT_PERP.A", "resolved")),
        ("2ZUSDT", "MEXC", ("2ZUSDT_PERP.A", "aggregated")),
        # quote preference: own quote, then USDT, USDC, USD; never a coin-margined contract
        ("BTCUSDC", "BINANCE", ("BTCUSDC_PERP.A", "resolved")),
        ("BTCUSDC", "BYBIT", ("BTCPERP.6", "resolved")),
        ("BTCUSDC", "MEXC", ("BTCUSDC_PERP.A", "aggregated")),
        ("BTCUSD", "BINANCE", ("BTCUSDT_PERP.A", "resolved")),
        ("BTCUSD", "BYBIT", ("BTCUSDT.6", "resolved")),
        ("BTCFDUSD", "BINANCE", ("BTCUSDT_PERP.A", "resolved")),
    ],
)
def test_resolution_rules(ready: CoinalyzeResolver, symbol: str, exchange: str, expected: Any) -> None:
    assert ready.resolve(symbol, exchange) == expected


def _venue_names() -> dict[str, str]:
    """Local venue names (as candle files write them) for every derivatives venue, aliases included."""
    return {
        "A": "BINANCE",
        "6": "BYBIT",
        "3": "OKX",
        "H": "HYPERLIQUID",
        "4": "HTX",
        "Y": "GATEIO",
        "0": "BITMEX",
        "2": "DERIBIT",
        "8": "DYDX",
        "K": "KRAKEN",
        "W": "WOOX",
        "7": "PHEMEX",
        "F": "BITFINEX",
    }


def test_every_venue_format_resolves_on_its_own_exchange(sim: Any, ready: CoinalyzeResolver) -> None:
    """One listed coin per venue: its local symbol finds that venue's own-format symbol."""
    rows = [row for row in catalogue_rows(sim) if is_candidate(row)]
    for code, venue in _venue_names().items():
        row = next(r for r in rows if r["exchange"] == code and r["base_asset"] not in ("BTC", "XBT"))
        symbol = f"{row['base_asset']}{row['quote_asset']}"
        coinalyze_symbol, status = ready.resolve(symbol, venue)
        assert status == "resolved", (code, symbol)
        assert coinalyze_symbol is not None and coinalyze_symbol.endswith("." + code), (
            code,
            coinalyze_symbol,
        )


def test_kraken_xbt_is_bitcoin(sim: Any, ready: CoinalyzeResolver) -> None:
    kraken = [r for r in catalogue_rows(sim) if r["exchange"] == "K"]
    btc = [r for r in kraken if r["base_asset"] == "XBT"]
    if btc:
        assert ready.resolve("XBTUSD", "KRAKEN") == ("pf_xbtusd.K", "resolved")
        assert ready.resolve("BTCUSD", "KRAKEN") == ("pf_xbtusd.K", "resolved")
    else:  # Kraken does not list BTC in this catalogue: the reference market is used instead
        assert ready.resolve("XBTUSD", "KRAKEN") == ("BTCUSDT_PERP.A", "aggregated")
    some = kraken[0]
    assert ready.resolve(f"{some['base_asset']}USD", "KRAKEN") == (some["symbol"], "resolved")


def test_coin_margined_and_dated_contracts_are_never_chosen(sim: Any, ready: CoinalyzeResolver) -> None:
    rows = {r["symbol"]: r for r in catalogue_rows(sim)}
    assert any(r["margined"] == "COIN" for r in rows.values())
    assert any(not r["is_perpetual"] for r in rows.values())
    coins = [*sorted({r["base_asset"] for r in rows.values()})[:200], "BTC", "ETH"]
    for coin in coins:
        for quote in ("USDT", "USD", "USDC"):
            for venue in ("BINANCE", "BYBIT", "OKX", "HTX", "GATE", "MEXC", "DERIBIT"):
                symbol, _ = ready.resolve(coin + quote, venue)
                if symbol is not None:
                    assert is_candidate(rows[symbol]), (coin, quote, venue, symbol)


def test_neutral_when_the_coin_is_listed_nowhere(sim: Any, ready: CoinalyzeResolver) -> None:
    nowhere = sim.simulator.catalogue.coins_nowhere()
    assert nowhere
    for coin in nowhere[:5]:
        assert ready.resolve(coin + "USDT", "MEXC") == (None, "neutral")
        assert ready.resolve(coin + "USDT", "BINANCE") == (None, "neutral")


def _candidate_counts(sim: Any) -> Counter[str]:
    return Counter(r["exchange"] for r in catalogue_rows(sim) if is_candidate(r))


def test_coin_only_on_a_non_reference_venue_uses_that_venue(sim: Any, ready: CoinalyzeResolver) -> None:
    catalogue = sim.simulator.catalogue
    only_gate = catalogue.coins_only_on("Y")
    only_hl = catalogue.coins_only_on("H")
    assert only_gate or only_hl
    for coin in only_gate[:3]:
        assert ready.resolve(coin + "USDT", "MEXC") == (f"{coin}_USDT.Y", "aggregated")
        assert ready.resolve(coin + "USDT", "GATE") == (f"{coin}_USDT.Y", "resolved")
    for coin in only_hl[:3]:
        assert ready.resolve(coin + "USDT", "KUCOIN") == (f"{coin}.H", "aggregated")


def test_most_candidates_fallback_when_no_reference_venue_lists_the_coin(
    sim: Any, clock: FakeClock, cache_dir: Path
) -> None:
    resolver = make_resolver(sim, clock, cache_dir, reference_exchanges=("Deribit",))
    sizes = _candidate_counts(sim)
    rows = [r for r in catalogue_rows(sim) if is_candidate(r)]
    for coin in ("MAV", "ADA", "0G"):
        venues = {r["exchange"] for r in rows if r["base_asset"] == coin} - {"2"}
        best = min(venues, key=lambda code: (-sizes[code], code))
        symbol, status = resolver.resolve(coin + "USDT", "MEXC")
        assert status == "aggregated"
        assert symbol is not None and symbol.endswith("." + best)


def test_reference_preference_change_recomputes_without_refetch(
    sim: Any, clock: FakeClock, cache_dir: Path
) -> None:
    first = make_resolver(sim, clock, cache_dir)
    assert first.resolve("BTCUSDT", "MEXC") == ("BTCUSDT_PERP.A", "aggregated")
    requests_before = len(catalogue_requests(sim))

    second = make_resolver(sim, clock, cache_dir, reference_exchanges=("Bybit", "OKX"))
    assert second.resolve("BTCUSDT", "MEXC") == ("BTCUSDT.6", "aggregated")
    assert second.resolve("PEPEUSDT", "MEXC") == ("1000PEPEUSDT.6", "aggregated")
    assert second.aggregated_symbols["BTCUSDT"] == "BTCUSDT.6"
    assert len(catalogue_requests(sim)) == requests_before  # nothing refetched
    stored = json.loads((cache_dir / SYMBOLS_FILE).read_text())
    assert stored["reference_exchanges"] == ["Bybit", "OKX"]
    assert stored["aggregated_symbols"]["BTCUSDT"] == "BTCUSDT.6"


def test_resolve_batch_is_keyed_by_the_pairs_given(ready: CoinalyzeResolver) -> None:
    pairs = [("BTCUSDT", "MEXC"), ("ETHUSDT", "BINANCE"), ("BTCUSDT", "MEXC")]
    results = ready.resolve_batch(pairs)
    assert results == {
        ("BTCUSDT", "MEXC"): ("BTCUSDT_PERP.A", "aggregated"),
        ("ETHUSDT", "BINANCE"): ("ETHUSDT_PERP.A", "resolved"),
    }


def test_market_info_is_the_catalogue_row(ready: CoinalyzeResolver) -> None:
    info = ready.market_info("BTCUSDT_PERP.A")
    assert info is not None
    assert info["has_long_short_ratio_data"] is True
    assert ready.market_info("BTC.H") is not None
    assert ready.market_info("NOPE.A") is None


# -- loading and the symbol cache --------------------------------------------------------------------


def test_catalogue_loads_on_first_use_and_logs(
    sim: Any, resolver: CoinalyzeResolver, logs: pytest.LogCaptureFixture
) -> None:
    with logs.at_level(logging.INFO, logger="quantpro"):
        assert len(resolver.symbol_map) >= 2000
    messages = [r.getMessage() for r in logs.records]
    assert f"Fetching symbols from {sim.base_url}/future-markets" in messages
    assert any(re.fullmatch(r"Received \d{4,} markets from API", m) for m in messages)
    assert any(re.fullmatch(r"Processed \d+ aggregated symbols", m) for m in messages)
    assert sorted(catalogue_requests(sim)) == ["exchanges", "future-markets"]


def test_cache_file_has_the_reference_format(
    resolver: CoinalyzeResolver, cache_dir: Path, clock: FakeClock
) -> None:
    resolver.ensure_initialized()
    stored = json.loads((cache_dir / SYMBOLS_FILE).read_text())
    assert stored["schema_version"] == SCHEMA_VERSION
    assert stored["timestamp"] == int(clock.now() * 1000)
    assert stored["symbol_map"]["BTCUSDT_PERP.A"] == {
        "symbol": "BTCUSDT_PERP.A",
        "base": "BTC",
        "quote": "USDT",
        "normalized": "BTCUSDT",
        "exchange_id": ".A",
    }
    assert stored["symbol_map"]["1000PEPEUSDT_PERP.A"]["normalized"] == "PEPEUSDT"
    assert stored["aggregated_symbols"]["BTCUSDT"] == "BTCUSDT_PERP.A"
    assert stored["aggregated_symbols"]["PEPEUSDT"] == "1000PEPEUSDT_PERP.A"
    assert stored["exchange_symbols"]["BTCUSDT"][".A"] == "BTCUSDT_PERP.A"
    assert stored["exchange_symbols"]["BTCUSDT"][".6"] == "BTCUSDT.6"
    assert stored["exchange_symbols"]["BTCUSD"][".H"] == "BTC.H"
    assert {"name": "Binance", "code": "A"} in stored["exchanges"]
    assert len(stored["markets"]) >= 2000
    assert stored["reference_exchanges"] == ["Binance", "Bybit", "OKX"]


def test_fresh_cache_is_reused_and_expires_after_its_ttl(sim: Any, clock: FakeClock, cache_dir: Path) -> None:
    make_resolver(sim, clock, cache_dir).ensure_initialized()
    assert len(catalogue_requests(sim)) == 2

    clock.advance(23 * 3600)
    again = make_resolver(sim, clock, cache_dir)
    assert again.resolve("BTCUSDT", "BYBIT") == ("BTCUSDT.6", "resolved")
    assert len(catalogue_requests(sim)) == 2  # served from the cache

    clock.advance(3600 + 1)
    later = make_resolver(sim, clock, cache_dir)
    later.ensure_initialized()
    assert len(catalogue_requests(sim)) == 4  # refetched
    assert later.catalogue_timestamp == int(clock.now() * 1000)


def test_symbols_ttl_setting_is_honoured(sim: Any, clock: FakeClock, cache_dir: Path) -> None:
    make_resolver(sim, clock, cache_dir).ensure_initialized()
    clock.advance(2 * 3600)
    make_resolver(sim, clock, cache_dir, symbols_ttl_hours=1).ensure_initialized()
    assert len(catalogue_requests(sim)) == 4


@pytest.mark.parametrize(
    "content",
    [
        b"{ not json",
        b"[]",
        b'{"timestamp": 1768842000000, "symbol_map": {}, "aggregated_symbols": {}, "exchange_symbols": {}}',
    ],
    ids=["corrupt", "wrong-type", "old-schema"],
)
def test_unusable_cache_is_a_miss_and_is_rebuilt(
    sim: Any, clock: FakeClock, cache_dir: Path, content: bytes, logs: pytest.LogCaptureFixture
) -> None:
    cache_dir.mkdir(parents=True)
    (cache_dir / SYMBOLS_FILE).write_bytes(content)
    resolver = make_resolver(sim, clock, cache_dir)
    with logs.at_level(logging.WARNING, logger="quantpro"):
        assert resolver.resolve("BTCUSDT", "MEXC") == ("BTCUSDT_PERP.A", "aggregated")
    assert any(r.levelno == logging.WARNING for r in logs.records)
    assert len(catalogue_requests(sim)) == 2
    assert json.loads((cache_dir / SYMBOLS_FILE).read_text())["schema_version"] == SCHEMA_VERSION


def test_fetch_symbols_forces_a_refresh(sim: Any, resolver: CoinalyzeResolver) -> None:
    resolver.ensure_initialized()
    resolver.fetch_symbols()
    assert len(catalogue_requests(sim)) == 4


def test_exchanges_failure_falls_back_to_the_builtin_list(
    sim: Any, clock: FakeClock, cache_dir: Path, logs: pytest.LogCaptureFixture
) -> None:
    sim.script(Fault.SERVER_ERROR, path="/exchanges", count=MAX_RETRIES + 1)
    resolver = make_resolver(sim, clock, cache_dir)
    with logs.at_level(logging.WARNING, logger="quantpro"):
        assert resolver.resolve("BTCUSDT", "BYBIT") == ("BTCUSDT.6", "resolved")
    assert any("built-in 2025 exchange list" in r.getMessage() for r in logs.records)
    assert resolver.exchanges == builtin_exchanges()


def test_stale_cache_is_used_when_the_api_is_down(sim: Any, clock: FakeClock, cache_dir: Path) -> None:
    make_resolver(sim, clock, cache_dir).ensure_initialized()
    clock.advance(25 * 3600)
    sim.set_down(True)
    resolver = make_resolver(sim, clock, cache_dir)
    assert resolver.resolve("BTCUSDT", "MEXC") == ("BTCUSDT_PERP.A", "aggregated")


def test_get_resolver_is_a_plain_factory(sim: Any, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINALYZE_API_KEY", KEY)
    monkeypatch.setenv("COINALYZE_BASE_URL", sim.base_url)
    monkeypatch.setenv("QUANTPRO_CACHE_DIR", str(cache_dir))
    first, second = get_resolver(), get_resolver()
    assert first is not second
    assert first.cache_file == cache_dir / SYMBOLS_FILE
