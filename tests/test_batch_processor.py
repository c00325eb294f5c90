"""BatchProcessor against the simulator on a shared FakeClock: the plan, the quota, the failures."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantpro.clock import FakeClock
from quantpro.errors import AuthenticationError
from quantpro.models import neutral_market_data
from quantpro.settings import load_settings
from quantpro.simulator import Fault, SimulatorConfig, start_simulator
from quantpro.sources.base import FetchProgress
from quantpro.sources.coinalyze.client import CoinalyzeBatchClient
from quantpro.sources.coinalyze.processor import BatchProcessor, get_batch_processor
from quantpro.sources.coinalyze.responses import MAX_RETRIES

KEY = "test-key-processor"
DATA_PATHS = ("/open-interest-history", "/funding-rate", "/long-short-ratio-history", "/liquidation-history")


@pytest.fixture(scope="module")
def shared_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def shared_sim(shared_clock: FakeClock) -> Iterator[Any]:
    config = SimulatorConfig(calls=400, period=60.0, fault_rate=0.0, seed=0)
    with start_simulator(config, clock=shared_clock, port=0) as server:
        yield server


@pytest.fixture
def clock(shared_clock: FakeClock) -> FakeClock:
    return shared_clock


@pytest.fixture
def sim(shared_sim: Any, shared_clock: FakeClock) -> Iterator[Any]:
    """The shared simulator with an empty log and a fresh quota window (tests share one key)."""
    shared_clock.advance(120)
    shared_sim.simulator.clear_log()
    yield shared_sim
    shared_sim.set_down(False)
    assert shared_sim.simulator.pending_faults() == 0


def make_processor(sim: Any, clock: FakeClock, cache_dir: Path, key: str = KEY) -> BatchProcessor:
    settings = load_settings(
        api_key=key, base_url=sim.base_url, cache_dir=cache_dir, rate_limit_calls=400, rate_limit_period=60
    )
    client = CoinalyzeBatchClient(settings, clock=clock, cache_dir=cache_dir)
    return BatchProcessor(settings, client=client, clock=clock, cache_dir=cache_dir)


@pytest.fixture
def processor(sim: Any, clock: FakeClock, tmp_path: Path) -> BatchProcessor:
    return make_processor(sim, clock, tmp_path / "cache")


def data_requests(sim: Any) -> list[Any]:
    return [r for r in sim.log if r.path in DATA_PATHS]


def sample_markets(sim: Any, count: int) -> list[tuple[str, str]]:
    """Markets as a real scan has them: sample coins on several venues, some sharing a reference."""
    catalogue = sim.simulator.catalogue
    coins = [c for c in sorted(catalogue.coin_classes) if catalogue.coin_classes[c] == "normal"][:count]
    venues = ("MEXC", "KUCOIN", "BINANCE", "HYPERLIQUID", "BYBIT", "BITGET")
    markets = [(f"{coin}USDT", venues[i % len(venues)]) for i, coin in enumerate(coins)]
    return [*markets, *((f"{coin}USDT", "MEXC") for coin in coins[:10])]


# -- sharing and caching ------------------------------------------------------------------------------


def test_markets_sharing_a_reference_cost_one_fetch_per_data_type(
    sim: Any, processor: BatchProcessor
) -> None:
    markets = [
        ("BTCUSDT", "MEXC"),
        ("BTCUSDT", "KUCOIN"),
        ("XBTUSDTM", "KUCOIN"),
        ("BTCUSDT", "BITGET"),
        ("BTCUSDT", "BINANCE"),
    ]
    data = processor.process_symbols(markets)
    requests = data_requests(sim)
    assert sorted(r.path for r in requests) == sorted(DATA_PATHS)
    assert all(r.symbols == ("BTCUSDT_PERP.A",) for r in requests)
    assert set(data) == {
        "BTCUSDT_MEXC",
        "BTCUSDT_KUCOIN",
        "XBTUSDTM_KUCOIN",
        "BTCUSDT_BITGET",
        "BTCUSDT_BINANCE",
    }
    assert data["BTCUSDT_MEXC"]["oi_status"] == "aggregated"
    assert data["BTCUSDT_BINANCE"]["oi_status"] == "resolved"
    assert {d["coinalyze_symbol"] for d in data.values()} == {"BTCUSDT_PERP.A"}
    assert data["XBTUSDTM_KUCOIN"]["oi_history"] == data["BTCUSDT_BINANCE"]["oi_history"]
    assert data["BTCUSDT_MEXC"]["oi_history"]
    assert processor.last_stats.units_spent == processor.last_stats.units_minimum == 4


def test_second_scan_within_the_ttl_spends_nothing(sim: Any, clock: FakeClock, tmp_path: Path) -> None:
    markets = sample_markets(sim, 30)
    first = make_processor(sim, clock, tmp_path / "cache")
    before = first.process_symbols(markets)
    assert first.last_stats.units_spent > 0
    sim.simulator.clear_log()

    clock.advance(5 * 60)
    second = make_processor(sim, clock, tmp_path / "cache")  # a new process on the same cache dir
    after = second.process_symbols(markets)
    assert data_requests(sim) == []
    assert second.last_stats.units_spent == second.last_stats.units_minimum == 0
    assert second.last_stats.requests == 0  # the symbol cache is fresh too
    for key, data in before.items():
        assert after[key]["oi_history"] == data["oi_history"]
        assert after[key]["funding_rate"] == data["funding_rate"]
        assert after[key]["oi_status"] == data["oi_status"]


def test_long_short_is_only_asked_where_the_catalogue_has_it(sim: Any, processor: BatchProcessor) -> None:
    catalogue = sim.simulator.catalogue
    only_hl = catalogue.coins_only_on("H")[:2]
    markets = [("BTCUSDT", "HYPERLIQUID"), ("ETHUSDT", "BINANCE"), *((c + "USDT", "MEXC") for c in only_hl)]
    data = processor.process_symbols(markets)
    rows = {row["symbol"]: row for row in catalogue.future_markets}
    asked = [s for r in sim.log if r.path == "/long-short-ratio-history" for s in r.symbols]
    assert asked == ["ETHUSDT_PERP.A"]
    assert all(rows[s]["has_long_short_ratio_data"] for s in asked)
    assert data["BTCUSDT_HYPERLIQUID"]["coinalyze_symbol"] == "BTC.H"
    assert data["BTCUSDT_HYPERLIQUID"]["ls_ratio"] is None
    assert data["BTCUSDT_HYPERLIQUID"]["oi_metadata"]["degraded"] is False


def test_clean_run_spends_exactly_the_minimum(sim: Any, processor: BatchProcessor) -> None:
    markets = sample_markets(sim, 60)
    progress: list[FetchProgress] = []
    data = processor.process_symbols(markets, progress=progress.append)
    stats = processor.last_stats
    requests = data_requests(sim)
    assert stats.units_spent == stats.units_minimum == sum(r.units_charged for r in requests)
    assert len(requests) == len(progress)
    assert stats.requests == len(sim.log)  # data and catalogue requests alike
    assert stats.catalogue_units == 2
    assert all(len(r.symbols) <= 20 for r in requests)
    asked = Counter((r.path, s) for r in requests for s in r.symbols)
    assert max(asked.values()) == 1  # each (data type, symbol) once per scan
    assert stats.http_429 == stats.retries == stats.degraded_markets == 0
    assert sum(stats.oi_status.values()) == len(set(markets)) == len(data)
    assert progress[-1].units_done == progress[-1].units_total == stats.units_minimum
    assert [p.batch_index for p in progress] == list(range(1, len(requests) + 1))
    assert all(p.batch_total == len(requests) for p in progress)


def test_market_data_has_the_design_shape(sim: Any, processor: BatchProcessor, clock: FakeClock) -> None:
    nowhere = sim.simulator.catalogue.coins_nowhere()[0]
    data = processor.process_symbols([("BTCUSDT", "MEXC"), (nowhere + "USDT", "MEXC")])
    btc = data["BTCUSDT_MEXC"]
    assert set(btc) == {
        "oi_history",
        "funding_rate",
        "ls_ratio",
        "liquidations",
        "oi_status",
        "coinalyze_symbol",
        "oi_metadata",
    }
    assert all(set(p) == {"timestamp", "value"} for p in btc["oi_history"])
    times = [p["timestamp"] for p in btc["oi_history"]]
    assert times == sorted(times)
    assert btc["oi_metadata"]["partial_last_bucket"] is True
    assert btc["oi_metadata"]["fetched_at"] == int(clock.now() * 1000)
    assert btc["oi_metadata"]["degraded"] is False and btc["oi_metadata"]["reason"] is None
    assert isinstance(btc["funding_rate"], float)
    assert btc["liquidations"] is None or set(btc["liquidations"]) == {"longs", "shorts"}
    assert data[nowhere + "USDT_MEXC"] == neutral_market_data()


def test_get_data_for_symbol(processor: BatchProcessor) -> None:
    data = processor.process_symbols([("ETHUSDT", "BYBIT")])
    assert processor.get_data_for_symbol("ETHUSDT", "BYBIT", data)["coinalyze_symbol"] == "ETHUSDT.6"
    absent = processor.get_data_for_symbol("FOOUSDT", "MEXC", data)
    assert absent["oi_status"] == "neutral" and absent["coinalyze_symbol"] is None


# -- failures -------------------------------------------------------------------------------------------


def test_a_failing_request_degrades_only_its_markets(sim: Any, processor: BatchProcessor) -> None:
    markets = sample_markets(sim, 45)
    sim.script(Fault.SERVER_ERROR, path="/funding-rate", count=MAX_RETRIES + 1)
    data = processor.process_symbols(markets)

    funding = [r for r in sim.log if r.path == "/funding-rate"]
    failed = set(funding[0].symbols)
    assert all(r.status == 500 for r in funding[: MAX_RETRIES + 1])
    assert all(r.status == 200 for r in funding[MAX_RETRIES + 1 :])
    degraded = {key for key, d in data.items() if d["oi_metadata"]["degraded"]}
    expected = {key for key, d in data.items() if d["coinalyze_symbol"] in failed}
    assert degraded == expected and degraded
    assert len(degraded) < len(data)
    for key in degraded:
        meta = data[key]["oi_metadata"]
        assert meta["reason"] is not None and "funding_rate" in meta["reason"]
        assert data[key]["funding_rate"] is None
        assert data[key]["oi_history"]  # the other data types still arrived
    stats = processor.last_stats
    assert stats.degraded_markets == len(degraded)
    assert stats.retries == MAX_RETRIES
    assert stats.units_spent == stats.units_minimum + MAX_RETRIES * len(failed)


def test_refused_key_stops_at_the_first_refused_request(sim: Any, clock: FakeClock, tmp_path: Path) -> None:
    key = "key-to-be-revoked"
    processor = make_processor(sim, clock, tmp_path / "cache", key=key)
    processor.resolver.ensure_initialized()
    sim.revoke_key(key)
    sim.simulator.clear_log()
    with pytest.raises(AuthenticationError):
        processor.process_symbols(sample_markets(sim, 30))
    assert [r.status for r in sim.log] == [401]


def test_unavailable_catalogue_degrades_every_market(sim: Any, processor: BatchProcessor) -> None:
    sim.set_down(True)
    data = processor.process_symbols([("BTCUSDT", "MEXC"), ("ETHUSDT", "BINANCE")])
    assert all(d["oi_metadata"]["degraded"] for d in data.values())
    assert all("catalogue" in (d["oi_metadata"]["reason"] or "") for d in data.values())
    assert processor.last_stats.degraded_markets == 2


def test_counts_are_logged(sim: Any, processor: BatchProcessor, logs: pytest.LogCaptureFixture) -> None:
    nowhere = sim.simulator.catalogue.coins_nowhere()[0]
    markets = [
        ("BTCUSDT", "BINANCE"),
        ("ETHUSDT", "HYPERLIQUID"),
        ("MAVUSDT", "MEXC"),
        (nowhere + "USDT", "MEXC"),
    ]
    with logs.at_level(logging.INFO, logger="quantpro"):
        processor.process_symbols(markets)
    messages = [r.getMessage() for r in logs.records]
    assert "Processing 4 symbols" in messages
    assert "Resolved: 2 | Aggregated: 1 | Neutral: 1" in messages
    assert any(m.startswith("Fetching batch 1/4 (3 symbols)") for m in messages)
    assert any(m.startswith("Fetching batch 3/4 (2 symbols)") for m in messages)  # no L/S for ETH.H
    # the cost is said before it is spent: 3 + 3 + 2 + 3 units; 11 fit in one 400-unit window
    assert any(m.startswith("Plan: 11 units in 4 requests for 3 Coinalyze symbols") for m in messages)
    assert any("takes about 0s" in m for m in messages if m.startswith("Plan:"))
    assert "Units spent: 11 (minimum 11)" in messages
    assert processor.last_stats.oi_status == {"resolved": 2, "aggregated": 1, "neutral": 1}


def test_get_batch_processor_is_a_plain_factory(
    sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COINALYZE_API_KEY", KEY)
    monkeypatch.setenv("COINALYZE_BASE_URL", sim.base_url)
    monkeypatch.setenv("QUANTPRO_CACHE_DIR", str(tmp_path / "cache"))
    first, second = get_batch_processor(), get_batch_processor()
    assert first is not second
    assert first.resolver.client is first.client


# -- no idling while units are free (docs/design.md §5) ---------------------------------------------------


def test_a_request_that_does_not_fit_sends_the_part_that_fits_so_every_window_is_full(
    tmp_path: Path,
) -> None:
    """100 units per 5 s: part one's first window carried 82 units (2 catalogue + 4 × 20) and waited with
    18 free. Now each window carries the whole quota until the work runs out, and nothing is refused."""
    clock = FakeClock()
    key = "test-key-fill"
    with start_simulator(SimulatorConfig(calls=100, period=5.0), clock=clock, port=0) as small:
        settings = load_settings(
            api_key=key,
            base_url=small.base_url,
            cache_dir=tmp_path,
            rate_limit_calls=100,
            rate_limit_period=5,
        )
        client = CoinalyzeBatchClient(settings, clock=clock, cache_dir=tmp_path)
        with BatchProcessor(settings, client=client, clock=clock, cache_dir=tmp_path) as processor:
            processor.process_symbols(sample_markets(small, 90))
            stats = processor.last_stats
        log = list(small.log)
    assert stats.http_429 == 0 and stats.units_spent == stats.units_minimum > 300
    start = log[0].time
    charged = [(r.time, r.units_charged) for r in log]
    total = stats.units_spent + stats.catalogue_units
    for window in range(int(total // 100)):  # every full window before the last one
        lo, hi = start + 5.0 * window, start + 5.0 * (window + 1)
        assert sum(units for at, units in charged if lo <= at < hi) == 100, f"window {window} not full"
    split = [r for r in log if 0 < len(r.symbols) < 20 and r.path in DATA_PATHS]
    assert split, "some request must have been cut to the units free"
    asked = Counter((r.path, s) for r in log for s in r.symbols)
    assert max(asked.values()) == 1  # cutting never asks for a symbol twice
