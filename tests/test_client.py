"""The batch client against the in-process simulator, both on ONE fake clock: request parameters and
parsed shapes, batch sizes, the quota window seen from the server's side, 429/401/5xx/timeouts, chunk
failure isolation, the response cache, and the key's secrecy."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from quantpro.clock import FakeClock, SystemClock
from quantpro.errors import AuthenticationError, CoinalyzeError, ConfigError
from quantpro.settings import Settings, load_settings
from quantpro.simulator import (
    Fault,
    RequestRecord,
    RunningSimulator,
    SimulatorConfig,
    build_catalogue,
    start_simulator,
)
from quantpro.sources.coinalyze import ChunkOutcome, CoinalyzeBatchClient, DataType, get_batch_client

KEY = "test-key-0123456789"
T0 = 1_768_842_000.0
KNOWN = ["BTCUSDT_PERP.A", "ETHUSDT_PERP.A"]

SimFactory = Callable[..., RunningSimulator]
ClientFactory = Callable[..., CoinalyzeBatchClient]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def start_sim(clock: FakeClock) -> Iterator[SimFactory]:
    running: list[RunningSimulator] = []

    def start(**config: Any) -> RunningSimulator:
        sim = start_simulator(SimulatorConfig(**config), clock=clock, port=0)
        running.append(sim)
        return sim

    yield start
    for sim in running:
        sim.close()


@pytest.fixture
def sim(start_sim: SimFactory) -> RunningSimulator:
    return start_sim()


@pytest.fixture
def make_client(clock: FakeClock, sim: RunningSimulator, tmp_path: Path) -> Iterator[ClientFactory]:
    made: list[CoinalyzeBatchClient] = []

    def make(
        *, cache_dir: Path | None = None, base_url: str | None = None, **overrides: Any
    ) -> CoinalyzeBatchClient:
        settings = load_settings(**{"api_key": KEY, "base_url": base_url or sim.base_url, **overrides})
        client = CoinalyzeBatchClient(settings, clock=clock, cache_dir=cache_dir or tmp_path / "cache")
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def perps(n: int) -> list[str]:
    """``n`` known stable-margined perpetuals of the simulator's catalogue."""
    rows = build_catalogue().future_markets
    symbols = [str(r["symbol"]) for r in rows if r["is_perpetual"] and r["margined"] == "STABLE"]
    assert len(symbols) >= n
    return symbols[:n]


def query_of(record: RequestRecord) -> dict[str, str]:
    return dict(parse_qsl(record.raw_query))


def assert_server_window_holds(log: list[RequestRecord], calls: int, period: float) -> None:
    charged = [(r.time, r.units_charged) for r in log if r.units_charged]
    for t, _ in charged:
        inside = sum(n for s, n in charged if t - period < s <= t)
        assert inside <= calls, f"{inside} units charged in the window ending at {t}"


# -- requests and shapes -------------------------------------------------------------------------------


