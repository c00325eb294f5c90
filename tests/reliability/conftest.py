"""Shared pieces of the reliability tests (issue 5): demo universes, scans in-process and in
subprocesses against the simulator, and checks that a feed on disk is whole and valid.

In-process scans run the client and the simulator on one FakeClock, so quota waits, backoffs and full
windows after a 429 cost nothing. Subprocess scans (SIGKILL, Ctrl-C, two scans at once, the key test)
talk to a simulator started here on the real clock with a high quota, so they finish in seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from quantpro.clock import FakeClock, now_ms
from quantpro.demo.universe import generate_demo_universe
from quantpro.feed import load_schema
from quantpro.runs.scan import ScanOutcome, run_scan
from quantpro.settings import load_settings
from quantpro.simulator import RunningSimulator, SimulatorConfig, start_simulator

KEY = "reliability-test-key"
#: A quota high enough that subprocess scans never wait for it (docs/design.md §9 lets tests raise it).
FAST_CALLS, FAST_PERIOD = 4000, 10.0
STRATEGIES = {"Legacy", "Breakout", "BreakoutV2"}
FEED = "master_feed.json"


# -- data -------------------------------------------------------------------------------------------


def demo_universe(directory: Path, markets: int, *, at_ms: int) -> Path:
    generate_demo_universe(directory, markets, now_ms=at_ms)
    return directory


@pytest.fixture
def data_dir(tmp_path: Path, clock: FakeClock) -> Path:
    """Twenty demo markets ending at the fake clock's now (for in-process scans)."""
    return demo_universe(tmp_path / "data", 20, at_ms=now_ms(clock))


@pytest.fixture
def live_data_dir(tmp_path: Path) -> Path:
    """Fifteen demo markets ending at the real now (for subprocess scans on the real clock)."""
    return demo_universe(tmp_path / "data", 15, at_ms=int(time.time() * 1000))


# -- in-process scans -----------------------------------------------------------------------------------


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[RunningSimulator]:
    """The simulator on the test's FakeClock, at the real API's quota (waits are free)."""
    with start_simulator(SimulatorConfig(api_keys=frozenset({KEY})), clock=clock) as running:
        yield running


def scan(sim: RunningSimulator, data_dir: Path, clock: FakeClock, **overrides: Any) -> ScanOutcome:
    """``run_scan`` in-process against ``sim``; the client's window matches the simulator's."""
    options: dict[str, Any] = {
        "api_key": KEY,
        "base_url": sim.base_url,
        "rate_limit_calls": sim.simulator.config.calls,
        "rate_limit_period": sim.simulator.config.period,
        "cache_dir": data_dir,
    }
    options.update(overrides)
    progress = options.pop("progress", None)
    return run_scan(load_settings(**options), data_dir, clock=clock, progress=progress)


# -- subprocess scans -------------------------------------------------------------------------------


@pytest.fixture
def live_sim() -> Iterator[RunningSimulator]:
    """A simulator on the real clock, reachable from child processes, quota high."""
    config = SimulatorConfig(calls=FAST_CALLS, period=FAST_PERIOD, api_keys=frozenset({KEY}))
    with start_simulator(config, port=0) as running:
        yield running


def child_env(
    sim: RunningSimulator, cache_dir: Path, *, key: str | None = KEY, **extra: str
) -> dict[str, str]:
    """The environment of a child scan: the simulator, the key, the cache dir, the simulator's quota."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUANTPRO_", "COINALYZE_"))}
    env.update(
        COINALYZE_BASE_URL=sim.base_url,
        QUANTPRO_CACHE_DIR=str(cache_dir),
        QUANTPRO_RATE_LIMIT_CALLS=str(sim.simulator.config.calls),
        QUANTPRO_RATE_LIMIT_PERIOD=str(sim.simulator.config.period),
        QUANTPRO_DERIVATIVES="coinalyze",  # part one's scans: no venue calls from a child process
        COLUMNS="160",
    )
    if key is not None:
        env["COINALYZE_API_KEY"] = key
    env.update(extra)
    return env


def quantpro_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "quantpro", *args]


def start_scan(data_dir: Path, env: Mapping[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        quantpro_command(*args, "scan", str(data_dir)),
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run_cli(env: Mapping[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        quantpro_command(*args), env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )


# -- checks ------------------------------------------------------------------------------------------


def assert_valid_feed(path: Path) -> dict[str, Any]:
    """The feed parses, matches the JSON Schema and has three signals per market; returns it."""
    feed: dict[str, Any] = orjson.loads(path.read_bytes())
    jsonschema.validate(feed, load_schema())
    per_market = Counter((s["exchange"], s["symbol"]) for s in feed["signals"])
    assert len(per_market) == feed["run"]["markets"]
    assert all(count == 3 for count in per_market.values())
    strategies = {(s["exchange"], s["symbol"], s["strategy_name"]) for s in feed["signals"]}
    assert {name for *_, name in strategies} <= STRATEGIES
    assert len(strategies) == 3 * feed["run"]["markets"]
    return feed


def assert_three_signals_each(outcome: ScanOutcome, markets: int) -> None:
    per_market = Counter((s["exchange"], s["symbol"]) for s in outcome.signals)
    assert len(per_market) == markets
    assert set(per_market.values()) == {3}


def temp_files(*directories: Path) -> list[Path]:
    """Temporary files of interrupted atomic writes (``.NAME.XXXX.tmp``) under ``directories``."""
    return sorted(p for d in directories for p in d.rglob(".*.tmp"))


def assert_json_files_parse(directory: Path) -> None:
    """Every cache and state file the scanner owns parses (none is torn)."""
    owned = [directory / "coinalyze_symbols.json", directory / "coinalyze_ratelimit.json", directory / FEED]
    owned += sorted((directory / "coinalyze_cache").glob("*.json"))
    for path in owned:
        if path.exists():
            orjson.loads(path.read_bytes())
