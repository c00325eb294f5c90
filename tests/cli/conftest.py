"""Terminal-test fixtures: the simulator on loopback with the environment pointing the CLI at it, a
small demo data directory, and captured streams that may claim to be a terminal."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from quantpro.clock import SystemClock, now_ms
from quantpro.demo.universe import generate_demo_universe

KEY = "cli-terminal-canary-key-7f3a"


class Terminal(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="session")
def shared_sim() -> Iterator[Any]:
    from quantpro.simulator import SimulatorConfig, start_simulator

    with start_simulator(SimulatorConfig(calls=4000, period=10.0, api_keys=frozenset({KEY}))) as sim:
        yield sim


@pytest.fixture
def cli_sim(shared_sim: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The environment pointing the CLI (on the real clock) at the simulator, with a canary key."""
    monkeypatch.setenv("COINALYZE_API_KEY", KEY)
    monkeypatch.setenv("COINALYZE_BASE_URL", shared_sim.base_url)
    monkeypatch.setenv("QUANTPRO_RATE_LIMIT_CALLS", "4000")
    monkeypatch.setenv("QUANTPRO_RATE_LIMIT_PERIOD", "10")
    return shared_sim


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    generate_demo_universe(directory, 8, now_ms=now_ms(SystemClock()))
    return directory


@contextmanager
def streams(*, out_tty: bool = False, err_tty: bool = False) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """stdout and stderr captured, each a pipe or a terminal. Use inside the test body: pytest's own
    capture re-installs its streams between fixture set-up and the call."""
    out = Terminal() if out_tty else io.StringIO()
    err = Terminal() if err_tty else io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdout", out)
        mp.setattr(sys, "stderr", err)
        yield out, err
