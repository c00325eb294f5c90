"""Trade-plan geometry on the real sample (docs/design.md §12): how far stops and targets sit.

Not a timing benchmark: a measurement. Every market of the real January sample is analysed at a series
of cuts (each ``--every`` hours over the last ``--hours`` before the sample's newest candle), each cut
seeing only the candles closed by then (``LoadedMarket.at``), with neutral derivatives. For every
setup a strategy produced (actionable or not) and for the actionable ones (score ≥ 70), it reports the
stop and target distances from the current price (the last closed LTF close), in percent and in ATR,
the entry's distance from that price, and how many break a §12 bound. Writes ``bench/results/plans.json``.
Stale candles are allowed (a replay), as ``scan --allow-stale`` would. It runs on part one's code too
(``PYTHONPATH=OLD/src``), which is how the "before" figures in the README were measured.

    .venv/bin/python bench/plans.py [--hours 48] [--every 2] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from quantpro.analysis.features import FeatureFactory
from quantpro.models import Action, neutral_market_data
from quantpro.store.markets import load_markets
from quantpro.strategies import get_strategies, run_strategy

try:  # part two: the wrapper judges plans by these rules; a replay allows stale candles
    from quantpro.strategies import PlanRules

    RULES: tuple[Any, ...] = (PlanRules(allow_stale=True),)
except ImportError:  # part one's code
    RULES = ()

REAL = Path(
    os.environ.get(
        "QUANTPRO_REAL_CANDLES",
        Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "quantopro-2026-01" / "candles",
    )
)
CAPTURE_MS = 1_768_842_349_064  # just after the sample's newest 15m candle opened (2026-01-19 17:00 UTC)
HOUR_MS = 3_600_000
#: The §12 defaults, written out here so the figures of the old code are judged by the same bounds.
MIN_STOP_PCT, MAX_STOP_PCT, MAX_TARGET_PCT, MIN_RR = 0.3, 10.0, 25.0, 1.5
MIN_STOP_ATR, MAX_TARGET_ATR = 0.5, 8.0


def _atr(values: Any) -> float | None:
    if len(values) == 0:
        return None
    last = float(values[-1])
    return last if np.isfinite(last) and last > 0 else None


def _breaks(row: dict[str, float]) -> list[str]:
    """The §12 bounds this plan breaks (judged from the current price, as §12 says)."""
    broken = []
    if row["stop_pct"] < MIN_STOP_PCT:
        broken.append("stop < min %")
    if row["stop_ltf_atr"] is not None and row["stop_ltf_atr"] < MIN_STOP_ATR:
        broken.append("stop < 0.5 LTF ATR")
    if row["stop_pct"] > MAX_STOP_PCT:
        broken.append("stop > max %")
    if row["target_pct"] > MAX_TARGET_PCT:
        broken.append("target > max %")
    if row["target_atr"] is not None and row["target_atr"] > MAX_TARGET_ATR:
        broken.append("target > 8 ATR")
    if row["rr_now"] < MIN_RR:
        broken.append("rr < 1.5")
    if row["past"]:
        broken.append("price past stop/target")
    return broken


def measure(data: Path, hours: int, every: int) -> dict[str, Any]:
    loaded = load_markets(data, now_ms=CAPTURE_MS)
    factory = FeatureFactory()
    strategies = get_strategies("all")
    cuts = [CAPTURE_MS - h * HOUR_MS for h in range(0, hours + 1, every)]
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for cut in cuts:
        for market in loaded.markets:
            candles = market.at(cut, "4h")
            if len(candles.ltf) < 60:
                continue
            context = factory.context_for(
                market.key.symbol, market.key.exchange, candles, neutral_market_data(), scan_time_ms=cut
            )
            price = float(context.ltf.candles.close[-1])
            for strategy in strategies:
                result = run_strategy(strategy, context, *RULES)
                setup = result.setup or getattr(result, "plan", None)  # below-threshold plans too
                if setup is None:
                    continue
                s = 1.0 if setup.side == "LONG" else -1.0
                risk_now, reward_now = s * (price - setup.sl), s * (setup.tp - price)
                tf = context.ltf if strategy.name == "Legacy" else context.htf
                tf_atr, ltf_atr = _atr(tf.atr), _atr(context.ltf.atr)
                row = {
                    "strategy": strategy.name,
                    "actionable": result.action is not Action.WAIT,
                    "stop_pct": 100.0 * abs(price - setup.sl) / price,
                    "target_pct": 100.0 * abs(setup.tp - price) / price,
                    "entry_gap_pct": 100.0 * abs(setup.entry - price) / price,
                    "stop_ltf_atr": abs(price - setup.sl) / ltf_atr if ltf_atr else None,
                    "target_atr": abs(setup.tp - price) / tf_atr if tf_atr else None,
                    "rr_now": reward_now / risk_now if risk_now > 0 else 0.0,
                    "past": risk_now <= 0 or reward_now <= 0,
                }
                row["breaks"] = _breaks(row)
                rows.append(row)
    return {
        "cuts": len(cuts),
        "markets": len(loaded.markets),
        "seconds": round(time.perf_counter() - started, 1),
        "rows": rows,
    }


def _quantiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    q = np.quantile(np.asarray(values), [0.0, 0.1, 0.5, 0.9, 1.0])
    return dict(zip(("min", "p10", "median", "p90", "max"), (round(float(v), 3) for v in q), strict=True))


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[f"{row['strategy']} all setups"].append(row)
        if row["actionable"]:
            groups[f"{row['strategy']} actionable"].append(row)
            groups["ALL actionable"].append(row)
    for name, group in sorted(groups.items()):
        broken: dict[str, int] = defaultdict(int)
        for row in group:
            for bound in row["breaks"]:
                broken[bound] += 1
        out[name] = {
            "setups": len(group),
            "breaking_a_bound": sum(1 for row in group if row["breaks"]),
            "by_bound": dict(sorted(broken.items())),
            "stop_pct": _quantiles([r["stop_pct"] for r in group]),
            "target_pct": _quantiles([r["target_pct"] for r in group]),
            "entry_gap_pct": _quantiles([r["entry_gap_pct"] for r in group]),
            "stop_ltf_atr": _quantiles([r["stop_ltf_atr"] for r in group if r["stop_ltf_atr"] is not None]),
            "target_atr": _quantiles([r["target_atr"] for r in group if r["target_atr"] is not None]),
            "median_rr_now": round(statistics.median(r["rr_now"] for r in group), 3),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--every", type=int, default=2)
    parser.add_argument("--data", type=Path, default=REAL)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "plans.json")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"real sample not found at {args.data}", file=sys.stderr)
        return 1
    measured = measure(args.data, args.hours, args.every)
    summary = summarise(measured.pop("rows"))
    report = {"params": {"hours": args.hours, "every_h": args.every}, **measured, "summary": summary}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"{measured['markets']} markets × {measured['cuts']} cuts in {measured['seconds']} s")
    header = (
        f"{'group':28} {'setups':>6} {'broken':>6}  stop % (p10/med/p90/max)   target % (p10/med/p90/max)"
    )
    print(header)
    for name, item in summary.items():
        st, tg = item["stop_pct"], item["target_pct"]
        print(
            f"{name:28} {item['setups']:6d} {item['breaking_a_bound']:6d}  "
            f"{st['p10']:5.2f}/{st['median']:5.2f}/{st['p90']:5.2f}/{st['max']:6.2f}   "
            f"{tg['p10']:6.2f}/{tg['median']:6.2f}/{tg['p90']:6.2f}/{tg['max']:7.2f}"
        )
        if item["by_bound"]:
            print(f"{'':28} {item['by_bound']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
