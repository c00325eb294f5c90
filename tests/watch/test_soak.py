"""A soak of 500 cycles on a fake clock (§14): memory (tracemalloc) and open files stay flat.

Every cycle loads and analyses the markets, writes the feed, records the run in the store, computes
the changes, alerts a loopback receiver over Apprise and writes the status file. The 500-cycle run
takes its derivatives from a neutral source (the Coinalyze round trips would make it minutes long
under tracemalloc); a shorter run with the real Coinalyze source against the simulator checks that
its HTTP clients are closed every cycle (open files flat).
"""

from __future__ import annotations

import gc
import logging
import os
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import pytest

from quantpro.clock import FakeClock, now_ms
from quantpro.demo.universe import generate_demo_universe
from quantpro.models import MarketKey, neutral_market_data
from quantpro.runs.watch_phases import AlertsPhase, Phases, coinalyze_source
from quantpro.simulator.alert_receiver import AlertReceiver
from quantpro.sources.base import SourceResult, SourceStats

from .conftest import make_watcher, sim_settings

CYCLES = 500
WARM_UP = 50


class QuietClock(FakeClock):
    """A fake clock that does not keep every sleep (500 cycles of them would be the leak we measure)."""

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)


class NeutralSource:
    """A derivatives source with nothing to say: neutral data for every market, no request."""

    name = "neutral"

    def fetch(self, markets: Sequence[MarketKey], *, progress: object = None) -> SourceResult:
        stats = SourceStats()
        stats.oi_status["neutral"] = len(markets)
        return SourceResult({m: neutral_market_data("soak: no derivatives") for m in markets}, stats)

    def close(self) -> None:
        pass


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def _soak(tmp_path: Path, cycles: int, *, neutral: bool, trace: bool) -> dict[int, tuple[int, int]]:
    """Run ``cycles`` cycles; (traced bytes, open files) after the warm-up and at the end."""
    from quantpro.simulator import SimulatorConfig, start_simulator

    clock = QuietClock()
    data_dir = tmp_path / "data"
    generate_demo_universe(data_dir, 2, now_ms=now_ms(clock))
    quantpro_log = logging.getLogger("quantpro")
    quantpro_log.propagate = False  # pytest's capture would keep every record
    quantpro_log.addHandler(logging.NullHandler())
    samples: dict[int, tuple[int, int]] = {}
    config = SimulatorConfig(calls=100_000, period=10.0, api_keys=frozenset({"watch-canary-key-5d1e9b"}))
    with start_simulator(config, clock=clock) as sim, AlertReceiver().running() as receiver:
        settings = sim_settings(
            sim, alert_urls=receiver.apprise_url("soak"), alert_min_score=0, allow_stale=True
        )
        source = (lambda s, d, c: NeutralSource()) if neutral else coinalyze_source
        phases = Phases(source=source, alerts=AlertsPhase.from_settings(settings))  # type: ignore[arg-type]
        watcher = make_watcher(
            settings, data_dir, clock, phases=phases, cycles=cycles, every_s=5.0, delay_s=0.0
        )

        def sample(cycle: int) -> None:
            if cycle == WARM_UP and trace:
                tracemalloc.start()
            if cycle in (WARM_UP, cycles):
                gc.collect()
                samples[cycle] = (tracemalloc.get_traced_memory()[0] if trace else 0, _open_files())

        watcher.after_cycle = sample
        try:
            assert watcher.run() == 0
        finally:
            tracemalloc.stop()
        assert watcher.cycles_run == cycles
        assert receiver.messages, "the alerts phase ran for real"
    return samples


@pytest.mark.slow
def test_500_cycles_with_flat_memory_and_open_files(tmp_path: Path) -> None:
    samples = _soak(tmp_path, CYCLES, neutral=True, trace=True)
    (mem_start, fds_start), (mem_end, fds_end) = samples[WARM_UP], samples[CYCLES]
    grown = mem_end - mem_start
    print(
        f"soak: {CYCLES} cycles, traced memory +{grown / 1024:.0f} KiB, open files {fds_start} -> {fds_end}"
    )
    assert grown < 1024 * 1024, f"memory grew by {grown / 1024:.0f} KiB over {CYCLES - WARM_UP} cycles"
    assert fds_end <= fds_start + 2


@pytest.mark.slow
def test_the_coinalyze_source_leaves_no_open_file_behind(tmp_path: Path) -> None:
    samples = _soak(tmp_path, WARM_UP + 30, neutral=False, trace=False)
    (_, fds_start), (_, fds_end) = samples[WARM_UP], samples[WARM_UP + 30]
    print(f"coinalyze soak: open files {fds_start} -> {fds_end}")
    assert fds_end <= fds_start + 2
