"""A generated universe scanned end to end against the simulator, on a fake clock (docs/design.md §4, §5, §8).

Every expectation is computed in :mod:`tests.e2e.expect` from the simulator's catalogue and the rules
of docs/design.md written out there; the resolver is never asked.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator

from quantpro.clock import FakeClock
from quantpro.demo.universe import generate_demo_universe

from .conftest import read_feed, validate
from .expect import DATA_PATHS, CatalogueRules, Cost, Expected, cost_of, markets_in, sort_key

KEY = "e2e-generated-key"
NOW_S = 1_768_842_349.064  # 2026-01-19 17:05:49 UTC, in the middle of a 15m candle
LTF_MS = 900_000
STRATEGIES = {"Legacy", "Breakout", "BreakoutV2"}


@dataclass
class Scan:
    data_dir: Path
    outcome: Any
    feed: dict[str, Any]
    expected: dict[tuple[str, str], Expected]
    cost: Cost
    sim_log: list[Any]
    scan_ms: int


def _extra_markets(rules_catalogue: Any) -> dict[str, bool]:
    """Extra local markets (name stem → has a 4h file) that reach the resolver's other branches."""
    only_h = rules_catalogue.coins_only_on("H")
    only_y = rules_catalogue.coins_only_on("Y")
    nowhere = rules_catalogue.coins_nowhere()
    digit_h = next(c for c in only_h if c[0].isdigit())
    letter_h = next(c for c in only_h if c[0].isalpha())
    return {
        f"MEXC_{letter_h}USDT": True,  # aggregated: on Hyperliquid only (most candidates among its venues)
        f"KUCOIN_{letter_h}USDTM": False,  # the same reference, shared; no 4h file
        f"HYPERLIQUID_{digit_h}USDT": True,  # resolved; a coin made of digits
        f"MEXC_{only_y[0]}USDT": True,  # aggregated to Gate.io
        f"GATEIO_{only_y[0]}USDT": True,  # resolved through the GATEIO ↔ Gate.io alias
        "HTX_ETHUSDT": True,  # resolved through the HTX ↔ Huobi alias
        "BYBIT_ETHUSDC": True,  # resolved, the USDC contract chosen by its own quote
        "BINANCE_ETHUSDC": True,
        f"MEXC_{nowhere[0]}USDT": True,  # neutral
    }


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scan]:
    from quantpro.runs.scan import run_scan
    from quantpro.settings import load_settings
    from quantpro.simulator import SimulatorConfig, start_simulator

    clock = FakeClock(start=NOW_S)
    data_dir = tmp_path_factory.mktemp("generated")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path_factory.mktemp("cwd"))
        generate_demo_universe(data_dir, 60, now_ms=int(NOW_S * 1000))
        config = SimulatorConfig(calls=400, period=10.0, api_keys=frozenset({KEY}))
        with start_simulator(config, clock=clock) as sim:
            catalogue = sim.simulator.catalogue
            for stem, with_htf in _extra_markets(catalogue).items():
                shutil.copyfile(data_dir / "BYBIT_XRPUSDT_15m.json", data_dir / f"{stem}_15m.json")
                if with_htf:
                    shutil.copyfile(data_dir / "BYBIT_XRPUSDT_4h.json", data_dir / f"{stem}_4h.json")
            rules = CatalogueRules(catalogue.exchanges, catalogue.future_markets)
            expected = {(ex, sym): rules.expect(sym, ex) for ex, sym in markets_in(data_dir)}
            settings = load_settings(
                api_key=KEY, base_url=sim.base_url, rate_limit_calls=400, rate_limit_period=10.0
            )
            scan_ms = int(clock.now() * 1000)
            outcome = run_scan(settings, data_dir, clock=clock)
            sim_log = list(sim.log)
    yield Scan(
        data_dir=data_dir,
        outcome=outcome,
        feed=read_feed(outcome.feed_path),
        expected=expected,
        cost=cost_of(expected.values()),
        sim_log=sim_log,
        scan_ms=scan_ms,
    )


