"""Quota benchmark (docs/design.md §10): a cold then a warm scan of ~1,100 markets against the simulator.

Time is scaled down (400 units per 10 s instead of 40 per 60 s) so the run takes minutes. Prints a
table and writes ``bench/results/quota.json``. Run: ``.venv/bin/python bench/quota.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from quantpro.runs.scan import run_scan
from quantpro.settings import load_settings
from quantpro.simulator import SimulatorConfig, start_simulator
from universe import REAL, build_universe

CALLS, PERIOD, KEY = 400, 10.0, "bench-key-0123456789"
REAL_CALLS, REAL_PERIOD = 40, 60.0
CATALOGUE = {"/v1/exchanges", "/v1/future-markets", "/v1/spot-markets", "/exchanges", "/future-markets"}


def floor_seconds(units: int, calls: int, period: float) -> float:
    """The least time ``units`` can take through a window of ``calls`` per ``period`` (DESIGN §10)."""
    return max(0, math.ceil(units / calls) - 1) * period if units else 0.0


def _data_phase(log: list[Any], start: int) -> tuple[float, int]:
    data = [r for r in log[start:] if r.path not in CATALOGUE and r.status == 200]
    if not data:
        return 0.0, 0
    return data[-1].time - data[0].time, sum(r.units_charged for r in data)


def _scan(settings: Any, universe: Path, sim: Any) -> dict[str, Any]:
    start = len(sim.log)
    t0 = time.perf_counter()
    outcome = run_scan(settings, universe)
    wall = time.perf_counter() - t0
    duration, charged = _data_phase(sim.log, start)
    run = outcome.run
    return {
        "markets": run.markets,
        "signals": len(outcome.signals),
        "units_spent": run.units_spent,
        "units_minimum": run.units_minimum,
        "units_charged_by_server": charged,
        "requests": run.requests,
        "http_429": run.http_429,
        "retries": run.retries,
        "data_phase_s": round(duration, 2),
        "floor_s": floor_seconds(run.units_minimum, CALLS, PERIOD),
        "wall_s": round(wall, 2),
        "oi_status": run.oi_status,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markets", type=int, default=1100)
    args = parser.parse_args()
    if not REAL.is_dir():
        print(f"real candles not found at {REAL}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="quantpro-bench-") as tmp:
        universe = Path(tmp) / "universe"
        count = build_universe(universe, args.markets)
        config = SimulatorConfig(calls=CALLS, period=PERIOD, api_keys=frozenset({KEY}))
        with start_simulator(config, port=0) as sim:
            settings = load_settings(
                api_key=KEY,
                base_url=sim.base_url,
                rate_limit_calls=CALLS,
                rate_limit_period=PERIOD,
                cache_dir=Path(tmp) / "cache",
            )
            cold = _scan(settings, universe, sim)
            warm = _scan(settings, universe, sim)
    report = _report(count, cold, warm)
    _print(report)
    out = Path(__file__).resolve().parent / "results" / "quota.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _report(count: int, cold: dict[str, Any], warm: dict[str, Any]) -> dict[str, Any]:
    units = cold["units_minimum"]
    per_request = cold["data_phase_s"] / max(1, cold["requests"])
    return {
        "machine": f"{platform.node()} · {platform.machine()} · Python {platform.python_version()}",
        "markets": count,
        "cold": cold,
        "warm": warm,
        "ratios": {
            "units_spent_over_minimum": round(cold["units_spent"] / units, 3) if units else None,
            "data_phase_over_floor": round(cold["data_phase_s"] / cold["floor_s"], 3)
            if cold["floor_s"]
            else None,
        },
        "projection_real_key": {
            "cold_cycle_min": round(
                (floor_seconds(units, REAL_CALLS, REAL_PERIOD) + per_request * cold["requests"]) / 60, 1
            ),
            "warm_cycle_units": warm["units_spent"],
        },
    }


def _print(report: dict[str, Any]) -> None:
    cold, warm, ratios = report["cold"], report["warm"], report["ratios"]
    rows = [
        ("markets", report["markets"], ""),
        (
            "units spent / minimum",
            f"{cold['units_spent']} / {cold['units_minimum']}",
            f"{ratios['units_spent_over_minimum']} (target 1.00)",
        ),
        ("HTTP 429s", cold["http_429"], "target 0"),
        ("requests", cold["requests"], ""),
        (
            "data phase / floor",
            f"{cold['data_phase_s']} s / {cold['floor_s']} s",
            f"{ratios['data_phase_over_floor']} (target ≤ 1.10)",
        ),
        ("warm scan units", warm["units_spent"], "target 0"),
        (
            "real key, cold cycle",
            f"≈ {report['projection_real_key']['cold_cycle_min']} min",
            "40 units / 60 s",
        ),
    ]
    print(f"Quota benchmark — {report['machine']}")
    for name, value, note in rows:
        print(f"  {name:<24} {value!s:<28} {note}")


if __name__ == "__main__":
    raise SystemExit(main())
