"""A scanner that runs all day must not leak: a scan closes the HTTP clients its source opened."""

from __future__ import annotations

from pathlib import Path

from quantpro.clock import FakeClock
from quantpro.demo.universe import generate_demo_universe
from quantpro.runs.scan import run_scan
from quantpro.settings import load_settings
from quantpro.simulator import SimulatorConfig, start_simulator
from quantpro.sources.coinalyze.source import CoinalyzeSource

KEY = "leak-key"


def test_a_scan_closes_its_sources_http_clients(tmp_path: Path) -> None:
    clock = FakeClock()
    data_dir = tmp_path / "demo"
    generate_demo_universe(data_dir, 6, now_ms=int(clock.now() * 1000))
    with start_simulator(SimulatorConfig(calls=400, period=10.0), clock=clock) as sim:
        settings = load_settings(
            api_key=KEY, base_url=sim.base_url, cache_dir=data_dir, rate_limit_calls=400, rate_limit_period=10
        )
        for _ in range(3):
            source = CoinalyzeSource.for_scan(settings, cache_dir=data_dir, clock=clock)
            assert run_scan(settings, data_dir, clock=clock, source=source).exit_code == 0
            assert source.processor.client.http.is_closed
            assert source.processor.resolver.client.http.is_closed
            clock.advance(16 * 60)
