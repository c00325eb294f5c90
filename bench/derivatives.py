"""§11 benchmark (docs/design.md §11): 96 cycles (24 h) from a cold store, the seven venue fakes with
realistic perpetual counts, the Coinalyze simulator at the real quota (40 units / 60 s), all on one
fake clock, a 1,100-market universe. Per cycle: one ``run_snapshot`` (venues in parallel, repair and
bootstrap, the Coinalyze budget), then the scan's derivatives phase (``ExchangeSource.fetch``) for the
universe, which must send nothing. Figures are measured, not assumed; the wall times are this
machine's, with the fakes in the same process (they measure our code plus loopback HTTP).

    .venv/bin/python bench/derivatives.py [--cycles 96] [--markets 1100]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from quantpro.analysis.derivatives import OI_MIN_BUCKETS, oi_z_score
from quantpro.clock import FakeClock, now_ms
from quantpro.models import MarketKey
from quantpro.runs.snapshot import run_snapshot, spend_coinalyze
from quantpro.settings import load_settings
from quantpro.simulator import SimulatorConfig, start_simulator
from quantpro.simulator.venues import DEFAULT_START_S, VenueWorld, start_venue_fakes
from quantpro.sources.exchanges import ExchangeSource
from quantpro.store.db import Store
from quantpro.store.derivatives_read import load_markets

KEY = "bench-derivatives-key"
SHARE = {
    "BINANCE": 200,
    "BYBIT": 180,
    "OKX": 100,
    "BITGET": 160,
    "MEXC": 220,
    "KUCOIN": 160,
    "HYPERLIQUID": 80,
}
BOUNDARY = 900
FRESH_S = 900 + 300
#: The fakes' paths of the per-symbol long/short ratio and OI-history calls; every other request of a
#: snapshot is OI and funding (bulk calls, Binance's per-symbol OI, and any markets/metadata call).
LS_PATHS = frozenset(
    {
        "/futures/data/globalLongShortAccountRatio",
        "/v5/market/account-ratio",
        "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
        "/api/v2/mix/market/account-long-short",
    }
)
HISTORY_PATHS = frozenset(
    {
        "/futures/data/openInterestHist",
        "/v5/market/open-interest",
        "/api/v5/rubik/stat/contracts/open-interest-history",
        "/api/ua/v1/market/open-interest",
        "/api/v1/market/open-interest",
    }
)


#: ccxt's markets calls (``load_markets`` of each snapshot's new client; Binance's funding intervals):
#: metadata, not OI and funding (KuCoin's and Hyperliquid's bulk call is also their markets call).
MARKETS_PATHS = frozenset(
    {
        "/fapi/v1/exchangeInfo",
        "/fapi/v1/fundingInfo",
        "/v5/market/instruments-info",
        "/api/v5/public/instruments",
        "/api/v2/mix/market/contracts",
        "/api/v3/exchangeInfo",
        "/api/v1/contract/detail",
    }
)


def request_kinds(paths: list[str]) -> dict[str, int]:
    """A venue's requests of one cycle by kind: OI and funding, markets metadata, long/short ratios,
    OI history."""
    ls = sum(1 for p in paths if p in LS_PATHS)
    history = sum(1 for p in paths if p in HISTORY_PATHS)
    markets = sum(1 for p in paths if p in MARKETS_PATHS)
    return {
        "oi_funding": len(paths) - ls - history - markets,
        "markets": markets,
        "ls_ratio": ls,
        "oi_history": history,
    }


def universe(world: VenueWorld, t: float, total: int) -> list[MarketKey]:
    scale = total / sum(SHARE.values())
    keys: list[MarketKey] = []
    for venue, n in SHARE.items():
        perps = sorted(world.perpetuals(venue, t), key=lambda m: -m.volume)
        keys += [MarketKey(venue, m.expected_local) for m in perps[: round(n * scale)]]
    return keys


def z_check(
    data: dict[MarketKey, Any], world: VenueWorld, ids: dict[tuple[str, str], str]
) -> tuple[int, float, dict[str, float]]:
    """Markets on their own unfilled series whose z was compared with the truth's, the worst gap, and
    the worst per venue."""
    compared, worst = 0, 0.0
    per_venue: dict[str, float] = {}
    for key, item in data.items():
        hist = item.get("oi_history") or []
        if item.get("oi_source") != "venue" or len(hist) < 2 or any(p.get("filled") for p in hist):
            continue
        venue_id = ids[(key.exchange, key.symbol)]
        mine = oi_z_score(np.array([p["value"] for p in hist], dtype=np.float64))
        truth = oi_z_score(
            np.array([world.oi_base(key.exchange, venue_id, p["timestamp"] + BOUNDARY) for p in hist])
        )
        if mine is None or truth is None:
            continue
        compared += 1
        worst = max(worst, abs(mine - truth))
        per_venue[key.exchange] = max(per_venue.get(key.exchange, 0.0), abs(mine - truth))
    return compared, worst, per_venue


def run(cycles: int, total: int) -> dict[str, Any]:
    t0 = DEFAULT_START_S + 20
    clock = FakeClock(t0)
    world = VenueWorld.benchmark()
    keys = universe(world, t0, total)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, start_venue_fakes(clock, world=world) as fakes:
        config = SimulatorConfig(calls=40, period=60.0, api_keys=frozenset({KEY}))
        with start_simulator(config, clock=clock) as sim:
            settings = load_settings(
                exchange_urls=fakes.urls,
                store_path=Path(tmp) / "store.sqlite",
                api_key=KEY,
                base_url=sim.base_url,
                cache_dir=Path(tmp) / "cache",
                rate_limit_calls=40,
                rate_limit_period=60.0,
            )
            data_dir = Path(tmp) / "data"
            data_dir.mkdir()
            start = t0
            for k in range(cycles):
                start = max(start, t0 + k * BOUNDARY)
                sent0 = {v: len(f.log) for v, f in fakes.fakes.items()}
                # The venues run in parallel; a fake clock's sleeps would add up across threads, so each
                # venue gets its own lane from the cycle's start and the venue part lasts the longest lane.
                lanes: dict[str, float] = {}
                wall = time.perf_counter()
                outcome = None
                for venue in SHARE:
                    clock.set(start)
                    part = run_snapshot(settings, data_dir, clock=clock, exchanges=[venue], coinalyze=False)
                    lanes[venue] = clock.now() - start
                    if outcome is None:
                        outcome = part
                    else:
                        outcome.venues.update(part.venues)
                        outcome.rejected += part.rejected
                assert outcome is not None
                snap_s = time.perf_counter() - wall
                venue_fake_s = max(lanes.values())
                clock.set(start + venue_fake_s)
                sent = {v: len(f.log) - sent0[v] for v, f in fakes.fakes.items()}
                kinds = {
                    v: request_kinds([r.path for r in f.log[sent0[v] :]]) for v, f in fakes.fakes.items()
                }
                before = sum(len(f.log) for f in fakes.fakes.values())
                wall = time.perf_counter()
                data = ExchangeSource(settings.store_file(), clock=clock).fetch(keys).data
                read_s = time.perf_counter() - wall
                scan_requests = sum(len(f.log) for f in fakes.fakes.values()) - before
                with Store(settings.store_file()) as store:
                    ids = {(m.venue, m.local_symbol): m.venue_id for m in load_markets(store)}
                scan_ms = now_ms(clock)
                fresh = sum(
                    1
                    for item in data.values()
                    if item["provenance"]["open_interest"].get("as_of") is not None
                    and item["provenance"]["funding_rate"].get("as_of") is not None
                    and scan_ms - item["provenance"]["open_interest"]["as_of"] <= FRESH_S * 1000
                    and scan_ms - item["provenance"]["funding_rate"]["as_of"] <= FRESH_S * 1000
                )
                capable = sum(
                    1
                    for item in data.values()
                    if item.get("oi_source") == "venue"
                    and item["oi_metadata"].get("current_observed")
                    and sum(1 for p in item.get("oi_history", []) if not p.get("filled")) >= OI_MIN_BUCKETS
                )
                compared, worst, per_venue = z_check(data, world, ids)
                scan_end = clock.now()
                clock.set(start)  # Coinalyze is its own lane, beside the venues, from the cycle's start
                wall = time.perf_counter()
                co = spend_coinalyze(settings, data_dir, clock=clock)
                co_s = time.perf_counter() - wall
                coinalyze_fake_s = clock.now() - start
                clock.set(max(clock.now(), scan_end))
                cycle_s = clock.now() - start
                start = clock.now()
                rows.append(
                    {
                        "cycle": k,
                        "snapshot_wall_s": round(snap_s, 3),
                        "cycle_fake_s": round(cycle_s, 1),
                        "venue_part_fake_s": round(venue_fake_s, 1),
                        "venue_lanes_fake_s": {v: round(x, 1) for v, x in lanes.items()},
                        "coinalyze_lane_fake_s": round(coinalyze_fake_s, 1),
                        "coinalyze_wall_s": round(co_s, 3),
                        "z_worst_per_venue": per_venue,
                        "read_wall_s": round(read_s, 4),
                        "scan_venue_requests": scan_requests,
                        "venue_requests": sent,
                        "venue_requests_by_kind": kinds,
                        "http_429": sum(v.http_429 for v in outcome.venues.values()),
                        "venue_errors": {n: v.error for n, v in outcome.venues.items() if v.error},
                        "fresh_pct": round(100 * fresh / len(keys), 2),
                        "z_capable_own": capable,
                        "z_compared": compared,
                        "z_worst_abs_diff": worst,
                        "coinalyze": {
                            x: co.get(x)
                            for x in ("status", "budget", "planned", "spent", "short_by", "error")
                        },
                        "buckets_written": outcome.buckets_written,
                        "buckets_repaired": outcome.buckets_repaired,
                        "rejected": len(outcome.rejected),
                        "store_bytes": sum(
                            p.stat().st_size for p in Path(tmp).glob("store.sqlite*") if p.is_file()
                        ),
                    }
                )
                r = rows[-1]
                print(
                    f"cycle {k:>2}: snap {r['snapshot_wall_s']:>6.2f}s (fake venue {venue_fake_s:>4.0f}s, "
                    f"coinalyze {coinalyze_fake_s:>4.0f}s, cycle {r['cycle_fake_s']:>5.0f}s) "
                    f"read {r['read_wall_s']:.3f}s fresh {r['fresh_pct']:>6.2f}% capable {capable:>4} "
                    f"z {compared:>4} worst {worst:.2e} units {co.get('spent')}/{co.get('budget')} "
                    f"short {co.get('short_by')} 429 {r['http_429']} binance {kinds['BINANCE']} "
                    f"store {r['store_bytes'] / 1e6:.1f} MB {per_venue}",
                    flush=True,
                )
    return {
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "markets": len(keys),
        "venue_perpetuals": {v: len(world.perpetuals(v, t0)) for v in world.venues},
        "cycles": rows,
    }


def summary(result: dict[str, Any]) -> dict[str, Any]:
    rows = result["cycles"]
    steady = rows[4:] or rows
    return {
        "markets": result["markets"],
        "fresh_pct_min": min(r["fresh_pct"] for r in rows),
        "units_max": max(r["coinalyze"]["spent"] or 0 for r in rows),
        "units_steady_mean": round(sum(r["coinalyze"]["spent"] or 0 for r in steady) / len(steady), 1),
        "budget": rows[0]["coinalyze"]["budget"],
        "http_429_total": sum(r["http_429"] for r in rows),
        "z_capable_cycle0": rows[0]["z_capable_own"],
        "z_capable_last": rows[-1]["z_capable_own"],
        "z_worst_abs_diff": max(r["z_worst_abs_diff"] for r in rows),
        "scan_venue_requests_max": max(r["scan_venue_requests"] for r in rows),
        "read_wall_s_max": max(r["read_wall_s"] for r in rows),
        "snapshot_wall_s_median": sorted(r["snapshot_wall_s"] for r in rows)[len(rows) // 2],
        "binance_requests_max": max(r["venue_requests"]["BINANCE"] for r in rows),
        "other_venue_requests_max_after_cycle0": max(
            (n for r in rows[1:] for v, n in r["venue_requests"].items() if v != "BINANCE"), default=None
        ),
        "requests_by_kind_max_after_cycle0": {
            v: {k: max((r["venue_requests_by_kind"][v][k] for r in rows[1:]), default=None) for k in kinds}
            for v in rows[0]["venue_requests_by_kind"]
            for kinds in [("oi_funding", "markets", "ls_ratio", "oi_history")]
        },
        "binance_oi_plus_ls_max": max(
            r["venue_requests_by_kind"]["BINANCE"]["oi_funding"]
            + r["venue_requests_by_kind"]["BINANCE"]["ls_ratio"]
            for r in rows
        ),
        "binance_stats_pool_max": max(
            r["venue_requests_by_kind"]["BINANCE"]["ls_ratio"]
            + r["venue_requests_by_kind"]["BINANCE"]["oi_history"]
            for r in rows
        ),
        "store_mb_last": round(rows[-1]["store_bytes"] / 1e6, 2),
        "rejected_total": sum(r["rejected"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=96)
    parser.add_argument("--markets", type=int, default=1100)
    args = parser.parse_args()
    result = run(args.cycles, args.markets)
    result["summary"] = summary(result)
    out = Path(__file__).parent / "results" / "derivatives.json"
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result["summary"], indent=1))


if __name__ == "__main__":
    main()