def test_each_data_type_request_and_shape(sim: RunningSimulator, make_client: ClientFactory) -> None:
    client = make_client()
    asked = [*KNOWN, "NOPE_PERP.A"]
    now = int(T0)

    oi = client.fetch_chunk(DataType.OI_HISTORY, asked)
    q = query_of(sim.log[-1])
    assert sim.log[-1].path == "/open-interest-history"
    assert sim.log[-1].raw_query.startswith("symbols=BTCUSDT_PERP.A,ETHUSDT_PERP.A,NOPE_PERP.A&")
    assert q == {"symbols": ",".join(asked), "interval": "15min", "from": str(now - 86400), "to": str(now)}
    assert oi.failed is None and oi.units == 3 and set(oi.data) == set(asked)
    for symbol in KNOWN:
        points = oi.data[symbol]
        stamps = [p["timestamp"] for p in points]
        assert stamps == sorted(stamps) and all(t % 900 == 0 for t in stamps)
        assert stamps[-1] > now - 900  # the newest, partial bucket is included
        assert all(set(p) == {"timestamp", "value"} and isinstance(p["value"], float) for p in points)
    assert oi.data["NOPE_PERP.A"] == []

    funding = client.fetch_chunk(DataType.FUNDING_RATE, asked)
    assert sim.log[-1].path == "/funding-rate" and query_of(sim.log[-1]) == {"symbols": ",".join(asked)}
    assert all(isinstance(funding.data[s], float) for s in KNOWN) and funding.data["NOPE_PERP.A"] is None

    ls = client.fetch_chunk(DataType.LS_RATIO, asked)
    assert sim.log[-1].path == "/long-short-ratio-history"
    assert query_of(sim.log[-1]) == {
        "symbols": ",".join(asked),
        "interval": "5min",
        "from": str(now - 3600),
        "to": str(now),
    }
    assert all(isinstance(ls.data[s], float) and ls.data[s] > 0 for s in KNOWN)
    assert ls.data["NOPE_PERP.A"] is None

    liq = client.fetch_chunk(DataType.LIQUIDATIONS, asked)
    assert sim.log[-1].path == "/liquidation-history"
    assert query_of(sim.log[-1]) == {
        "symbols": ",".join(asked),
        "interval": "1hour",
        "from": str(now - 86400),
        "to": str(now),
        "convert_to_usd": "true",
    }
    for symbol in KNOWN:
        assert set(liq.data[symbol]) == {"longs", "shorts"} and liq.data[symbol]["longs"] >= 0
    assert liq.data["NOPE_PERP.A"] is None
    assert client.stats.units_spent == 12 and client.stats.requests == 4


def test_oi_history_hours(sim: RunningSimulator, make_client: ClientFactory) -> None:
    client = make_client()
    data = client.get_open_interest_history_batch(KNOWN[:1], hours=6)
    assert query_of(sim.log[-1])["from"] == str(int(T0) - 6 * 3600)
    assert 24 <= len(data[KNOWN[0]]) <= 25


def test_dropped_symbols_are_not_errors(sim: RunningSimulator, make_client: ClientFactory) -> None:
    client = make_client()
    sim.script(Fault.DROP_SYMBOLS, path="/open-interest-history")
    outcome = client.fetch_chunk(DataType.OI_HISTORY, perps(4))
    assert outcome.failed is None and len(outcome.data) == 4
    assert any(v == [] for v in outcome.data.values()) and any(v for v in outcome.data.values())
    assert client.stats.retries == 0


def test_catalogue_calls(sim: RunningSimulator, make_client: ClientFactory) -> None:
    client = make_client()
    exchanges = client.get_exchanges()
    markets = client.get_future_markets()
    assert {"name": "Binance", "code": "A"} in exchanges
    assert any(m["symbol"] == "BTCUSDT_PERP.A" for m in markets)
    assert client.stats.catalogue_units == 2 and client.stats.units_spent == 0
    assert [r.units_charged for r in sim.log] == [1, 1]


def test_fetch_all_data_batch_has_every_field(make_client: ClientFactory) -> None:
    data = make_client().fetch_all_data_batch(["BTCUSDT_PERP.A", "ETHUSDT_PERP.A"])
    assert set(data) == {"BTCUSDT_PERP.A", "ETHUSDT_PERP.A"}
    for info in data.values():
        assert set(info) == {"oi_history", "funding_rate", "ls_ratio", "liquidations"}
        assert len(info["oi_history"]) > 0 and isinstance(info["funding_rate"], float)


# -- batch sizes and the quota window ------------------------------------------------------------------


def test_at_most_20_symbols_per_request(sim: RunningSimulator, make_client: ClientFactory) -> None:
    client = make_client()
    client.fetch_data_type(DataType.FUNDING_RATE, perps(45))
    assert [len(r.symbols) for r in sim.log] == [20, 20, 5]
    with pytest.raises(ValueError):
        client.fetch_chunk(DataType.FUNDING_RATE, perps(21))


def test_small_quota_shrinks_batches(
    start_sim: SimFactory, make_client: ClientFactory, clock: FakeClock
) -> None:
    small = start_sim(calls=7, period=60.0)
    client = make_client(base_url=small.base_url, rate_limit_calls=7)
    client.fetch_data_type(DataType.FUNDING_RATE, perps(30))
    assert [len(r.symbols) for r in small.log] == [7, 7, 7, 7, 2]
    assert [r.time - T0 for r in small.log] == [0.0, 60.0, 120.0, 180.0, 240.0]
    assert all(r.status == 200 for r in small.log)


