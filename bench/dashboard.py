"""Dashboard benchmark (docs/design.md §15): the page with 3,300 signals (1,100 markets × 3 strategies)
in a real headless Chromium, served by `quantpro serve`'s app on uvicorn on loopback.

The feed: `quantpro demo` scans 40 generated markets (120 real signals, every field as the scanner
writes it); each of the 1,100 benchmark markets takes the three signals of one demo market, under its
own symbol and one of the seven venues, with its score moved by a seeded ±5 points, and the feed is
re-sorted and written with `write_feed` (its invariants checked) — real shapes and sizes (~4 KB a
signal), not a real scan of 1,100 markets. Measured, median of RUNS fresh page loads:

- first rows: navigation start → the first rows drawn (HTML, the chart library, /api/signals, render),
  the page's own `performance.mark`;
- each filter and sort: the input event → the table re-rendered and painted (two animation frames);
- /api/signals: the server's answer for all 3,300 rows (time and size), and /api/feed's size.

Run: ``.venv/bin/python bench/dashboard.py`` (needs /usr/bin/chromium). Writes bench/results/dashboard.json.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from quantpro.cli.main import main as cli
from quantpro.feed.build import sort_signals
from quantpro.feed.io import write_feed
from quantpro.settings import load_settings
from quantpro.store.layout import FEED_NAME
from quantpro.web.app import create_app
from web.conftest import CHROMIUM, CHROMIUM_ARGS, live_server

MARKETS = 1100
VENUES = ("BINANCE", "BYBIT", "MEXC", "KUCOIN", "OKX", "BITGET", "HYPERLIQUID")
RUNS = 5
RESULTS = Path(__file__).resolve().parent / "results" / "dashboard.json"
ROW = '[data-testid="signal-row"]'

#: One action in the page: set a control, then wait until the table is re-rendered and painted.
ACT = """async ([kind, testid, value]) => {
  const el = document.querySelector(`[data-testid="${testid}"]`);
  const t0 = performance.now();
  if (kind === "click") el.click();
  else { el.value = value; el.dispatchEvent(new Event(kind, { bubbles: true })); }
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return [performance.now() - t0, document.querySelectorAll('[data-testid="signal-row"]').length,
          document.querySelector('[data-testid="row-count"]').textContent];
}"""

STEPS = [
    ("search 'BTC'", ("input", "filter-search", "BTC")),
    ("search cleared", ("input", "filter-search", "")),
    ("exchange BYBIT", ("change", "filter-exchange", "BYBIT")),
    ("action LONG or SHORT", ("change", "filter-action", "LONG,SHORT")),
    ("min score 70", ("input", "filter-min-score", "70")),
    ("exchange cleared", ("change", "filter-exchange", "")),
    ("sort by rr", ("click", "sort-rr", None)),
    ("sort by age", ("click", "sort-age", None)),
]


def big_feed(demo: dict[str, Any]) -> dict[str, Any]:
    rng = random.Random(15)
    by_market: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for signal in demo["signals"]:
        by_market.setdefault((signal["exchange"], signal["symbol"]), []).append(signal)
    templates = list(by_market.values())
    signals = []
    for i in range(MARKETS):
        venue = VENUES[i % len(VENUES)]
        for template in templates[i % len(templates)]:
            symbol = f"{template['canonical_symbol']}{i}USDT"
            score = round(min(100.0, max(0.0, template["score"] + rng.uniform(-5, 5))), 2)
            signals.append(
                {
                    **template,
                    "exchange": venue,
                    "exchange_tag": venue,
                    "source": venue,
                    "symbol": symbol,
                    "display_symbol": symbol,
                    "score": score,
                    "total_score": score,
                }
            )
    return {**demo, "run": {**demo["run"], "markets": MARKETS}, "signals": sort_signals(signals)}


def measure(url: str, expected: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        for _ in range(RUNS):
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url + "/")
            page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
            wall = time.perf_counter() - start
            first = page.evaluate("performance.getEntriesByName('qp-first-rows')[0].startTime")
            count = page.evaluate("document.querySelector('[data-testid=\"row-count\"]').textContent")
            assert count.startswith(f"{expected} of {expected}"), count
            steps = {}
            for name, args in STEPS:
                ms, rendered, shown = page.evaluate(ACT, list(args))
                steps[name] = {"ms": round(ms, 1), "rows_in_dom": rendered, "shown": shown}
            runs.append({"first_rows_ms": round(first, 1), "wall_s": round(wall, 3), "steps": steps})
            page.close()
        context.close()
    return runs


def main() -> int:
    if not CHROMIUM.is_file():
        print("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "demo"
        with contextlib.redirect_stdout(io.StringIO()):  # the demo's table of signals
            assert cli(["-q", "demo", "--dir", str(data)]) == 0
        feed = big_feed(orjson.loads((data / FEED_NAME).read_bytes()))
        write_feed(data / FEED_NAME, feed)  # type: ignore[arg-type]
        expected = len(feed["signals"])
        feed_bytes = (data / FEED_NAME).stat().st_size
        with live_server(create_app(data, load_settings())) as server:
            api = []
            for _ in range(RUNS):
                start = time.perf_counter()
                response = httpx.get(server.url + "/api/signals", timeout=30)
                api.append(time.perf_counter() - start)
            rows_bytes = len(response.content)
            runs = measure(server.url, expected)
    med = statistics.median
    result = {
        "signals": expected,
        "markets": MARKETS,
        "runs": RUNS,
        "feed_bytes": feed_bytes,
        "api_signals_bytes": rows_bytes,
        "api_signals_ms_median": round(med(api) * 1000, 1),
        "first_rows_ms_median": round(med(r["first_rows_ms"] for r in runs), 1),
        "load_wall_s_median": round(med(r["wall_s"] for r in runs), 3),
        "steps_ms_median": {name: round(med(r["steps"][name]["ms"] for r in runs), 1) for name, _ in STEPS},
        "steps_rows": {name: runs[0]["steps"][name]["shown"] for name, _ in STEPS},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "per_run": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{expected} signals ({MARKETS} markets); feed {feed_bytes / 1e6:.1f} MB, "
        f"/api/signals {rows_bytes / 1e6:.1f} MB in {result['api_signals_ms_median']} ms"
    )
    print(f"first rows: {result['first_rows_ms_median']} ms after navigation (median of {RUNS})")
    for name, ms in result["steps_ms_median"].items():
        print(f"  {name:<22} {ms:>7.1f} ms  ({result['steps_rows'][name]})")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
