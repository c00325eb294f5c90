"""A golden scan of the demo universe: every signal of the feed, byte for byte, for the same inputs and
clock. It proves that a change meant to move code (not behaviour) moved nothing a trader reads; the
``run`` counters are left out, and so are fields a later schema version added (they are additions).
A deliberate change of the strategies regenerates the file:

    QUANTPRO_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/e2e/test_golden_scan.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from quantpro.clock import FakeClock
from quantpro.demo.universe import generate_demo_universe
from quantpro.runs.scan import run_scan
from quantpro.settings import load_settings
from quantpro.simulator import SimulatorConfig, start_simulator

GOLDEN = Path(__file__).parent / "golden" / "demo_60_signals.json"
NOW_S = 1_768_842_349.064  # 2026-01-19 17:05:49 UTC, inside a 15m candle
KEY = "golden-key"


def _signals(tmp_path: Path) -> bytes:
    clock = FakeClock(start=NOW_S)
    data_dir = tmp_path / "demo"
    generate_demo_universe(data_dir, 60, now_ms=int(NOW_S * 1000))
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
    return orjson.dumps(outcome.feed["signals"], option=orjson.OPT_SORT_KEYS)


def _as_golden(mine: Any, golden: Any) -> Any:
    """``mine`` cut to the keys the golden file has: fields a later schema added are not compared."""
    if isinstance(mine, dict) and isinstance(golden, dict):
        return {key: _as_golden(mine[key], golden[key]) for key in golden if key in mine}
    return mine


def test_every_signal_equals_the_golden_scan(tmp_path: Path) -> None:
    produced = _signals(tmp_path)
    if os.environ.get("QUANTPRO_REGENERATE_GOLDEN") == "1":
        GOLDEN.write_bytes(produced)
    golden = orjson.loads(GOLDEN.read_bytes())
    signals = orjson.loads(produced)
    assert len(signals) == len(golden) == 180
    for mine, expected in zip(signals, golden, strict=True):
        key = (mine["exchange"], mine["symbol"], mine["strategy_name"])
        assert _as_golden(mine, expected) == expected, f"{key} differs from the golden scan"
