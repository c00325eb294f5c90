"""Analysis benchmark (docs/design.md §10): a warm scan of all 658 real markets, as whole fresh processes.

First a cold scan against the simulator fills the caches (not timed). Then five fresh
``quantpro scan`` processes run with every derivative cached (0 units), and in the same run the time
orjson needs merely to parse the same files is measured (page cache warm for both). Reports the
median wall time, peak RSS and their ratio to the parse time. Run: ``.venv/bin/python bench/analysis.py``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from quantpro.runs.scan import run_scan
from quantpro.settings import load_settings
from quantpro.simulator import SimulatorConfig, start_simulator

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "quantopro-2026-01" / "candles"
KEY = "bench-key-0123456789"
RUNS = 5


def parse_seconds(files: list[Path]) -> float:
    """Time to read and parse every file with orjson (the best of three passes)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for path in files:
            orjson.loads(path.read_bytes())
        best = min(best, time.perf_counter() - start)
    return best


def run_process(env: dict[str, str], data_dir: Path, output: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one fresh ``quantpro scan`` process."""
    command = [sys.executable, "-m", "quantpro", "-q", "scan", str(data_dir), "--output", str(output)]
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"scan failed: {err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> int:
    if not REAL.is_dir():
        print(f"real candles not found at {REAL}", file=sys.stderr)
        return 2
    files = sorted(REAL.glob("*.json"))
    with tempfile.TemporaryDirectory(prefix="quantpro-bench-") as tmp:
        cache = Path(tmp) / "cache"
        config = SimulatorConfig(calls=4000, period=10.0, api_keys=frozenset({KEY}))
        with start_simulator(config, port=0) as sim:
            settings = load_settings(
                api_key=KEY,
                base_url=sim.base_url,
                rate_limit_calls=4000,
                rate_limit_period=10.0,
                cache_dir=cache,
            )
            cold = run_scan(settings, REAL, output=Path(tmp) / "cold_feed.json")
            env = {
                **os.environ,
                "COINALYZE_API_KEY": KEY,
                "COINALYZE_BASE_URL": sim.base_url,
                "QUANTPRO_CACHE_DIR": str(cache),
            }
            parse = parse_seconds(files)
            runs = [run_process(env, REAL, Path(tmp) / f"feed{i}.json") for i in range(RUNS)]
            parse_after = parse_seconds(files)
            warm = orjson.loads((Path(tmp) / "feed0.json").read_bytes())["run"]
    parse_s = min(parse, parse_after)
    walls = [w for w, _ in runs]
    report: dict[str, Any] = {
        "machine": (
            f"{platform.node()} · {platform.machine()} · Python {platform.python_version()} · "
            f"{os.cpu_count()} cores"
        ),
        "markets": cold.run.markets,
        "files": len(files),
        "warm_units_spent": warm["units_spent"],
        "orjson_parse_s": round(parse_s, 3),
        "wall_s_runs": [round(w, 3) for w in walls],
        "wall_s_median": round(statistics.median(walls), 3),
        "wall_over_parse": round(statistics.median(walls) / parse_s, 2),
        "peak_rss_mib": round(max(r for _, r in runs), 1),
    }
    print(f"Analysis benchmark — {report['machine']}")
    print(f"  markets / files           {report['markets']} / {report['files']}")
    print(f"  warm scan units           {report['warm_units_spent']} (target 0)")
    print(f"  orjson parse only         {report['orjson_parse_s']} s")
    print(f"  warm scan wall (median 5) {report['wall_s_median']} s  runs={report['wall_s_runs']}")
    print(f"  wall / parse              {report['wall_over_parse']} (target ≤ 10)")
    print(f"  peak RSS                  {report['peak_rss_mib']} MiB (target ≤ 1024)")
    out = Path(__file__).resolve().parent / "results" / "analysis.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
