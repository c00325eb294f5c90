"""API faults, scripted on the simulator (never mocked): the scan finishes and tells the truth.

docs/design.md §5: 5xx, timeouts and malformed bodies are retried a bounded number of times with backoff,
429s wait ``Retry-After`` (or a full window), then a request that still fails degrades only its
markets (``oi_metadata.reason``, neutral score) and the scan goes on. §2/§8: a scan where more than a
quarter of the markets lacks data is ``failed`` and exits 3. Client and simulator share a FakeClock, so
every wait is free; only the SLOW fault costs real time (a short timeout).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantpro.clock import FakeClock, now_ms
from quantpro.runs.scan import ScanOutcome
from quantpro.simulator import Fault, RunningSimulator, SimulatorConfig, start_simulator
from quantpro.sources.coinalyze.responses import MAX_RATE_LIMIT_RETRIES, MAX_RETRIES

from .conftest import KEY, assert_three_signals_each, demo_universe, scan

OI = "/open-interest-history"
DATA_PATHS = {OI, "/funding-rate", "/long-short-ratio-history", "/liquidation-history"}
CATALOGUE = {"/exchanges", "/future-markets"}
MARKETS = 20
SEED = 4  # a seed whose 15 % draws meet every kind of fault in this scan


def _start(clock: FakeClock, **config: object) -> RunningSimulator:
    options: dict[str, object] = {"api_keys": frozenset({KEY}), "slow_seconds": 1.0}
    options.update(config)
    return start_simulator(SimulatorConfig(**options), clock=clock)  # type: ignore[arg-type]


@pytest.fixture
def slow_sim(clock: FakeClock) -> Iterator[RunningSimulator]:
    with _start(clock) as running:
        yield running


def _signals_by_market(outcome: ScanOutcome) -> dict[tuple[str, str], list[dict[str, object]]]:
    grouped: dict[tuple[str, str], list[dict[str, object]]] = {}
    for signal in outcome.signals:
        grouped.setdefault((str(signal["exchange"]), str(signal["symbol"])), []).append(signal)
    return grouped


def _oi(signal: dict[str, object]) -> dict[str, object]:
    meta = signal["oi_metadata"]
    assert isinstance(meta, dict)
    return meta


def _attempts_per_request(sim: RunningSimulator) -> Counter[tuple[str, tuple[str, ...]]]:
    """How many times each (data path, symbols) was sent: 1 + its retries."""
    return Counter((r.path, r.symbols) for r in sim.log if r.path in DATA_PATHS)


# -- one fault, retried -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [Fault.SERVER_ERROR, Fault.HTML_502, Fault.SLOW, Fault.TRUNCATED, Fault.RATE_LIMIT_NO_RETRY_AFTER],
)
def test_one_fault_is_retried_and_no_market_loses_its_data(
    fault: Fault, slow_sim: RunningSimulator, data_dir: Path, clock: FakeClock
) -> None:
    slow_sim.script(fault, path=OI)
    outcome = scan(slow_sim, data_dir, clock, http_timeout=0.5)

    assert outcome.exit_code == 0
    assert outcome.run.status == "ok" and outcome.run.degraded_markets == 0
    assert_three_signals_each(outcome, MARKETS)
    faulted = [r for r in slow_sim.log if r.fault is fault]
    assert len(faulted) == 1 and faulted[0].path == OI
    assert outcome.run.retries == 1
    assert outcome.run.requests == len(slow_sim.log)
    assert outcome.run.http_429 == (1 if fault is Fault.RATE_LIMIT_NO_RETRY_AFTER else 0)
    # the re-send asked for the same symbols and was answered
    retried = [r for r in slow_sim.log if r.path == OI and r.symbols == faulted[0].symbols]
    assert [r.status for r in retried][-1] == 200
    if fault is Fault.RATE_LIMIT_NO_RETRY_AFTER:  # no header: a full window before the re-send
        assert retried[1].time - retried[0].time >= slow_sim.simulator.config.period


def test_429_with_retry_after_is_honoured(clock: FakeClock, data_dir: Path) -> None:
    """The client believes in ten times the simulator's quota, so the simulator answers 429 with a
    decimal ``Retry-After``; each re-send waits that long and succeeds."""
    with _start(clock, calls=40, period=60.0) as sim:
        outcome = scan(sim, data_dir, clock, rate_limit_calls=400)
    limited = [i for i, r in enumerate(sim.log) if r.status == 429]
    assert limited, "the test needs the simulator to refuse at least once"
    assert outcome.exit_code == 0 and outcome.run.degraded_markets == 0
    assert_three_signals_each(outcome, MARKETS)
    assert outcome.run.http_429 == len(limited)
    for i in limited:  # the re-send of the same request came after the wait and was answered
        retry = next(
            r for r in sim.log[i + 1 :] if (r.path, r.symbols) == (sim.log[i].path, sim.log[i].symbols)
        )
        assert retry.status == 200
    assert outcome.run.units_spent == sum(r.units_charged for r in sim.log if r.path in DATA_PATHS)


def test_dropped_symbols_are_reported_as_missing_data_not_errors(
    sim: RunningSimulator, data_dir: Path, clock: FakeClock
) -> None:
    sim.script(Fault.DROP_SYMBOLS, path=OI)
    outcome = scan(sim, data_dir, clock)
    asked = next(r for r in sim.log if r.fault is Fault.DROP_SYMBOLS).symbols
    assert outcome.exit_code == 0 and outcome.run.retries == 0
    assert_three_signals_each(outcome, MARKETS)
    missing = [s for s in outcome.signals if _oi(s)["coinalyze_symbol"] in asked and not _oi(s)["value"]]
    assert missing, "some asked symbols must have come back without history"
    for signal in missing:
        assert _oi(signal)["reason"] == "no open interest history"
        assert _oi(signal)["oi_score"] == 10.0  # the neutral rule


# -- a request that keeps failing ---------------------------------------------------------------------


def test_a_request_that_keeps_failing_degrades_only_its_markets(clock: FakeClock, tmp_path: Path) -> None:
    """Batches of 3 symbols (a 3-unit window); the first OI request fails every time it is sent."""
    data_dir = demo_universe(tmp_path / "data", 60, at_ms=now_ms(clock))
    with _start(clock, calls=3, period=10.0) as sim:
        sim.script(Fault.SERVER_ERROR, path=OI, count=1 + MAX_RETRIES)
        outcome = scan(sim, data_dir, clock)
        first_oi = next(r for r in sim.log if r.path == OI).symbols
        leftover = sim.simulator.pending_faults()
    attempts = _attempts_per_request(sim)
    assert attempts[(OI, first_oi)] == 1 + MAX_RETRIES  # bounded
    assert_three_signals_each(outcome, 60)
    assert outcome.run.retries == sum(n - 1 for n in attempts.values())
    assert outcome.run.requests == len(sim.log)

    degraded = {
        key: signals
        for key, signals in _signals_by_market(outcome).items()
        if _oi(signals[0])["coinalyze_symbol"] in first_oi
    }
    assert degraded and outcome.run.degraded_markets == len(degraded)
    for signals in degraded.values():
        for signal in signals:
            meta = _oi(signal)
            assert "HTTP 500" in str(meta["reason"]) and f"after {MAX_RETRIES} retries" in str(meta["reason"])
            assert meta["oi_score"] == 10.0 and meta["z_score_valid"] is False  # neutral rule
    # every other mapped market got its data
    others = [s for s in outcome.signals if _oi(s)["coinalyze_symbol"] not in (None, *first_oi)]
    assert others and all(_oi(s)["reason"] is None for s in others)
    assert outcome.run.status == "degraded" and outcome.exit_code == 0, outcome.run
    assert leftover == 0


def test_429_storm_without_retry_after_is_bounded(clock: FakeClock, data_dir: Path) -> None:
    with _start(clock) as sim:
        sim.script(Fault.RATE_LIMIT_NO_RETRY_AFTER, path=OI, count=100)
        outcome = scan(sim, data_dir, clock)
    attempts = _attempts_per_request(sim)
    oi_requests = [n for (path, _), n in attempts.items() if path == OI]
    assert oi_requests and all(n == 1 + MAX_RATE_LIMIT_RETRIES for n in oi_requests)
    assert outcome.run.http_429 == sum(oi_requests)
    assert_three_signals_each(outcome, MARKETS)
    assert outcome.run.status == "failed" and outcome.exit_code == 3  # every mapped market lacks OI


# -- faults at a rate ----------------------------------------------------------------------------------


def test_fifteen_percent_of_requests_faulted_the_scan_still_finishes(
    tmp_path: Path, clock: FakeClock
) -> None:
    data_dir = demo_universe(tmp_path / "data", 60, at_ms=now_ms(clock))
    with _start(clock, calls=4, period=10.0, fault_rate=0.15, seed=SEED, slow_seconds=1.0) as sim:
        outcome = scan(sim, data_dir, clock, http_timeout=0.5)
    log = sim.log
    faults = Counter(r.fault for r in log if r.fault is not None)
    assert set(faults) == set(Fault), faults  # every kind was met
    assert 0.05 < sum(faults.values()) / len(log) < 0.35

    assert outcome.exit_code == 0, outcome.run
    assert_three_signals_each(outcome, 60)
    assert outcome.run.requests == len(log)
    assert outcome.run.http_429 == sum(1 for r in log if r.status == 429)
    assert outcome.run.retries == sum(n - 1 for n in _attempts_per_request(sim).values())
    assert outcome.run.retries >= sum(n for f, n in faults.items() if f is not Fault.DROP_SYMBOLS) - 3
    assert outcome.run.units_spent == sum(r.units_charged for r in log if r.path in DATA_PATHS)
    for signal in outcome.signals:
        meta = _oi(signal)
        if meta["status"] != "neutral" and not meta["value"]:
            assert meta["reason"], signal  # missing data always says why
            assert meta["oi_score"] == 10.0


# -- the API down --------------------------------------------------------------------------------------


def test_api_down_from_the_start_feed_says_failed_and_exit_3(
    sim: RunningSimulator, data_dir: Path, clock: FakeClock
) -> None:
    sim.set_down(True)
    outcome = scan(sim, data_dir, clock)
    assert outcome.exit_code == 3 and outcome.run.status == "failed"
    assert outcome.feed_path.exists()
    assert_three_signals_each(outcome, MARKETS)
    assert all("symbol catalogue unavailable" in str(_oi(s)["reason"]) for s in outcome.signals)
    assert all(_oi(s)["oi_score"] == 10.0 for s in outcome.signals)
    sent = Counter(r.path for r in sim.log)
    assert set(sent) <= CATALOGUE and all(n <= 1 + MAX_RETRIES for n in sent.values())  # bounded


def test_api_down_after_the_catalogue_was_cached_feed_says_failed_and_exit_3(
    sim: RunningSimulator, data_dir: Path, clock: FakeClock
) -> None:
    assert scan(sim, data_dir, clock).exit_code == 0  # catalogue and data cached
    clock.advance(16 * 60)  # data expired, catalogue still fresh
    sim.set_down(True)
    sim.simulator.clear_log()
    outcome = scan(sim, data_dir, clock)
    assert outcome.exit_code == 3 and outcome.run.status == "failed"
    assert_three_signals_each(outcome, MARKETS)
    mapped = [s for s in outcome.signals if _oi(s)["status"] != "neutral"]
    assert mapped and all("HTTP 503" in str(_oi(s)["reason"]) for s in mapped)
    # A down API parses no symbols, so requests are told apart by their order: each one was sent
    # 1 + MAX_RETRIES times in a row, then given up.
    attempts = [r.path for r in sim.log if r.path in DATA_PATHS]
    runs = [attempts[i : i + 1 + MAX_RETRIES] for i in range(0, len(attempts), 1 + MAX_RETRIES)]
    assert runs and all(len(set(run)) == 1 and len(run) == 1 + MAX_RETRIES for run in runs)
    assert outcome.run.retries == MAX_RETRIES * len(runs)
