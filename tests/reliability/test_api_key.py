"""A missing, invalid or revoked key (docs/design.md §2): exit 2 after at most one refused request, a
message that says what to do, no feed written, the previous feed intact; no key → nothing starts.

Real ``quantpro scan`` processes against a simulator that accepts only :data:`KEY`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from quantpro.simulator import Fault, RunningSimulator

from .conftest import FEED, KEY, child_env, run_cli, temp_files

WRONG_KEY = "not-the-right-key"


def _tree(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }


def _refused(sim: RunningSimulator) -> int:
    return sum(1 for r in sim.log if r.status in (401, 403))


def _assert_says_what_to_do(stderr: str) -> None:
    assert "COINALYZE_API_KEY" in stderr
    assert "Traceback" not in stderr


def test_a_run_without_a_key_does_not_start(live_sim: RunningSimulator, live_data_dir: Path) -> None:
    before = _tree(live_data_dir)
    result = run_cli(child_env(live_sim, live_data_dir, key=None), "scan", str(live_data_dir))
    assert result.returncode == 2
    _assert_says_what_to_do(result.stderr)
    assert ".env" in result.stderr  # where to put it
    assert live_sim.log == []  # not one request
    assert _tree(live_data_dir) == before  # nothing written, not even a cache
    assert result.stdout == ""


def test_an_invalid_key_on_a_cold_start_exits_2_after_one_refusal(
    live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    result = run_cli(child_env(live_sim, live_data_dir, key=WRONG_KEY), "scan", str(live_data_dir))
    assert result.returncode == 2
    _assert_says_what_to_do(result.stderr)
    assert "refused" in result.stderr
    assert _refused(live_sim) == 1 and len(live_sim.log) == 1
    assert not (live_data_dir / FEED).exists()


def test_an_invalid_key_keeps_the_previous_feed(live_sim: RunningSimulator, live_data_dir: Path) -> None:
    good = run_cli(child_env(live_sim, live_data_dir), "scan", str(live_data_dir))
    assert good.returncode == 0, good.stderr
    previous = (live_data_dir / FEED).read_bytes()
    live_sim.simulator.clear_log()

    env = child_env(live_sim, live_data_dir, key=WRONG_KEY, QUANTPRO_RESPONSE_TTL_MINUTES="0")
    result = run_cli(env, "scan", str(live_data_dir))
    assert result.returncode == 2
    _assert_says_what_to_do(result.stderr)
    assert "previous feed" in result.stderr
    assert _refused(live_sim) == 1 and len(live_sim.log) == 1
    assert (live_data_dir / FEED).read_bytes() == previous
    assert temp_files(live_data_dir) == []


def test_a_key_revoked_mid_run_stops_at_the_first_refusal_and_keeps_the_previous_feed(
    live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    good = run_cli(child_env(live_sim, live_data_dir), "scan", str(live_data_dir))
    assert good.returncode == 0, good.stderr
    previous = (live_data_dir / FEED).read_bytes()
    live_sim.simulator.clear_log()

    # The first data request stalls for a second (within the timeout); while it does, the key is
    # revoked, so the run's next request is the first to be refused. Deterministic, no sleeps to tune.
    live_sim.script(Fault.SLOW, path="/open-interest-history")
    revoked = threading.Event()

    def revoke_when_stalled() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(r.fault is Fault.SLOW for r in live_sim.log):
                live_sim.revoke_key(KEY)
                revoked.set()
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=revoke_when_stalled, daemon=True)
    watcher.start()
    env = child_env(live_sim, live_data_dir, QUANTPRO_RESPONSE_TTL_MINUTES="0")
    result = run_cli(env, "scan", str(live_data_dir))
    watcher.join(5)

    assert revoked.is_set()
    assert result.returncode == 2, result.stderr
    _assert_says_what_to_do(result.stderr)
    assert _refused(live_sim) == 1
    assert live_sim.log[-1].status == 401  # nothing was sent after the refusal
    assert [r.status for r in live_sim.log[:-1]] == [200] * (len(live_sim.log) - 1)
    assert (live_data_dir / FEED).read_bytes() == previous
    assert temp_files(live_data_dir) == []
