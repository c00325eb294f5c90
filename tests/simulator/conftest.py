"""A running simulator on loopback sharing the test's FakeClock, and an httpx client for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from quantpro.clock import FakeClock
from quantpro.simulator import RunningSimulator, SimulatorConfig, start_simulator

KEY = "test-key"


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[RunningSimulator]:
    with start_simulator(SimulatorConfig(), clock=clock) as running:
        yield running


@pytest.fixture
def http(sim: RunningSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url + "/", headers={"api_key": KEY}, timeout=10) as client:
        yield client