def _by_market(feed: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for signal in feed["signals"]:
        out.setdefault((signal["exchange"], signal["symbol"]), []).append(signal)
    return out


def test_the_universe_reaches_every_resolution_branch(scan: Scan) -> None:
    statuses = Counter(e.status for e in scan.expected.values())
    assert len(scan.expected) == 69
    assert set(statuses) == {"resolved", "aggregated", "neutral"}
    assert any(e.coinalyze_symbol and e.coinalyze_symbol.endswith(".Y") for e in scan.expected.values())


def test_feed_is_schema_valid_and_written_as_returned(
    scan: Scan, feed_validator: Draft202012Validator
) -> None:
    assert scan.outcome.exit_code == 0
    assert scan.outcome.feed_path == scan.data_dir / "master_feed.json"
    validate(feed_validator, scan.feed)
    assert scan.feed == orjson.loads(orjson.dumps(scan.outcome.feed))


def test_no_nan_or_infinity_token_in_the_file(scan: Scan) -> None:
    text = scan.outcome.feed_path.read_text(encoding="utf-8")
    read_feed(scan.outcome.feed_path)  # strict parse: NaN / Infinity tokens raise
    for token in ("NaN", "Infinity"):
        assert token not in text


def test_every_market_has_three_signals_with_its_status_and_symbol(scan: Scan) -> None:
    by_market = _by_market(scan.feed)
    assert set(by_market) == set(scan.expected)
    for market, signals in by_market.items():
        want = scan.expected[market]
        assert {s["strategy_name"] for s in signals} == STRATEGIES and len(signals) == 3, market
        for s in signals:
            assert s["oi_metadata"]["status"] == want.status, market
            assert s["oi_metadata"]["coinalyze_symbol"] == want.coinalyze_symbol, market
            if want.status == "neutral":
                assert s["oi_metadata"]["oi_score"] == 10.0
                assert [s["external"][k] for k in ("funding_rate", "ls_ratio", "liquidations")] == [None] * 3
                assert {p["source"] for p in s["external"]["provenance"].values()} == {"none"}
            else:
                own = "coinalyze" if want.status == "resolved" else "proxy"
                assert s["oi_metadata"]["source"] == own, market
                assert (
                    s["external"]["provenance"]["funding_rate"]["coinalyze_symbol"] == want.coinalyze_symbol
                )
            if want.status != "neutral" and not want.has_long_short:
                assert s["external"]["ls_ratio"] is None, market
                assert s["external"]["provenance"]["ls_ratio"]["source"] == "none", market


def test_units_spent_is_the_minimum_computed_from_the_catalogue(scan: Scan) -> None:
    run = scan.feed["run"]
    assert run["units_minimum"] == scan.cost.units
    assert run["units_spent"] == scan.cost.units
    assert run["http_429"] == 0 and run["retries"] == 0
    assert run["requests"] == scan.cost.data_requests + 2  # + /exchanges and /future-markets


def test_simulator_saw_each_data_type_and_symbol_exactly_once(scan: Scan) -> None:
    asked: Counter[tuple[str, str]] = Counter()
    for record in scan.sim_log:
        assert record.status == 200, record
        if record.path in DATA_PATHS:
            assert 1 <= len(record.symbols) <= 20
            asked.update((record.path, sym) for sym in record.symbols)
    wanted = {(path, sym) for path in DATA_PATHS[:2] + DATA_PATHS[3:] for sym in scan.cost.symbols}
    wanted |= {("/long-short-ratio-history", sym) for sym in scan.cost.with_long_short}
    assert set(asked) == wanted
    assert set(asked.values()) == {1}
    assert sum(r.units_charged for r in scan.sim_log if r.path in DATA_PATHS) == scan.cost.units


def test_run_block_counts(scan: Scan) -> None:
    run = scan.feed["run"]
    statuses = Counter(e.status for e in scan.expected.values())
    assert run["status"] == "ok"
    assert run["markets"] == len(scan.expected)
    assert run["stale_markets"] == 0
    assert run["skipped_files"] == []
    assert run["degraded_markets"] == 0
    assert run["oi_status"] == {k: statuses[k] for k in ("resolved", "aggregated", "neutral")}
    assert len(scan.feed["signals"]) == 3 * len(scan.expected)


def test_signals_are_sorted(scan: Scan) -> None:
    signals = scan.feed["signals"]
    assert [sort_key(s) for s in signals] == sorted(sort_key(s) for s in signals)
    assert len({sort_key(s) for s in signals}) == len(signals)


def test_forming_candle_is_not_used(scan: Scan) -> None:
    last_closed = scan.scan_ms // LTF_MS * LTF_MS - LTF_MS
    closes: dict[tuple[str, str], float] = {}
    for exchange, symbol in scan.expected:
        rows = orjson.loads((scan.data_dir / f"{exchange}_{symbol}_15m.json").read_bytes())
        assert rows[-1]["time"] == last_closed + LTF_MS  # the file ends with the forming candle
        closes[(exchange, symbol)] = next(r["close"] for r in rows if r["time"] == last_closed)
    for s in scan.feed["signals"]:
        assert s["calculated_at"] == last_closed
        assert s["price"] == closes[(s["exchange"], s["symbol"])]
        assert s["meta"]["stale"] is False


def test_htf_resampled_exactly_where_the_4h_file_is_missing(scan: Scan) -> None:
    for s in scan.feed["signals"]:
        has_4h = (scan.data_dir / f"{s['exchange']}_{s['symbol']}_4h.json").exists()
        assert s["meta"]["htf_resampled"] is (not has_4h), (s["exchange"], s["symbol"])
        assert s["meta"]["htfInterval"] == "4h" and s["meta"]["ltfInterval"] == "15m"
    assert any(s["meta"]["htf_resampled"] for s in scan.feed["signals"])
