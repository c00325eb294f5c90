"""Fixtures for §14: settings isolation, a demo data directory, the simulator on a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantpro.clock import FakeClock, now_ms
from quantpro.demo.universe import generate_demo_universe

KEY = "watch-canary-key-5d1e9b"

_WATCH_ENV = (
    "QUANTPRO_ALERT_URLS",
    "QUANTPRO_ALERT_MIN_SCORE",
    "QUANTPRO_HISTORY_DAYS",
    "QUANTPRO_STORE_PATH",
    "QUANTPRO_DERIVATIVES",
)


@pytest.fixture(autouse=True)
def _no_watch_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _WATCH_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def demo_dir(tmp_path: Path, clock: FakeClock) -> Path:
    directory = tmp_path / "data"
    generate_demo_universe(directory, 6, now_ms=now_ms(clock))
    return directory


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Any]:
    from quantpro.simulator import SimulatorConfig, start_simulator

    with start_simulator(
        SimulatorConfig(calls=4000, period=10.0, api_keys=frozenset({KEY})), clock=clock
    ) as s:
        yield s


def sim_settings(sim: Any, **overrides: Any) -> Any:
    from quantpro.settings import load_settings

    return load_settings(
        api_key=KEY, base_url=sim.base_url, rate_limit_calls=4000, rate_limit_period=10.0, **overrides
    )
