"""The backtest's speed (docs/design.md §13): the whole real sample at every 15m close, beside the naive
replay — cut the files at each cut and scan them — on a subset, in one run.

The fast path is ``run_backtest`` as ``quantpro backtest`` runs it (features once per market and
timeframe, strategies per cut on views, markets over ``--workers`` processes), and its wall time
includes reading every file. The naive path writes, for each cut T, the candles closed by T of the
subset's markets into a fresh directory and runs ``scan --as-of T`` on it (one process), checking
on the way that it says what the fast path says. Both are measured per market-cut; the ratio is
given per wall second, per wall second × workers, and per CPU second (``getrusage``: this process and
the pool's workers), the last robust to other jobs sharing the machine.
Writes ``bench/results/backtest.json``.

    .venv/bin/python bench/backtest.py [--workers 2] [--subset-markets 6] [--subset-cuts 40] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from quantpro.clock import FakeClock
from quantpro.runs.asof import NoDerivativesAt
from quantpro.runs.backtest.engine import results_at
from quantpro.runs.backtest.run import BacktestRequest, run_backtest
from quantpro.runs.backtest.views import MarketSeries
from quantpro.runs.scan import run_scan
from quantpro.settings import Settings
from quantpro.store.markets import discover_markets, load_market
from quantpro.strategies import PlanRules, get_strategies

REAL = Path(
    os.environ.get(
        "QUANTPRO_REAL_CANDLES",
        Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "quantopro-2026-01" / "candles",
    )
)
LTF_MS = 900_000


def _cut_files(series: list[MarketSeries], at_ms: int, directory: Path) -> None:
    """Each market's files holding only the candles closed by ``at_ms`` (what a capture then held)."""
    for s in series:
        for frame in (s.ltf_all, s.htf_all):
            if frame is None:
                continue
            rows = [
                {"time": int(t), "open": o, "high": h, "low": lo, "close": c, "volume": v}
                for t, o, h, lo, c, v in zip(
                    frame.time.tolist(),
                    frame.open.tolist(),
                    frame.high.tolist(),
                    frame.low.tolist(),
                    frame.close.tolist(),
                    frame.volume.tolist(),
                    strict=True,
                )
                if t + frame.interval_ms <= at_ms
            ]
            name = f"{s.key.exchange}_{s.key.symbol}_{frame.timeframe}.json"
            (directory / name).write_text(json.dumps(rows))


def naive(data: Path, markets: int, cuts: int) -> dict[str, Any]:
    files, _ = discover_markets(data)
    chosen = [f for f in files if f.key.exchange == "HYPERLIQUID"][:markets]
    series = []
    for f in chosen:
        m = load_market(f, now_ms=2**62)
        series.append(MarketSeries(m.key, m.ltf_all, m.htf_all, "4h"))
    newest = min(int(s.ltf_all.time[-1]) for s in series)
    times = [newest - k * LTF_MS for k in range(cuts)]
    strategies, rules = get_strategies(), PlanRules.from_settings(Settings())
    market_cuts = mismatches = 0
    checking = checking_cpu = 0.0
    started, cpu_started = time.perf_counter(), time.process_time()
    for at_ms in times:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp) / "cut"
            directory.mkdir()
            _cut_files(series, at_ms, directory)
            outcome = run_scan(
                Settings(), directory, output=Path(tmp) / "feed.json", as_of_ms=at_ms, clock=FakeClock()
            )
        market_cuts += outcome.run.markets
        check, check_cpu = time.perf_counter(), time.process_time()
        got = {(s["symbol"], s["strategy_name"]): (s["action"], s["score"]) for s in outcome.signals}
        for s in series:
            for strategy, result in results_at(s, at_ms, strategies, rules, NoDerivativesAt()) or []:
                if got.get((s.key.symbol, strategy.name)) != (result.action.value, result.score):
                    mismatches += 1
        checking += time.perf_counter() - check  # the check is not the naive replay's cost
        checking_cpu += time.process_time() - check_cpu
    wall = time.perf_counter() - started - checking
    cpu = time.process_time() - cpu_started - checking_cpu
    return {
        "markets": len(series),
        "cuts": len(times),
        "market_cuts": market_cuts,
        "wall_s": round(wall, 3),
        "s_per_market_cut": wall / max(market_cuts, 1),
        "cpu_s_per_market_cut": cpu / max(market_cuts, 1),
        "mismatches_with_fast_path": mismatches,
    }


def fast(data: Path, workers: int) -> dict[str, Any]:
    started, cpu_started = time.perf_counter(), _cpu()
    result = run_backtest(Settings(), BacktestRequest(data, workers=workers))
    wall, cpu = time.perf_counter() - started, _cpu() - cpu_started
    market_cuts = result.summary["cuts"]["market_cuts"]
    return {
        "markets": result.summary["universe"]["replayed"],
        "market_cuts": market_cuts,
        "workers": workers,
        "wall_s": round(wall, 3),
        "s_per_market_cut": wall / max(market_cuts, 1),
        "wall_x_workers_s_per_market_cut": wall * workers / max(market_cuts, 1),
        "cpu_s": round(cpu, 3),
        "cpu_s_per_market_cut": cpu / max(market_cuts, 1),
    }


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REAL)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--subset-markets", type=int, default=6)
    parser.add_argument("--subset-cuts", type=int, default=40)
    args = parser.parse_args()
    slow = naive(args.data, args.subset_markets, args.subset_cuts)
    quick = fast(args.data, args.workers)
    report = {
        "naive_subset": slow,
        "fast_whole_sample": quick,
        "speedup_wall": round(slow["s_per_market_cut"] / quick["s_per_market_cut"], 1),
        "speedup_wall_x_workers": round(
            slow["s_per_market_cut"] / quick["wall_x_workers_s_per_market_cut"], 1
        ),
        "speedup_cpu_time": round(slow["cpu_s_per_market_cut"] / quick["cpu_s_per_market_cut"], 1),
        "cpu_count": os.cpu_count(),
    }
    out = Path(__file__).resolve().parent / "results" / "backtest.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
