"""Two scans at once on one data directory (docs/design.md §5): both finish, neither corrupts the feed or
the caches, and together they stay within one key's quota.

How: the limiter's log lives in ``<cache dir>/coinalyze_ratelimit.json`` under a file lock, so the two
processes share one window (they run side by side; neither waits for the other to finish). The
simulator's window is made small enough that two scans need several windows: had each process kept
its own log, each would think it owned the whole window and the simulator would answer 429.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quantpro.settings import load_settings
from quantpro.simulator import RunningSimulator, SimulatorConfig, start_simulator
from quantpro.sources.coinalyze.resolver import CoinalyzeResolver

from .conftest import FEED, KEY, assert_json_files_parse, assert_valid_feed, child_env, start_scan, temp_files

CALLS, PERIOD = 10, 0.3  # each scan alone needs four windows, so the two must overlap
DATA_PATHS = {"/open-interest-history", "/funding-rate", "/long-short-ratio-history", "/liquidation-history"}


def _window_peak(sim: RunningSimulator) -> int:
    """The most units the simulator charged within any window, by its own log."""
    charged = [(r.time, r.units_charged) for r in sim.log if r.units_charged]
    return max(sum(u for t, u in charged if start <= t < start + PERIOD) for start, _ in charged)


def _api_phase(log: Path) -> tuple[str, str]:
    """When a scan began and ended its data requests: its log file's timestamps, which sort as text."""
    lines = log.read_text().splitlines()

    def stamp(marker: str) -> str:
        return next(line for line in lines if marker in line)[:23]  # "2026-01-19 17:00:00,123"

    return stamp("Fetching batch 1/"), stamp("Units spent")


@pytest.mark.slow
def test_two_scans_at_once_share_the_quota_and_leave_valid_files(live_data_dir: Path) -> None:
    config = SimulatorConfig(calls=CALLS, period=PERIOD, api_keys=frozenset({KEY}))
    with start_simulator(config, port=0) as sim:
        # the catalogue is cached first, and responses are never served from the cache, so both
        # scans go straight to the data requests and each sends all of them
        settings = load_settings(
            api_key=KEY, base_url=sim.base_url, rate_limit_calls=CALLS, rate_limit_period=PERIOD
        )
        assert CoinalyzeResolver(settings, cache_dir=live_data_dir).symbol_map
        logs = [live_data_dir.parent / f"scan{i}.log" for i in range(2)]
        envs = [
            child_env(sim, live_data_dir, QUANTPRO_RESPONSE_TTL_MINUTES="0", QUANTPRO_LOG_FILE=str(log))
            for log in logs
        ]
        scans = [start_scan(live_data_dir, env) for env in envs]
        results = [(p.wait(60), p.communicate()) for p in scans]

    for code, (_, stderr) in results:
        assert code == 0, stderr.decode()
    # both scans were in their API phase at the same time (by their own debug logs)
    phases = [_api_phase(log) for log in logs]
    assert max(start for start, _ in phases) < min(end for _, end in phases), phases
    data = [r for r in sim.log if r.path in DATA_PATHS]
    assert len(data) == 2 * len({(r.path, r.symbols) for r in data})  # each sent every request

    assert [r for r in sim.log if r.status == 429] == []  # the shared window was never exceeded
    assert sum(r.units_charged for r in sim.log) > 2 * CALLS  # and it had to be shared
    assert _window_peak(sim) <= CALLS
    assert_valid_feed(live_data_dir / FEED)
    assert_json_files_parse(live_data_dir)
    assert temp_files(live_data_dir) == []