def test_200_symbols_four_data_types_within_quota(
    sim: RunningSimulator, make_client: ClientFactory, clock: FakeClock
) -> None:
    client = make_client()
    symbols = perps(200)
    data = client.fetch_all_data_batch(symbols)
    assert len(data) == 200
    log = sim.log
    assert all(r.status == 200 for r in log), "no 429 (nor anything else) on the way"
    assert client.stats.http_429 == 0 and client.stats.retries == 0
    assert client.stats.units_spent == 800 == sum(r.units_charged for r in log)
    assert all(len(r.symbols) <= 20 for r in log) and len(log) == 40
    assert_server_window_holds(log, 40, 60.0)
    # Earliest-moment pacing: 800 units at 40 per 60 s take exactly (800/40 − 1) windows.
    assert clock.now() - T0 == 19 * 60.0


# -- 429, 401, faults ----------------------------------------------------------------------------------


def test_429_with_decimal_retry_after(
    sim: RunningSimulator, make_client: ClientFactory, clock: FakeClock, tmp_path: Path
) -> None:
    other = make_client(cache_dir=tmp_path / "other-process")  # same key, its own limiter state
    other.fetch_data_type(DataType.FUNDING_RATE, perps(40))
    clock.advance(10.5)
    client = make_client()
    outcome = client.fetch_chunk(DataType.FUNDING_RATE, KNOWN)
    assert outcome.failed is None and set(outcome.data) == set(KNOWN)
    mine = sim.log[2:]
    assert [r.status for r in mine] == [429, 200]
    assert [r.time - T0 for r in mine] == [10.5, 60.0]  # waited exactly Retry-After "49.500"
    assert client.stats.http_429 == 1 and client.stats.retries == 1
    assert client.stats.units_spent == 2 and outcome.units == 2  # the 429 was not charged


