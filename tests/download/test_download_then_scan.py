"""The real workflow, offline: ``download`` from the venue fakes, then ``scan`` against the simulator.

Every downloaded market must come out of the scan with its three signals (Legacy, Breakout,
BreakoutV2).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from quantpro.clock import FakeClock
from quantpro.simulator.venues import FakeBybit, FakeHyperliquid, FakeOKX

from .conftest import expected_markets, run

KEY = "download-then-scan-key"


def test_every_downloaded_market_gets_its_three_signals(
    clock: FakeClock, data_dir: Path, bybit: FakeBybit, okx: FakeOKX, hyperliquid: FakeHyperliquid
) -> None:
    from quantpro.runs.scan import run_scan
    from quantpro.settings import load_settings
    from quantpro.simulator import SimulatorConfig, start_simulator

    report = run(clock, data_dir, bybit, okx, hyperliquid)
    assert not any(v.failed or v.failures for v in report.venues)
    downloaded = {(f.name, m.expected_local) for f in (bybit, okx, hyperliquid) for m in expected_markets(f)}

    config = SimulatorConfig(calls=400, period=10.0, api_keys=frozenset({KEY}))
    with start_simulator(config, clock=clock) as sim:
        settings = load_settings(
            api_key=KEY,
            base_url=sim.base_url,
            rate_limit_calls=400,
            rate_limit_period=10.0,
            cache_dir=data_dir,
        )
        outcome = run_scan(settings, data_dir, clock=clock)

    assert outcome.exit_code == 0
    assert outcome.run.skipped_files == []
    assert outcome.run.markets == len(downloaded)
    per_market = Counter((s["exchange"], s["symbol"]) for s in outcome.signals)
    assert set(per_market) == downloaded
    assert all(count == 3 for count in per_market.values())
    strategies = {(s["exchange"], s["symbol"], s["strategy_name"]) for s in outcome.signals}
    assert len(strategies) == 3 * len(downloaded)
