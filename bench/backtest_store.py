"""The backtest reading the §11 store (docs/design.md §13): one ``StoreDerivativesAt.at`` per market
and cut, before (a full SQLite read of the store at each T, as ``ExchangeSource`` at a clock set to T)
and after (a per-process preload of the market's rows, read in memory at each T by the same reader).

A store is built first: ``--cycles`` snapshot cycles of the seven venue fakes with realistic perpetual
counts (``VenueWorld.benchmark``, ~3,500 perpetuals), 20 s after each boundary, on a fake clock; demo
candle files of ``--markets`` markets (all listed in that world) end with the period. Then: the cost
of one ``at`` call both ways (per market-cut, every cut of the period, checking they agree), and the
whole backtest over the stored period both ways (one worker, the same signals). Building the store
is not measured. Writes ``bench/results/backtest_store.json``.

    .venv/bin/python bench/backtest_store.py [--cycles 30] [--markets 12]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from quantpro.clock import FakeClock
from quantpro.demo.universe import generate_demo_universe
from quantpro.runs.asof import StoreDerivativesAt
from quantpro.runs.backtest.run import BacktestRequest, run_backtest
from quantpro.runs.snapshot import run_snapshot
from quantpro.settings import Settings, load_settings
from quantpro.simulator.venues import DEFAULT_START_S, VenueWorld, start_venue_fakes

BUCKET_MS = 900_000


def _build(root: Path, cycles: int, markets: int) -> tuple[Settings, Path, list[Any], float]:
    data_dir = root / "candles"
    data_dir.mkdir()
    start_ms = int(DEFAULT_START_S * 1000)
    keys = generate_demo_universe(data_dir, markets, now_ms=start_ms + cycles * BUCKET_MS, seed=3)
    include: dict[str, list[str]] = {}
    for key in keys:
        include.setdefault(key.exchange, []).append(key.symbol)
    world = VenueWorld.benchmark(DEFAULT_START_S, include=include)
    clock = FakeClock(DEFAULT_START_S + 20)
    began = time.perf_counter()
    with start_venue_fakes(clock, world=world) as fakes:
        settings = load_settings(exchange_urls=fakes.urls, store_path=root / "store.sqlite")
        for k in range(cycles):
            clock.set(DEFAULT_START_S + k * BUCKET_MS / 1000 + 20)
            run_snapshot(settings, data_dir, clock=clock)
    return settings, data_dir, keys, time.perf_counter() - began


def _per_call(store: Path, keys: list[Any], cuts: list[int]) -> dict[str, Any]:
    """Each way, every (market, cut): the mean cost of one ``at`` call, and that both agree."""
    out: dict[str, Any] = {}
    answers: dict[str, list[Any]] = {}
    for name, limit in (("before_sqlite_each_cut", 0), ("after_preload", 8)):
        derivatives = StoreDerivativesAt(store, preload_max_keys=limit)
        got: list[Any] = []
        began = time.perf_counter()
        for key in keys:
            got.extend(derivatives.at([key], at) for at in cuts)
        wall = time.perf_counter() - began
        answers[name] = got
        out[name] = {
            "calls": len(got),
            "wall_s": round(wall, 3),
            "ms_per_call": round(wall / len(got) * 1000, 3),
        }
    out["identical"] = answers["before_sqlite_each_cut"] == answers["after_preload"]
    return out


def _backtest(settings: Settings, data_dir: Path, start_ms: int, end_ms: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    summaries = []
    for name, limit in (("before_sqlite_each_cut", 0), ("after_preload", 8)):
        derivatives = StoreDerivativesAt(settings.store_file(data_dir), preload_max_keys=limit)
        request = BacktestRequest(data_dir, workers=1, from_ms=start_ms, to_ms=end_ms)
        began = time.perf_counter()
        result = run_backtest(settings, request, derivatives=derivatives)
        wall = time.perf_counter() - began
        cuts = result.summary["cuts"]["market_cuts"]
        summaries.append({k: v for k, v in result.summary.items() if k not in ("duration_s", "params")})
        out[name] = {
            "wall_s": round(wall, 2),
            "market_cuts": cuts,
            "ms_per_market_cut": round(wall / max(cuts, 1) * 1000, 2),
            "derivatives": dict(result.summary["derivatives"]),
        }
    out["same_summary"] = summaries[0] == summaries[1]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=30, help="snapshot cycles (15 min each) to store")
    parser.add_argument("--markets", type=int, default=12, help="demo markets to backtest")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings, data_dir, keys, build_s = _build(Path(tmp), args.cycles, args.markets)
        start_ms = int(DEFAULT_START_S * 1000)
        end_ms = start_ms + args.cycles * BUCKET_MS
        cuts = list(range(start_ms, end_ms + 1, BUCKET_MS))
        store = settings.store_file(data_dir)
        report = {
            "cycles": args.cycles,
            "markets": len(keys),
            "store_bytes": store.stat().st_size,
            "build_store_s": round(build_s, 1),
            "per_call": _per_call(store, keys, cuts),
            "backtest": _backtest(settings, data_dir, start_ms, end_ms),
        }
    out = Path(__file__).resolve().parent / "results" / "backtest_store.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
