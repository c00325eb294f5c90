"""The reference design's Tests 4 and 5, with docs/design.md §1's corrected figures.

Test 4 is ``market_scanner_refactored.py data/ --strategy all``, i.e. ``quantpro scan data/ --strategy
all``, whose log shows the directory, batch and success lines. Test 5 is the ``jq`` summary of the feed,
done here in Python: the signal count is 3 × markets and the statuses 3 × the per-market counts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from quantpro import cli
from quantpro.clock import SystemClock, now_ms
from quantpro.demo.universe import generate_demo_universe

from .conftest import read_feed
from .expect import BATCH, CatalogueRules, cost_of, markets_in

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference-design.md"
MARKETS = 30


def test_4_full_market_scan_then_5_verify_master_feed(
    cli_sim: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    if REFERENCE.is_file():  # the commands are the reference's, with the corrected program name
        text = REFERENCE.read_text(encoding="utf-8")
        assert "market_scanner_refactored.py data/ --strategy all" in text
        assert "oi_statuses: [.signals[].oi_metadata.status]" in text
    data = Path("data")  # relative, as in the reference: the test runs in its own working directory
    generate_demo_universe(data, MARKETS, now_ms=now_ms(SystemClock()))
    catalogue = cli_sim.simulator.catalogue
    rules = CatalogueRules(catalogue.exchanges, catalogue.future_markets)
    expected = [rules.expect(symbol, exchange) for exchange, symbol in markets_in(data)]
    statuses = Counter(e.status for e in expected)
    cost = cost_of(expected)

    # Test 4: quantpro scan data/ --strategy all
    assert cli.main(["scan", "data/", "--strategy", "all"]) == 0
    log = capsys.readouterr().err
    found = re.search(r"\[SCAN\] Found (\d+) markets in data", log)
    assert found is not None and int(found[1]) == MARKETS
    assert re.search(rf"\[BATCH\] Processing {MARKETS} symbols", log)
    line = f"[BATCH] Resolved: {statuses['resolved']} | Aggregated: {statuses['aggregated']} | "
    assert line + f"Neutral: {statuses['neutral']}" in log
    batches = [
        tuple(map(int, m)) for m in re.findall(r"\[BATCH\] Fetching batch (\d+)/(\d+) \((\d+) symbols\)", log)
    ]
    assert [b[0] for b in batches] == list(range(1, len(batches) + 1))
    assert {b[1] for b in batches} == {len(batches)} and len(batches) == cost.data_requests
    assert all(1 <= b[2] <= BATCH for b in batches) and sum(b[2] for b in batches) == cost.units
    assert f"[SCAN] Saved {3 * MARKETS} signals to data/master_feed.json" in log
    stamp = re.search(r"Last Updated: (\d+)", log)
    assert stamp is not None

    # Test 5: the jq summary of data/master_feed.json, in Python
    feed = read_feed(data / "master_feed.json")
    summary = {
        "timestamp": feed["last_updated"],
        "signal_count": len(feed["signals"]),
        "oi_statuses": dict(Counter(s["oi_metadata"]["status"] for s in feed["signals"])),
    }
    assert summary == {
        "timestamp": int(stamp[1]),
        "signal_count": 3 * MARKETS,
        "oi_statuses": {status: 3 * count for status, count in statuses.items()},
    }
    assert math.isclose(summary["timestamp"] / 1000, SystemClock().now(), abs_tol=60)
