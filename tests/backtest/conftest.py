"""Backtest fixtures: a demo universe on disk (synthetic, seeded) and helpers to replay it."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantpro.demo.universe import generate_demo_universe
from quantpro.models import TIMEFRAME_MS

#: The demo's "now": a 15m boundary; every file ends with the candle forming then.
DEMO_NOW_MS = 1_768_842_000_000
LTF_MS = TIMEFRAME_MS["15m"]

#: The fields of a trade in the JSON report, in order (docs/design.md §13).
TRADE_FIELDS = [
    "exchange",
    "symbol",
    "strategy",
    "side",
    "score",
    "cut_ms",
    "entry_ms",
    "entry",
    "stop",
    "target",
    "exit_ms",
    "exit",
    "exit_reason",
    "r",
    "quoted_entry",
]


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo-universe")
    generate_demo_universe(directory, 12, now_ms=DEMO_NOW_MS, seed=3)
    return directory
