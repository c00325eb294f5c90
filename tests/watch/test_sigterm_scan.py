"""SIGTERM during a plain ``quantpro scan`` behaves as in ``watch`` (§14): exit 0, nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quantpro.clock import SystemClock, now_ms
from quantpro.demo.universe import generate_demo_universe

KEY = "sigterm-scan-canary-key"


@pytest.mark.slow
def test_sigterm_while_a_scan_waits_for_quota(tmp_path: Path) -> None:
    from quantpro.simulator import SimulatorConfig, start_simulator

    data_dir = tmp_path / "data"
    generate_demo_universe(data_dir, 8, now_ms=now_ms(SystemClock()))
    with start_simulator(SimulatorConfig(calls=3, period=60.0, api_keys=frozenset({KEY}))) as sim:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QUANTPRO_", "COINALYZE_"))}
        env |= {"COINALYZE_API_KEY": KEY, "COINALYZE_BASE_URL": sim.base_url,
                "QUANTPRO_RATE_LIMIT_CALLS": "3", "QUANTPRO_RATE_LIMIT_PERIOD": "60",
                "QUANTPRO_DERIVATIVES": "coinalyze"}  # part one: never the real venues  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, "-m", "quantpro", "scan", str(data_dir)], env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(sim.log) < 3:  # the quota is spent: it waits
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    assert "terminated (SIGTERM)" in err and "Traceback" not in err
    assert not (data_dir / "master_feed.json").exists()
    assert not [p.name for p in data_dir.rglob("*") if p.name.endswith(".tmp")]
