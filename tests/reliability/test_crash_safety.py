"""Crash safety (docs/design.md §2, §8): the feed, every cache and the limiter's state are written
atomically, so a crash at any moment leaves the previous file or a valid new one; a corrupt cache is
rebuilt with a warning; Ctrl-C exits 130 with nothing half-written.

Crashes are real: a child ``quantpro scan`` either ends itself with ``os._exit`` from the test-only
hook of :mod:`quantpro.store.atomic` (just before / just after a chosen replace), or is SIGKILLed at seeded
random moments. Nothing in the child gets to clean up.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from quantpro.clock import FakeClock
from quantpro.demo.universe import generate_demo_universe
from quantpro.runs.scan import run_scan
from quantpro.settings import Settings, load_settings
from quantpro.simulator import Fault, RunningSimulator

from .conftest import (
    FEED,
    KEY,
    assert_json_files_parse,
    assert_valid_feed,
    child_env,
    quantpro_command,
    run_cli,
    scan,
    temp_files,
)

TARGETS = {
    "feed": FEED,
    "symbol cache": "coinalyze_symbols.json",
    "response cache": "coinalyze_cache/oi_history.json",
    "limiter state": "coinalyze_ratelimit.json",
}
#: Runs ``quantpro`` with the storage crash hook armed: the process dies (no clean-up at all, like
#: SIGKILL) or sends itself SIGINT (like Ctrl-C) at MOMENT of the first replace of the file NAME.
CHILD = """
import os, signal, sys
from quantpro.store import atomic as storage
from quantpro.cli import main
name, moment, action = sys.argv[1:4]
def hook(when, path):
    if when == moment and path.name == name:
        storage.set_crash_hook(None)
        if action == "die":
            os._exit(137)
        os.kill(os.getpid(), signal.SIGINT)
