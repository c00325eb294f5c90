"""Signals a trader can act on (docs/design.md §12), end to end: every actionable setup of the demo scan
and of the real January sample keeps every bound, entered at the price it is shown at."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from quantpro.analysis.features import FeatureFactory
from quantpro.clock import FakeClock
from quantpro.demo.universe import generate_demo_universe
from quantpro.models import MarketKey, neutral_market_data
from quantpro.runs.scan import run_scan
from quantpro.settings import load_settings
from quantpro.simulator import SimulatorConfig, start_simulator
from quantpro.sources.base import ProgressCallback, SourceResult, SourceStats
from quantpro.store.markets import load_markets
from quantpro.strategies import get_strategies, run_strategy

NOW_S = 1_768_842_349.064  # 2026-01-19 17:05:49 UTC: the demo's moment, and the sample's newest candle
KEY = "plans-key"
EPS = 1e-6


def bound_problems(signal: dict[str, Any]) -> list[str]:
    """The §12 bounds (defaults) an actionable signal's setup breaks, judged from its own price."""
    setup, price = signal["setup"], signal["price"]
    drawn_on = signal["ltf"] if signal["meta"]["strategy_type"] == "legacy" else signal["htf"]
    s = 1.0 if setup["side"] == "LONG" else -1.0
    risk, reward = s * (price - setup["sl"]), s * (setup["tp"] - price)
    problems = []
    if setup["entry"] != price:
        problems.append(f"entry {setup['entry']} is not the price {price}")
    if risk <= 0 or reward <= 0:
        return [*problems, "price past the stop or the target"]
    ltf_atr, frame_atr = signal["ltf"]["atr"] or 0.0, drawn_on["atr"] or 0.0
    if ltf_atr <= 0 or frame_atr <= 0:
        return [*problems, "no ATR to judge by"]
    if not 0.3 - EPS <= 100 * risk / price <= 10 + EPS:
        problems.append(f"stop {100 * risk / price:.2f} %")
    if risk < 0.5 * ltf_atr - EPS:
        problems.append(f"stop {risk / ltf_atr:.2f} LTF ATR")
    if 100 * reward / price > 25 + EPS or reward > 8 * frame_atr + EPS:
        problems.append(f"target {100 * reward / price:.1f} %, {reward / frame_atr:.1f} ATR")
    if reward / risk < 1.5 - EPS or not setup["rr_net"] < setup["rr"]:
        problems.append(f"rr {setup['rr']} / net {setup['rr_net']}")
    return problems


def test_every_actionable_setup_of_the_demo_keeps_the_bounds(tmp_path: Path) -> None:
    """Part one's demo showed a WIF SHORT with its stop 33 % away and its target −99 % away."""
    clock = FakeClock(start=NOW_S)
    data_dir = tmp_path / "demo"
    generate_demo_universe(data_dir, 60, now_ms=int(NOW_S * 1000))
    with start_simulator(
        SimulatorConfig(calls=400, period=10.0, api_keys=frozenset({KEY})), clock=clock
    ) as sim:
        settings = load_settings(
            api_key=KEY,
            base_url=sim.base_url,
            rate_limit_calls=400,
            rate_limit_period=10.0,
            cache_dir=data_dir,
        )
        outcome = run_scan(settings, data_dir, clock=clock)
    actionable = [s for s in outcome.feed["signals"] if s["action"] != "WAIT"]
    broken = {(s["exchange"], s["symbol"], s["strategy_name"]): bound_problems(s) for s in actionable}
    assert not {key: why for key, why in broken.items() if why}
    assert {s["action"] for s in actionable} == {"LONG", "SHORT"}
    assert {s["strategy_name"] for s in actionable} == {"Legacy", "Breakout", "BreakoutV2"}
    wif = [s for s in outcome.feed["signals"] if s["symbol"].startswith("WIF")]
    assert wif and all(not bound_problems(s) for s in wif if s["action"] != "WAIT")
    assert all(s["details"]["trigger_price"] is not None for s in actionable)


class NoDerivatives:
    """A derivatives source with nothing to give: every market neutral, nothing spent."""

    name = "none"

    def fetch(
        self, markets: Sequence[MarketKey], *, progress: ProgressCallback | None = None
    ) -> SourceResult:
        return SourceResult(
            {key: neutral_market_data("no derivatives in this test") for key in markets}, SourceStats()
        )

    def close(self) -> None:
        pass