def test_429_without_retry_after_waits_a_full_window(
    sim: RunningSimulator, make_client: ClientFactory, clock: FakeClock, logs: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    sim.script(Fault.RATE_LIMIT_NO_RETRY_AFTER, path="/funding-rate")
    outcome = client.fetch_chunk(DataType.FUNDING_RATE, KNOWN)
    assert outcome.failed is None
    assert [(r.status, r.time - T0) for r in sim.log] == [(429, 0.0), (200, 60.0)]
    assert client.stats.http_429 == 1 and client.stats.retries == 1
    # said in words and in the one duration form (docs/design.md §16), never "Retry-After None"
    assert "HTTP 429 on /funding-rate: waiting 1m00s (no Retry-After: one window)" in logs.messages
    assert not any("Retry-After None" in m for m in logs.messages)


def test_429_with_integer_retry_after(
    start_sim: SimFactory, make_client: ClientFactory, clock: FakeClock, tmp_path: Path
) -> None:
    whole = start_sim(retry_after_decimals=0)  # a server that writes "50", not "49.500"
    other = make_client(base_url=whole.base_url, cache_dir=tmp_path / "other-process")
    other.fetch_data_type(DataType.FUNDING_RATE, perps(40))
    clock.advance(10.5)
    client = make_client(base_url=whole.base_url)
    outcome = client.fetch_chunk(DataType.FUNDING_RATE, KNOWN)
    assert outcome.failed is None and set(outcome.data) == set(KNOWN)
    mine = whole.log[2:]
    assert [r.status for r in mine] == [429, 200]
    assert [r.time - T0 for r in mine] == [10.5, 60.5]  # waited exactly Retry-After "50"
    assert client.stats.http_429 == 1 and client.stats.retries == 1


def test_429_budget_is_bounded(clock: FakeClock, tmp_path: Path) -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(clock.now())
        return httpx.Response(429, headers={"Retry-After": "1.5"})

    settings = load_settings(api_key=KEY, base_url="http://127.0.0.1:9/v1")
    http = httpx.Client(transport=httpx.MockTransport(handler))
    with CoinalyzeBatchClient(settings, http=http, clock=clock, cache_dir=tmp_path) as client:
        outcome = client.fetch_chunk(DataType.FUNDING_RATE, KNOWN)
        assert outcome.failed is not None and "HTTP 429" in outcome.failed and "6 retries" in outcome.failed
        assert len(calls) == 7 and client.stats.http_429 == 7 and client.stats.units_spent == 0


def test_401_stops_at_once(start_sim: SimFactory, make_client: ClientFactory) -> None:
    strict = start_sim(api_keys=frozenset({"the-only-good-key"}))
    client = make_client(base_url=strict.base_url)
    with pytest.raises(AuthenticationError) as info:
        client.fetch_chunk(DataType.FUNDING_RATE, KNOWN)
    assert len(strict.log) == 1 and client.stats.retries == 0 and client.stats.units_spent == 0
    assert info.value.status_code == 401 and KEY not in str(info.value)
    assert client.limiter.used() == 0  # a refused request is not charged
    with pytest.raises(AuthenticationError):
        client.get_exchanges()
    assert len(strict.log) == 2


def test_revoked_key_mid_run_propagates(sim: RunningSimulator, make_client: ClientFactory) -> None:
    client = make_client()
    client.fetch_chunk(DataType.FUNDING_RATE, KNOWN)
    sim.revoke_key(KEY)
    with pytest.raises(AuthenticationError):
        client.fetch_data_type(DataType.LS_RATIO, KNOWN)


def test_missing_key_is_a_config_error_before_any_request(
    sim: RunningSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    settings = load_settings(base_url=sim.base_url)
    with CoinalyzeBatchClient(settings, clock=clock, cache_dir=tmp_path) as client:
        with pytest.raises(ConfigError, match="COINALYZE_API_KEY"):
            client.fetch_chunk(DataType.FUNDING_RATE, KNOWN)
        with pytest.raises(ConfigError):
            client.get_exchanges()
    assert sim.log == []


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.HTML_502, Fault.TRUNCATED])
def test_temporary_faults_are_retried(
    sim: RunningSimulator, make_client: ClientFactory, clock: FakeClock, fault: Fault
) -> None:
    client = make_client()
    sim.script(fault, path="/open-interest-history")
    outcome = client.fetch_chunk(DataType.OI_HISTORY, KNOWN)
    assert outcome.failed is None and all(outcome.data[s] for s in KNOWN)
    assert [r.fault for r in sim.log] == [fault, None]
    assert client.stats.retries == 1 and client.stats.requests == 2
    assert client.stats.units_spent == 4 == outcome.units  # the faulted answer was charged too
    assert 1.0 in clock.sleeps  # backoff on the shared clock, not a real wait


def test_slow_answer_times_out_and_is_retried(
    start_sim: SimFactory, make_client: ClientFactory, clock: FakeClock
) -> None:
    slow = start_sim(slow_seconds=0.6)
    client = make_client(base_url=slow.base_url, http_timeout=0.3)
    slow.script(Fault.SLOW, path="/funding-rate")
    outcome = client.fetch_chunk(DataType.FUNDING_RATE, KNOWN)
    assert outcome.failed is None and client.stats.retries == 1
    assert [r.fault for r in slow.log] == [Fault.SLOW, None]


def test_a_failing_chunk_fails_alone(
    sim: RunningSimulator, make_client: ClientFactory, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    sim.script(Fault.SERVER_ERROR, path="/funding-rate", count=4)  # the first chunk's 4 tries
    symbols = perps(25)
    with caplog.at_level(logging.WARNING, logger="quantpro"):
        data = client.fetch_data_type(DataType.FUNDING_RATE, symbols)
    assert set(data) == set(symbols[20:])
    assert set(client.last_failures) == set(symbols[:20])
    reason = client.last_failures[symbols[0]]
    assert reason.startswith("HTTP 500") and reason.endswith("after 3 retries")
    backoffs = iter(clock.sleeps)  # 1, 2, 4 s of backoff, with the limiter's own waits in between
    assert all(any(s == want for s in backoffs) for want in (1.0, 2.0, 4.0))
    assert any("failed" in r.getMessage() for r in caplog.records)
    assert client.stats.units_spent == 4 * 20 + 5
    # the reference design's call still has an entry for every symbol
    filled = client.get_funding_rate_batch(symbols)
    assert len(filled) == 25


def test_connection_refused_degrades_without_charging(make_client: ClientFactory, clock: FakeClock) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}/v1")
    outcome = client.fetch_chunk(DataType.FUNDING_RATE, KNOWN)
    assert outcome == ChunkOutcome({}, outcome.failed, 0)
    assert outcome.failed is not None and "connection error" in outcome.failed
    assert client.stats.requests == 4 and client.stats.units_spent == 0 and client.limiter.used() == 0
    with pytest.raises(CoinalyzeError):
        client.get_exchanges()


