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


def make_watcher(settings: Any, data_dir: Path, clock: Any, *, phases: Any = None, **options: Any) -> Any:
    """A watcher on ``data_dir`` without download (the demo files are the data), on ``clock``."""
    from quantpro.runs.watch import Watcher
    from quantpro.runs.watch_phases import Phases, WatchRequest, coinalyze_source

    request = WatchRequest(
        data_dir=data_dir, download=False, **{"every_s": 900.0, "delay_s": 20.0, **options}
    )
    return Watcher(settings, request, phases or Phases(source=coinalyze_source), clock)


def read_status(data_dir: Path) -> dict[str, Any]:
    import orjson

    status: dict[str, Any] = orjson.loads((data_dir / "watch_status.json").read_bytes())
    return status
