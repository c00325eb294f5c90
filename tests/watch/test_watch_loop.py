"""The watch loop on a fake clock (§14): aligned slots, overruns, a sleeping machine, failures, the lock."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from quantpro.cli.main import main
from quantpro.clock import Clock, FakeClock
from quantpro.errors import TransportError
from quantpro.runs.watch import SNAPSHOT_SKIPPED
from quantpro.runs.watch_lock import WatchLock, WatchLockedError
from quantpro.runs.watch_phases import PhaseReport, Phases, WatchRequest, coinalyze_source
from quantpro.settings import Settings
from quantpro.store.history import HistoryStore

from .conftest import make_watcher, read_status, sim_settings

START = 1_768_842_000.0  # 2026-01-19 17:00:00 UTC


def _starts(phases: Phases, clock: FakeClock, name: str = "scan") -> list[float]:
    seen: list[float] = []
    previous = phases.on_phase

    def hook(phase: str) -> None:
        if phase == name:
            seen.append(clock.now())
        if previous is not None:
            previous(phase)

    phases.on_phase = hook
    return seen


def test_cycles_run_at_each_slot_plus_the_delay_and_stop_after_n(
    demo_dir: Path, sim: Any, clock: FakeClock
) -> None:
    clock.set(START + 185)  # 17:03:05: the first slot is 17:15:20
    phases = Phases(source=coinalyze_source)
    starts = _starts(phases, clock, "download")
    watcher = make_watcher(sim_settings(sim), demo_dir, clock, phases=phases, cycles=3)
    assert watcher.run() == 0
    assert starts == [START + 920, START + 1820, START + 2720]
    status = read_status(demo_dir)
    assert status["cycle"] == 3 and status["state"] == "stopped" and status["pid"] == os.getpid()
    assert status["phases"]["snapshot"] == {**status["phases"]["snapshot"], "status": "skipped",
                                            "note": SNAPSHOT_SKIPPED}  # fmt: skip
    assert status["phases"]["download"]["note"] == "--no-download"
    assert {status["phases"][p]["status"] for p in ("scan", "feed", "history", "changes")} <= {
        "ok",
        "degraded",
    }
    assert status["next_cycle_at"] is None and status["stop_reason"] == "3 cycle(s) done"
    with HistoryStore.open(sim_settings(sim).store_file(demo_dir)) as history:
        runs = history.runs_since(str(demo_dir.resolve()), 0)
    assert [r.origin for r in runs] == ["watch"] * 3
    assert not (demo_dir / "watch.lock").exists()


def test_a_cycle_that_overruns_skips_to_the_next_free_slot(
    demo_dir: Path, sim: Any, clock: FakeClock, logs: pytest.LogCaptureFixture
) -> None:
    clock.set(START)
    phases = Phases(source=coinalyze_source)
    phases.download = lambda r, s, c: (clock.advance(1000) if len(starts) == 1 else None) or PhaseReport()  # type: ignore[func-returns-value]
    starts = _starts(phases, clock, "download")
    watcher = make_watcher(
        sim_settings(sim), demo_dir, clock, phases=phases, cycles=2, every_s=900.0, delay_s=0.0
    )
    assert watcher.run() == 0
    assert starts == [START, START + 1800]  # 17:15 was still busy with the first cycle: skipped
    assert read_status(demo_dir)["cycles_skipped"] == 1
    assert any("skipping 1 slot" in r.message and r.levelno == logging.WARNING for r in logs.records)


class _SleepyClock(FakeClock):
    """The machine suspends during the first wait, for three hours."""

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if len(self.sleeps) == 1:
            self.advance(3 * 3600)


def test_a_machine_asleep_past_several_slots_runs_one_cycle_and_logs_the_missed_ones(
    demo_dir: Path, sim: Any, logs: pytest.LogCaptureFixture
) -> None:
    clock = _SleepyClock(START + 100)
    phases = Phases(source=coinalyze_source)
    starts = _starts(phases, clock, "download")
    watcher = make_watcher(sim_settings(sim), demo_dir, clock, phases=phases, cycles=2, delay_s=0.0)
    assert watcher.run() == 0
    # woke at 20:00:10 after the 17:15 slot: 17:15 … 19:45 missed, one cycle runs for 20:00
    assert starts[0] - (START + 900) >= 3 * 3600 - 900 and len(starts) == 2
    assert starts[1] - starts[0] <= 900
    missed = [r.message for r in logs.records if "slot(s) missed" in r.message]
    assert len(missed) == 1 and "11 slot(s) missed" in missed[0] and "17:15 UTC" in missed[0]
    assert read_status(demo_dir)["slots_missed"] == 11


def test_failing_phases_never_stop_the_loop(demo_dir: Path, sim: Any, clock: FakeClock) -> None:
    calls = {"source": 0}

    def flaky_source(settings: Settings, data_dir: Path, c: Clock) -> Any:
        calls["source"] += 1
        if calls["source"] == 1:
            raise TransportError("Coinalyze unreachable: connection refused", source="coinalyze")
        return coinalyze_source(settings, data_dir, c)

    def broken_download(request: WatchRequest, settings: Settings, c: Clock) -> PhaseReport:
        raise RuntimeError("venue BYBIT down")

    phases = Phases(download=broken_download, source=flaky_source)
    watcher = make_watcher(sim_settings(sim), demo_dir, clock, phases=phases, cycles=2)
    history: list[dict[str, Any]] = []
    watcher.after_cycle = lambda n: history.append(read_status(demo_dir))
    assert watcher.run() == 0
    first, second = history[0]["phases"], history[1]["phases"]
    assert first["download"]["status"] == "failed" and "BYBIT down" in first["download"]["error"]
    assert first["scan"]["status"] == "failed" and "connection refused" in first["scan"]["error"]
    assert first["feed"]["status"] == "skipped" and first["alerts"]["status"] == "skipped"
    assert history[0]["cycle_status"] == "failed"
    assert second["scan"]["status"] in ("ok", "degraded") and second["history"]["status"] == "ok"


def test_a_second_watcher_exits_2_naming_the_pid(
    demo_dir: Path, sim: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COINALYZE_API_KEY", "k-1234")
    with WatchLock(demo_dir):
        with pytest.raises(WatchLockedError) as caught:
            WatchLock(demo_dir).acquire()
        assert caught.value.pid == os.getpid()
        code = main(["watch", str(demo_dir), "--no-download", "--every", "5s", "--cycles", "1"])
    assert code == 2
    assert f"pid {os.getpid()}" in capsys.readouterr().err


def test_a_dead_watchers_lock_is_taken_over(
    demo_dir: Path, sim: Any, clock: FakeClock, logs: pytest.LogCaptureFixture
) -> None:
    (demo_dir / "watch.lock").write_text("999999999\n")  # no such process, no flock held
    watcher = make_watcher(sim_settings(sim), demo_dir, clock, cycles=1)
    assert watcher.run() == 0
    assert any("left by pid 999999999 (no longer running)" in r.message for r in logs.records)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"every_s": 4.0}, "--every must be at least 5s"),
        ({"delay_s": 900.0}, "--delay"),
        ({"cycles": 0}, "--cycles"),
        ({"strategy": "nope"}, "nope"),
    ],
)
def test_invalid_options_stop_before_anything_runs(
    demo_dir: Path, sim: Any, clock: FakeClock, options: dict[str, Any], message: str
) -> None:
    from quantpro.errors import ConfigError

    watcher = make_watcher(sim_settings(sim), demo_dir, clock, **options)
    with pytest.raises(ConfigError, match=message):
        watcher.run()
    assert not (demo_dir / "watch_status.json").exists()


def test_a_refused_key_under_derivatives_coinalyze_stops_with_exit_2_otherwise_the_loop_goes_on(
    demo_dir: Path, sim: Any, clock: FakeClock
) -> None:
    from quantpro.settings import load_settings

    def refused(**extra: Any) -> Settings:
        return load_settings(api_key="refused-key-0000", base_url=sim.base_url, rate_limit_calls=4000,
                             rate_limit_period=10.0, **extra)  # fmt: skip

    strict = make_watcher(refused(derivatives="coinalyze"), demo_dir, clock, cycles=3)
    assert strict.run() == 2 and strict.cycles_run == 1
    status = read_status(demo_dir)
    assert status["state"] == "stopped" and "refused the key" in status["stop_reason"]
    lenient = make_watcher(refused(), demo_dir, clock, cycles=2)
    assert lenient.run() == 0 and lenient.cycles_run == 2
    assert read_status(demo_dir)["phases"]["scan"]["status"] == "failed"


def test_a_full_disk_when_the_feed_is_written_is_named_and_the_loop_goes_on(
    demo_dir: Path, sim: Any, clock: FakeClock
) -> None:
    import errno

    from quantpro.store.atomic import set_crash_hook

    def full(moment: str, path: Path) -> None:
        if moment == "before_replace" and path.name == "master_feed.json" and len(seen) == 0:
            raise OSError(errno.ENOSPC, "No space left on device")

    seen: list[dict[str, Any]] = []
    watcher = make_watcher(sim_settings(sim), demo_dir, clock, cycles=2)
    watcher.after_cycle = lambda n: seen.append(read_status(demo_dir))
    set_crash_hook(full)
    try:
        assert watcher.run() == 0
    finally:
        set_crash_hook(None)
    feed = seen[0]["phases"]["feed"]
    assert feed["status"] == "failed" and "No space left on device" in feed["error"]
    assert seen[0]["phases"]["history"]["status"] == "skipped"
    assert seen[1]["phases"]["feed"]["status"] in ("ok", "degraded")
    assert not [p for p in demo_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_snapshot_wired_in_runs_between_download_and_scan(
    demo_dir: Path, sim: Any, clock: FakeClock
) -> None:
    from dataclasses import dataclass

    @dataclass
    class Outcome:
        status: str
        venues: int

    calls: list[tuple[Path, float, list[str]]] = []
    order: list[str] = []

    def snapshot(settings: Settings, data_dir: Path, *, clock: Clock, exchanges: Any = None) -> Outcome:
        calls.append((data_dir, clock.now(), list(exchanges)))
        return Outcome("degraded", 6)

    phases = Phases(source=coinalyze_source, snapshot=snapshot, on_phase=order.append)
    watcher = make_watcher(sim_settings(sim), demo_dir, clock, phases=phases, cycles=1)
    assert watcher.run() == 0
    assert order[:3] == ["download", "snapshot", "scan"]
    assert calls and calls[0][0] == demo_dir and "BYBIT" in calls[0][2]
    state = read_status(demo_dir)["phases"]["snapshot"]
    assert state["status"] == "degraded" and "venues=6" in state["note"]


def test_a_venue_down_for_several_cycles_degrades_them_and_the_loop_goes_on(
    tmp_path: Path, sim: Any, clock: FakeClock
) -> None:
    from quantpro.runs.watch import Watcher
    from quantpro.runs.watch_phases import real_download
    from quantpro.simulator.venues import start_venue_fakes
    from quantpro.venues import Venue

    data_dir = tmp_path / "fresh"
    with start_venue_fakes(clock, venues=("BYBIT", "OKX")) as fakes:
        settings = sim_settings(sim, exchange_urls=fakes.urls, http_timeout=5)
        request = WatchRequest(data_dir=data_dir, every_s=900.0, delay_s=20.0, cycles=3, top=1,
                               exchanges=(Venue.BYBIT, Venue.OKX))  # fmt: skip
        watcher = Watcher(settings, request, Phases(download=real_download, source=coinalyze_source), clock)
        seen: list[dict[str, Any]] = []

        def after(n: int) -> None:
            seen.append(read_status(data_dir))
            if n == 2:
                fakes["OKX"].set_down(False)

        fakes["OKX"].set_down(True)
        watcher.after_cycle = after
        assert watcher.run() == 0
    for status in seen[:2]:
        download = status["phases"]["download"]
        assert download["status"] == "degraded" and "OKX" in download["error"], download
        assert status["phases"]["feed"]["status"] in ("ok", "degraded")  # BYBIT's markets still scanned
    assert seen[2]["phases"]["download"]["status"] == "ok"
    assert list(data_dir.glob("OKX_*_15m.json"))