# -- the cache -----------------------------------------------------------------------------------------


def test_cache_within_ttl_sends_nothing_and_refetches_after(
    sim: RunningSimulator, make_client: ClientFactory, clock: FakeClock, tmp_path: Path
) -> None:
    client = make_client()
    asked = [*KNOWN, "NOPE_PERP.A"]
    first = client.get_ls_ratio_batch(asked)
    assert len(sim.log) == 1 and first["NOPE_PERP.A"] is None
    clock.advance(14 * 60)
    assert client.get_ls_ratio_batch(asked) == first  # the empty answer too
    assert len(sim.log) == 1
    # another process on the same cache directory also sends nothing
    assert make_client(cache_dir=tmp_path / "cache").fetch_data_type(DataType.LS_RATIO, asked) == first
    assert len(sim.log) == 1
    clock.advance(60)
    client.get_ls_ratio_batch(asked)
    assert len(sim.log) == 2 and sim.log[-1].symbols == tuple(asked)


def test_cache_serves_only_missing_symbols(sim: RunningSimulator, make_client: ClientFactory) -> None:
    client = make_client()
    client.fetch_data_type(DataType.FUNDING_RATE, KNOWN[:1])
    client.fetch_data_type(DataType.FUNDING_RATE, KNOWN)
    assert [r.symbols for r in sim.log] == [(KNOWN[0],), (KNOWN[1],)]
    assert client.stats.units_spent == 2


def test_failed_chunks_are_not_cached(sim: RunningSimulator, make_client: ClientFactory) -> None:
    client = make_client()
    sim.script(Fault.SERVER_ERROR, path="/funding-rate", count=4)
    assert client.fetch_data_type(DataType.FUNDING_RATE, KNOWN) == {}
    assert set(client.fetch_data_type(DataType.FUNDING_RATE, KNOWN)) == set(KNOWN)


# -- secrecy and the factory -----------------------------------------------------------------------------


def test_key_never_in_urls_logs_or_files(
    start_sim: SimFactory,
    make_client: ClientFactory,
    clock: FakeClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = start_sim()
    client = make_client(base_url=sim.base_url)
    with caplog.at_level(logging.DEBUG):
        sim.script(Fault.SERVER_ERROR, Fault.RATE_LIMIT_NO_RETRY_AFTER, path="/funding-rate")
        client.fetch_all_data_batch(KNOWN)
        sim.revoke_key(KEY)
        with pytest.raises(AuthenticationError) as info:
            client.get_exchanges()
    assert caplog.records
    assert all(KEY not in r.getMessage() for r in caplog.records)
    assert all(KEY not in r.raw_query for r in sim.log)
    assert KEY not in str(info.value) and KEY not in repr(client.settings)
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes()


def test_get_batch_client_from_environment(
    sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COINALYZE_API_KEY", KEY)
    monkeypatch.setenv("COINALYZE_BASE_URL", sim.base_url)
    monkeypatch.setenv("QUANTPRO_CACHE_DIR", str(tmp_path / "env-cache"))
    with get_batch_client() as client:
        assert isinstance(client.clock, SystemClock) and isinstance(client.settings, Settings)
        assert client.cache_dir == tmp_path / "env-cache"
        assert client.get_exchanges()
    assert (tmp_path / "env-cache" / "coinalyze_ratelimit.json").is_file()


def test_top_level_import() -> None:
    import quantpro

    assert quantpro.get_batch_client is get_batch_client
    assert quantpro.CoinalyzeBatchClient is CoinalyzeBatchClient