storage.set_crash_hook(hook)
sys.exit(main(sys.argv[4:]))
"""


def _now_ms() -> int:
    return int(time.time() * 1000)


def _settings(sim: RunningSimulator, data_dir: Path) -> Settings:
    return load_settings(
        api_key=KEY, base_url=sim.base_url, rate_limit_calls=4000, rate_limit_period=10.0, cache_dir=data_dir
    )


def _previous_state(sim: RunningSimulator, data_dir: Path) -> None:
    """A completed scan of a smaller universe on the real clock: previous feed, caches, limiter state.
    The next scan then has new markets to fetch, so it rewrites every file."""
    generate_demo_universe(data_dir, 8, now_ms=_now_ms())
    assert run_scan(_settings(sim, data_dir), data_dir).exit_code == 0
    generate_demo_universe(data_dir, 15, now_ms=_now_ms())


def _snapshot(data_dir: Path) -> dict[str, bytes]:
    return {label: (data_dir / rel).read_bytes() for label, rel in TARGETS.items()}


def _child(
    data_dir: Path, env: dict[str, str], name: str, moment: str, action: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, name, moment, action, "scan", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# -- the writer crashes just before / just after each replace ---------------------------------------


@pytest.mark.parametrize("moment", ["before_replace", "after_replace"])
@pytest.mark.parametrize("target", list(TARGETS))
def test_a_crash_around_each_replace_leaves_the_old_file_or_a_valid_new_one(
    target: str, moment: str, live_sim: RunningSimulator, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    _previous_state(live_sim, data_dir)
    before = _snapshot(data_dir)
    env = child_env(live_sim, data_dir, QUANTPRO_SYMBOLS_TTL_HOURS="0")  # the catalogue is rewritten too

    result = _child(data_dir, env, Path(TARGETS[target]).name, moment, "die")

    assert result.returncode == 137, result.stderr
    path = data_dir / TARGETS[target]
    if moment == "before_replace":
        assert path.read_bytes() == before[target]  # byte-identical to the previous one
        assert temp_files(data_dir), "a real crash leaves its temporary file behind"
    else:
        assert path.read_bytes() != before[target]  # the new one, complete
    assert_json_files_parse(data_dir)
    assert_valid_feed(data_dir / FEED)

    # the next scan is not disturbed: leftovers are neither read nor reported, and it finishes
    for leftover in temp_files(data_dir):
        os.utime(leftover, (time.time() - 7200, time.time() - 7200))  # a crash from two hours ago
    assert run_scan(_settings(live_sim, data_dir), data_dir).exit_code == 0
    feed = assert_valid_feed(data_dir / FEED)
    assert feed["run"]["skipped_files"] == [] and feed["run"]["markets"] == 15
    assert temp_files(data_dir) == []  # stale temporary files are cleaned up at the start of a scan


# -- SIGKILL at random moments ----------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_at_random_moments_never_tears_the_feed_or_a_cache(
    live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    data_dir = live_data_dir
    # every scan refetches the catalogue and the data, so each writes every file
    env = child_env(live_sim, data_dir, QUANTPRO_SYMBOLS_TTL_HOURS="0", QUANTPRO_RESPONSE_TTL_MINUTES="0")
    started = time.monotonic()
    first = run_cli(env, "scan", str(data_dir))
    duration = time.monotonic() - started  # only to choose kill moments, never asserted
    assert first.returncode == 0, first.stderr
    previous = (data_dir / FEED).read_bytes()

    rng = random.Random(20260119)
    outcomes = []
    for _ in range(6):
        child = subprocess.Popen(
            quantpro_command("scan", str(data_dir)),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, duration * 1.1))
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        current = (data_dir / FEED).read_bytes()
        if current == previous:
            outcomes.append("previous")
        else:
            assert_valid_feed(data_dir / FEED)
            outcomes.append("new")
            previous = current
        assert_json_files_parse(data_dir)
    print("kill outcomes:", outcomes)

    final = run_cli(env, "scan", str(data_dir))
    assert final.returncode == 0, final.stderr
    assert_valid_feed(data_dir / FEED)


# -- corrupt caches ---------------------------------------------------------------------------------


def test_corrupt_or_truncated_caches_are_rebuilt_with_a_warning(
    sim: RunningSimulator,
    data_dir: Path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert scan(sim, data_dir, clock).exit_code == 0
    damaged = {
        "coinalyze_cache/oi_history.json": lambda b: b[: len(b) // 2],  # torn mid-JSON
        "coinalyze_cache/funding_rate.json": lambda b: b"",  # empty
        "coinalyze_symbols.json": lambda b: b"[1, 2",  # torn
        "coinalyze_ratelimit.json": lambda b: b"\x00\x00garbage",  # not JSON at all
    }
    for rel, damage in damaged.items():
        path = data_dir / rel
        path.write_bytes(damage(path.read_bytes()))
    sim.simulator.clear_log()
    caplog.set_level(logging.WARNING, logger="quantpro")

    outcome = scan(sim, data_dir, clock)

    assert outcome.exit_code == 0 and outcome.run.status == "ok"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for rel in damaged:
        assert any(Path(rel).name in line for line in warnings), rel
    assert_json_files_parse(data_dir)
    for rel in damaged:
        assert orjson.loads((data_dir / rel).read_bytes())  # rebuilt, not empty
    asked = {r.path for r in sim.log}  # only what was lost is fetched again
    assert asked == {"/exchanges", "/future-markets", "/open-interest-history", "/funding-rate"}


# -- Ctrl-C -----------------------------------------------------------------------------------------


def _assert_interrupted_cleanly(result_code: int, stderr: str, data_dir: Path) -> None:
    assert result_code == 130, stderr
    assert "interrupted" in stderr.lower()
    assert "Traceback" not in stderr
    assert temp_files(data_dir) == []  # nothing half-written left behind
    assert_json_files_parse(data_dir)


def test_ctrl_c_during_the_api_phase_exits_130_and_keeps_the_previous_feed(
    live_sim: RunningSimulator, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    _previous_state(live_sim, data_dir)
    previous = (data_dir / FEED).read_bytes()
    live_sim.script(Fault.SLOW, path="/open-interest-history")  # a request in flight for a second
    child = subprocess.Popen(
        quantpro_command("scan", str(data_dir)),
        env=child_env(live_sim, data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stalled = threading.Event()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and child.poll() is None:
        if any(r.fault is Fault.SLOW for r in live_sim.log):
            stalled.set()
            break
        time.sleep(0.005)
    assert stalled.is_set()
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=30)

    _assert_interrupted_cleanly(child.returncode, stderr, data_dir)
    assert (data_dir / FEED).read_bytes() == previous


@pytest.mark.parametrize(
    ("target", "moment"),
    [("feed", "before_replace"), ("feed", "after_replace"), ("response cache", "before_replace")],
)
def test_ctrl_c_while_a_file_is_written_exits_130_with_nothing_half_written(
    target: str, moment: str, live_sim: RunningSimulator, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    _previous_state(live_sim, data_dir)
    before = _snapshot(data_dir)

    result = _child(data_dir, child_env(live_sim, data_dir), Path(TARGETS[target]).name, moment, "sigint")

    _assert_interrupted_cleanly(result.returncode, result.stderr, data_dir)
    current = (data_dir / TARGETS[target]).read_bytes()
    assert (current == before[target]) is (moment == "before_replace")
    assert_valid_feed(data_dir / FEED)