@pytest.mark.realdata
@pytest.mark.slow
def test_no_actionable_setup_on_the_real_sample_breaks_a_bound(real_candles: Path, tmp_path: Path) -> None:
    """The whole January sample, scanned today with ``--allow-stale`` and replayed at three earlier cuts."""
    from quantpro.strategies import PlanRules

    settings = load_settings(allow_stale=True, cache_dir=tmp_path)
    outcome = run_scan(
        settings,
        real_candles,
        output=tmp_path / "feed.json",
        clock=FakeClock(start=NOW_S + 40 * 86_400),  # weeks later: every market is stale
        source=NoDerivatives(),
    )
    assert outcome.exit_code == 0 and outcome.run.stale_markets == outcome.run.markets
    actionable = [s for s in outcome.feed["signals"] if s["action"] != "WAIT"]
    assert actionable, "the sample should hold some actionable setups"
    problems = [
        (s["exchange"], s["symbol"], s["strategy_name"], bound_problems(s))
        for s in actionable
        if bound_problems(s)
    ]
    assert not problems

    loaded = load_markets(real_candles, now_ms=int(NOW_S * 1000))
    factory, strategies, rules = FeatureFactory(), get_strategies(), PlanRules(allow_stale=True)
    checked = 0
    for hours_before in (12, 24, 48):
        cut = int(NOW_S * 1000) - hours_before * 3_600_000
        for market in loaded.markets:
            candles = market.at(cut, "4h")
            if len(candles.ltf) < 60:
                continue
            context = factory.context_for(
                market.key.symbol, market.key.exchange, candles, None, scan_time_ms=cut
            )
            price = float(context.ltf.candles.close[-1])
            for strategy in strategies:
                setup = run_strategy(strategy, context, rules).setup
                if setup is None:
                    continue
                checked += 1
                assert setup.entry == price
                s = 1.0 if setup.side == "LONG" else -1.0
                risk, reward = s * (setup.entry - setup.sl), s * (setup.tp - setup.entry)
                assert 0.3 <= 100 * risk / setup.entry <= 10 and 100 * reward / setup.entry <= 25
                assert reward / risk >= 1.5
    assert checked > 0


def test_the_scan_rounds_setups_to_the_ticks_of_markets_json(tmp_path: Path) -> None:
    """`download` writes the ticks; the scan reads them and rounds every setup (stop away, target toward)."""
    from quantpro.store.markets_file import MarketInfo, write_markets_file

    clock = FakeClock(start=NOW_S)
    data_dir = tmp_path / "demo"
    generate_demo_universe(data_dir, 20, now_ms=int(NOW_S * 1000))
    settings = load_settings(cache_dir=tmp_path)
    before = run_scan(settings, data_dir, clock=clock, source=NoDerivatives())
    setups = {(s["exchange"], s["symbol"], s["strategy_name"]): s for s in before.signals if s["setup"]}
    assert setups
    ticks = {(exchange, symbol): s["price"] / 997.0 for (exchange, symbol, _), s in setups.items()}
    write_markets_file(
        data_dir,
        [
            MarketInfo(ex, sym, f"{sym}/USDT:USDT", sym, "USDT", 1.0, tick, None, None)
            for (ex, sym), tick in ticks.items()
        ],
        now_ms=int(NOW_S * 1000),
    )
    after = run_scan(settings, data_dir, clock=clock, source=NoDerivatives())
    rounded = {(s["exchange"], s["symbol"], s["strategy_name"]): s for s in after.signals if s["setup"]}
    assert rounded
    for key, signal in rounded.items():
        setup, tick, raw = signal["setup"], ticks[key[:2]], setups[key]["setup"]
        for price in (setup["sl"], setup["tp"]):
            assert abs(price / tick - round(price / tick)) < 1e-6, (key, price, tick)
        s = 1.0 if setup["side"] == "LONG" else -1.0
        assert s * (raw["sl"] - setup["sl"]) >= 0 and s * (raw["tp"] - setup["tp"]) >= 0  # away / toward
        assert setup["entry"] == signal["price"] == raw["entry"]
