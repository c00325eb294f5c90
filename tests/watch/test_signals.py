"""SIGTERM and SIGINT in each phase (§14): exit 0 / 130, every file whole, the lock released.

In-process with a real signal sent to this process from the phase hook (the handler runs in the main
thread, as in a real watcher); one subprocess test checks the command's exit codes end to end.
"""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from quantpro.clock import FakeClock
from quantpro.runs.watch_phases import Phases, coinalyze_source
from quantpro.runs.watch_status import PHASES

from .conftest import make_watcher, read_status, sim_settings

#: Phases a signal does not interrupt: they finish, then the watcher stops.
CRITICAL = {"feed", "history", "alerts", "status"}


def _check_files_whole(data_dir: Path, settings: Any) -> None:
    for path in data_dir.iterdir():
        assert not path.name.endswith(".tmp"), f"temporary file left: {path.name}"
        if path.suffix == ".json":
            orjson.loads(path.read_bytes())  # every JSON file parses
    store = settings.store_file(data_dir)
    if store.exists():
        with sqlite3.connect(store) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not (data_dir / "watch.lock").exists()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("phase", PHASES)
def test_a_signal_in_any_phase_stops_cleanly(
    demo_dir: Path, sim: Any, clock: FakeClock, phase: str, signum: int
) -> None:
    def hook(name: str) -> None:
        if name == phase:
            os.kill(os.getpid(), signum)

    settings = sim_settings(sim)
    watcher = make_watcher(settings, demo_dir, clock, phases=Phases(source=coinalyze_source, on_phase=hook))
    code = watcher.run()  # no --cycles: only the signal ends it
    assert code == (0 if signum == signal.SIGTERM else 130)
    status = read_status(demo_dir)
    assert (
        status["state"] == "stopped" and status["stop_reason"] == f"stopped by {signal.Signals(signum).name}"
    )
    state = status["phases"][phase]
    if phase in CRITICAL:
        assert state["status"] in ("ok", "degraded", "skipped"), state  # it finished
    else:
        assert state["status"] == "failed" and "interrupted" in state["error"]
    later = list(PHASES)[list(PHASES).index(phase) + 1 :]
    assert all(status["phases"][p]["status"] == "pending" for p in later)
    if phase in ("history", "changes", "alerts", "status"):
        assert (demo_dir / "master_feed.json").is_file()  # the feed phase had finished
    _check_files_whole(demo_dir, settings)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_a_signal_while_waiting_for_the_slot(demo_dir: Path, sim: Any) -> None:
    class SignalOnSleep(FakeClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            os.kill(os.getpid(), signal.SIGTERM)

    settings = sim_settings(sim)
    watcher = make_watcher(settings, demo_dir, SignalOnSleep(1_768_842_000.0 + 1))
    assert watcher.run() == 0
    status = read_status(demo_dir)
    assert status["cycle"] == 0 and status["state"] == "stopped"
    _check_files_whole(demo_dir, settings)
