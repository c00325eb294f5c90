"""Issue 16 §9: a lock held by a frozen process (SIGSTOP) makes a later scan wait a bounded time and then
stop with one clear line naming the lock and its holder (exit 1, no feed, the previous feed untouched)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantpro.cli.main import main
from quantpro.clock import FakeClock
from quantpro.net import ratelimit
from quantpro.simulator import RunningSimulator

from .conftest import FEED, KEY, scan

HOLD = """
import os, signal, sys
from quantpro.store.locks import BoundedLock
lock = BoundedLock(sys.argv[1], what="test")
lock.acquire()
print("held", flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
"""


@pytest.fixture
def frozen_holder(data_dir: Path) -> Iterator[int]:
    """A process that takes the Coinalyze quota lock, then freezes (SIGSTOP) while holding it."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir / "coinalyze_ratelimit.lock")], stdout=subprocess.PIPE
    )
    assert child.stdout is not None and child.stdout.readline().strip() == b"held"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "T" not in Path(f"/proc/{child.pid}/stat").read_text().split()[2]:
        time.sleep(0.02)
    try:
        yield child.pid
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()


@pytest.mark.timeout(60)  # today's code waits forever: fail instead of hanging the suite
def test_a_frozen_holder_is_named_after_a_bounded_wait(
    frozen_holder: int,
    sim: RunningSimulator,
    data_dir: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (data_dir / FEED).write_text("previous feed")
    monkeypatch.setattr(ratelimit, "LOCK_TIMEOUT_S", 1.0)
    monkeypatch.setenv("COINALYZE_API_KEY", KEY)
    monkeypatch.setenv("COINALYZE_BASE_URL", sim.base_url)
    monkeypatch.setenv("QUANTPRO_CACHE_DIR", str(data_dir))
    started = time.monotonic()
    code = main(["scan", "--allow-stale", str(data_dir)])
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 1
    assert elapsed < 15
    lines = [line for line in err.splitlines() if "lock" in line and "held by" in line]
    assert len(lines) == 1, err
    assert f"pid {frozen_holder}" in lines[0] and "coinalyze_ratelimit.lock" in lines[0]
    assert "Traceback" not in err
    assert (data_dir / FEED).read_text() == "previous feed"


def test_the_lock_is_free_again_once_the_holder_is_gone(
    sim: RunningSimulator, data_dir: Path, clock: FakeClock
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir / "coinalyze_ratelimit.lock")], stdout=subprocess.PIPE
    )
    assert child.stdout is not None and child.stdout.readline().strip() == b"held"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert scan(sim, data_dir, clock).exit_code == 0
