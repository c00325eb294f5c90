"""Faults, scripted and random (docs/design.md §9)."""

from __future__ import annotations

import json

import httpx
import pytest

from quantpro.clock import FakeClock
from quantpro.simulator import Fault, RunningSimulator, SimulatorConfig, start_simulator

from .conftest import KEY

SYMBOLS = "BTCUSDT_PERP.A,ETHUSDT_PERP.A,BTC.H,SOLUSDT.6"


def _oi_history(client: httpx.Client, now: float, symbols: str = SYMBOLS) -> httpx.Response:
    params = {"symbols": symbols, "interval": "15min", "from": str(int(now - 3600)), "to": str(int(now))}
    return client.get("open-interest-history", params=params)


def test_scripted_faults_hit_matching_requests_in_order(
    sim: RunningSimulator, http: httpx.Client, clock: FakeClock
) -> None:
    sim.script(Fault.SERVER_ERROR, Fault.HTML_502, path="/open-interest-history")
    assert http.get("funding-rate", params={"symbols": "BTC.H"}).status_code == 200  # other path: untouched
    first, second, third = (_oi_history(http, clock.now()) for _ in range(3))
    assert first.status_code == 500 and "message" in first.json()
    assert second.status_code == 502 and second.headers["content-type"].startswith("text/html")
    assert "<html>" in second.text
    assert third.status_code == 200
    assert [r.units_charged for r in sim.log] == [1, 4, 4, 4]  # faulted answers are charged


def test_count_repeats_each_fault(sim: RunningSimulator, http: httpx.Client, clock: FakeClock) -> None:
    sim.script(Fault.SERVER_ERROR, count=2)
    assert [_oi_history(http, clock.now()).status_code for _ in range(3)] == [500, 500, 200]


def test_truncated_is_200_with_broken_json(
    sim: RunningSimulator, http: httpx.Client, clock: FakeClock
) -> None:
    sim.script(Fault.TRUNCATED)
    r = _oi_history(http, clock.now())
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


def test_429_without_retry_after_is_not_charged(
    sim: RunningSimulator, http: httpx.Client, clock: FakeClock
) -> None:
    sim.script(Fault.RATE_LIMIT_NO_RETRY_AFTER)
    r = _oi_history(http, clock.now())
    assert r.status_code == 429 and "retry-after" not in r.headers
    assert sim.simulator.units_used(KEY) == 0


def test_drop_symbols_omits_some_known_symbols(
    sim: RunningSimulator, http: httpx.Client, clock: FakeClock
) -> None:
    full = [item["symbol"] for item in _oi_history(http, clock.now()).json()]
    sim.script(Fault.DROP_SYMBOLS)
    dropped = [item["symbol"] for item in _oi_history(http, clock.now()).json()]
    assert len(full) == 4 and 0 < len(dropped) < 4 and set(dropped) < set(full)


def test_slow_answer_trips_a_short_timeout_then_answers_a_patient_client(clock: FakeClock) -> None:
    with start_simulator(SimulatorConfig(slow_seconds=0.4), clock=clock) as sim:
        sim.script(Fault.SLOW, count=2)
        hasty = httpx.Client(base_url=sim.base_url + "/", headers={"api_key": KEY}, timeout=0.1)
        with hasty, pytest.raises(httpx.TimeoutException):
            _oi_history(hasty, clock.now())
        with httpx.Client(base_url=sim.base_url + "/", headers={"api_key": KEY}, timeout=5) as patient:
            r = _oi_history(patient, clock.now())
        assert r.status_code == 200 and len(r.json()) == 4


def test_catalogue_endpoints_take_only_explicitly_scripted_faults(clock: FakeClock) -> None:
    with (
        start_simulator(SimulatorConfig(fault_rate=1.0, seed=1), clock=clock) as sim,
        httpx.Client(base_url=sim.base_url + "/", headers={"api_key": KEY}) as client,
    ):
        assert all(client.get(p).status_code == 200 for p in ("exchanges", "future-markets", "spot-markets"))
        sim.script(Fault.SERVER_ERROR, path="/exchanges")
        assert client.get("exchanges").status_code == 500


def _fault_sequence(clock: FakeClock, seed: int) -> list[Fault | None]:
    config = SimulatorConfig(calls=10**6, fault_rate=0.5, seed=seed, slow_seconds=0.05)
    with start_simulator(config, clock=clock) as sim:
        client = httpx.Client(base_url=sim.base_url + "/", headers={"api_key": KEY}, timeout=5)
        with client:
            for _ in range(12):
                _oi_history(client, clock.now(), "BTC.H")
        return [r.fault for r in sim.log]


def test_random_faults_are_reproducible_by_seed(clock: FakeClock) -> None:
    first = _fault_sequence(clock, seed=7)
    assert first == _fault_sequence(clock, seed=7)
    assert any(f is not None for f in first) and any(f is None for f in first)
    assert first != _fault_sequence(clock, seed=8)
