"""A sample of the real January 2026 candles (../shared/data) scanned end to end against the simulator.

The sample is linked (or copied) into a temporary directory, never into the repository; a torn copy
of a real file is added there to check it is skipped and named.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from quantpro.clock import FakeClock

from .conftest import read_feed, validate
from .expect import CatalogueRules, markets_in

pytestmark = pytest.mark.realdata

KEY = "e2e-real-key"
CAPTURE_S = 1_768_842_349.064  # just after the sample's newest candle opened (2026-01-19 17:00 UTC)
TORN_ORIGINALS = ("KUCOIN_CAKEUSDTM_15m.json", "KUCOIN_CAKEUSDTM_4h.json", "KUCOIN_RUNEUSDTM_4h.json")
MUST_HAVE = (
    "KUCOIN_XBTUSDTM_15m.json",
    "KUCOIN_XBTUSDTM_4h.json",
    "HYPERLIQUID_kPEPEUSDT_15m.json",
    "HYPERLIQUID_kPEPEUSDT_4h.json",
    "MEXC_SSVUSDT_15m.json",  # 15m only
    "KUCOIN_RUNEUSDTM_15m.json",  # 15m only (its 4h file was one of the torn ones)
    "HYPERLIQUID_MKRUSDT_4h.json",  # 4h only: skipped and named
)
TORN_NAME = "KUCOIN_CAKEUSDTM_15m.json"  # the original's torn file, rebuilt from a sound one
TORN_AT = 20_480


def _place(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _sample(real: Path, target: Path) -> None:
    """About 60 markets: the named ones, then every 12th market of the folder, with their 4h files."""
    names = set(MUST_HAVE)
    ltf = sorted(p.name for p in real.glob("*_15m.json"))
    for name in ltf[::12]:
        names.add(name)
        if (real / name.replace("_15m.", "_4h.")).exists():
            names.add(name.replace("_15m.", "_4h."))
    for name in sorted(names):
        _place(real / name, target / name)


def test_the_torn_files_of_the_original_are_absent(real_candles: Path) -> None:
    for name in TORN_ORIGINALS:
        assert not (real_candles / name).exists(), name


def test_every_real_market_gets_its_three_signals(
    real_candles: Path, tmp_path: Path, feed_validator: Draft202012Validator
) -> None:
    from quantpro.runs.scan import run_scan
    from quantpro.settings import load_settings
    from quantpro.simulator import SimulatorConfig, start_simulator

    data_dir = tmp_path / "candles"
    data_dir.mkdir()
    _sample(real_candles, data_dir)
    torn = (real_candles / "MEXC_CAKEUSDT_15m.json").read_bytes()[:TORN_AT]
    (data_dir / TORN_NAME).write_bytes(torn)
    markets = [m for m in markets_in(data_dir) if f"{m[0]}_{m[1]}_15m.json" != TORN_NAME]
    assert 55 <= len(markets) <= 70

    clock = FakeClock(start=CAPTURE_S)
    with start_simulator(SimulatorConfig(calls=400, period=10.0), clock=clock) as sim:
        catalogue = sim.simulator.catalogue
        rules = CatalogueRules(catalogue.exchanges, catalogue.future_markets)
        settings = load_settings(  # a replay: a third of the sample's files end hours before the capture
            api_key=KEY, base_url=sim.base_url, rate_limit_calls=400, rate_limit_period=10.0, allow_stale=True
        )
        outcome = run_scan(settings, data_dir, clock=clock)

    assert outcome.exit_code == 0
    feed = read_feed(outcome.feed_path)
    validate(feed_validator, feed)
    per_market = Counter((s["exchange"], s["symbol"]) for s in feed["signals"])
    assert set(per_market) == set(markets)
    assert set(per_market.values()) == {3}
    for s in feed["signals"]:
        want = rules.expect(s["symbol"], s["exchange"])
        assert (s["oi_metadata"]["status"], s["oi_metadata"]["coinalyze_symbol"]) == (
            want.status,
            want.coinalyze_symbol,
        ), (s["exchange"], s["symbol"])
    statuses = {(s["exchange"], s["symbol"]): s["oi_metadata"]["status"] for s in feed["signals"]}
    assert statuses[("KUCOIN", "XBTUSDTM")] == "aggregated"
    assert statuses[("HYPERLIQUID", "kPEPEUSDT")] == "resolved"
    resampled = {(s["exchange"], s["symbol"]) for s in feed["signals"] if s["meta"]["htf_resampled"]}
    assert {("MEXC", "SSVUSDT"), ("KUCOIN", "RUNEUSDTM")} <= resampled

    skipped = {s["file"]: s["reason"] for s in feed["run"]["skipped_files"]}
    assert skipped["HYPERLIQUID_MKRUSDT_4h.json"] == "4h file without its 15m pair"
    match = re.fullmatch(r"invalid JSON at byte (\d+)", skipped[TORN_NAME])
    assert match is not None, skipped[TORN_NAME]
    assert TORN_AT - 200 <= int(match[1]) <= TORN_AT
    assert feed["run"]["markets"] == len(markets)
    assert feed["run"]["units_spent"] == feed["run"]["units_minimum"]
