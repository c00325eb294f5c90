"""The page in a real browser: headless Debian Chromium driven by Playwright, against uvicorn on loopback.

Each test asserts what a person sees — the rows, the filters and sorts, the detail's levels, the charts
drawn, a new feed appearing by itself — and that no request left 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantpro.settings import load_settings
from quantpro.store.layout import FEED_NAME
from quantpro.web.app import create_app

from .conftest import ARTIFACTS, LiveServer, Tab, live_server, read_feed, write_feed_doc

ROW = '[data-testid="signal-row"]'
TIMEOUT_MS = 15_000


@pytest.fixture
def server(data_dir: Path) -> Iterator[LiveServer]:
    with live_server(create_app(data_dir, load_settings(), poll_s=0.1)) as live:
        yield live


def rows(page: Any) -> list[tuple[str, str, str, str, float]]:
    found = page.eval_on_selector_all(
        ROW,
        "els => els.map(e => [e.dataset.exchange, e.dataset.symbol, e.dataset.strategy, e.dataset.action,"
        " Number(e.dataset.score)])",
    )
    return [tuple(r) for r in found]


def feed_rows(signals: list[dict[str, Any]]) -> list[tuple[str, str, str, str, float]]:
    return [(s["exchange"], s["symbol"], s["strategy_name"], s["action"], s["score"]) for s in signals]


def open_page(tab: Tab, server: LiveServer) -> Any:
    page = tab.page
    page.goto(server.url + "/")
    page.wait_for_selector("body[data-ready=yes]", timeout=TIMEOUT_MS)
    return page


def wait_rows(page: Any, count: int) -> None:
    """Wait until the table holds ``count`` rows, scrolling it down as a person would: it renders
    PAGE rows at a time, more as its end comes into view."""
    page.wait_for_function(
        """([sel, n]) => {
            const wrap = document.getElementById("table-wrap");
            wrap.scrollTop = wrap.scrollHeight;
            return document.querySelectorAll(sel).length === n;
        }""",
        arg=[ROW, count],
        timeout=TIMEOUT_MS,
        polling=50,
    )
    page.evaluate("document.getElementById('table-wrap').scrollTop = 0")


def only_loopback(tab: Tab) -> None:
    assert tab.requests.seen, "no request was recorded"
    assert tab.requests.outside == [], f"requests left the machine: {tab.requests.outside}"
    assert tab.errors == [], f"errors on the page: {tab.errors}"


def test_rows_match_the_feed(tab: Tab, server: LiveServer, data_dir: Path) -> None:
    feed = read_feed(data_dir)
    page = open_page(tab, server)
    first = page.locator(ROW).count()
    assert 0 < first <= len(feed["signals"])
    if first < len(feed["signals"]):  # the rest come as the table scrolls
        assert f"{len(feed['signals']) - first} more" in page.get_by_test_id("more-rows").inner_text()
    wait_rows(page, len(feed["signals"]))
    assert rows(page) == feed_rows(feed["signals"])
    assert page.get_by_test_id("more-rows").inner_text() == ""
    run = page.get_by_test_id("run-status")
    assert run.get_attribute("data-status") == feed["run"]["status"]
    assert f"markets {feed['run']['markets']}" in run.inner_text()
    assert page.get_by_test_id("feed-problem").is_hidden()
    assert page.get_by_test_id("badge-provenance").count() == len(feed["signals"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-table.png"))
    only_loopback(tab)


def test_every_filter_and_sort(tab: Tab, server: LiveServer, data_dir: Path) -> None:
    signals = read_feed(data_dir)["signals"]
    page = open_page(tab, server)
    wait_rows(page, len(signals))

    def shows(pred: Any) -> None:
        want = feed_rows([s for s in signals if pred(s)])
        assert want, "the demo feed should have rows for this filter"
        wait_rows(page, len(want))
        assert rows(page) == want

    page.get_by_test_id("filter-exchange").select_option("BYBIT")
    shows(lambda s: s["exchange"] == "BYBIT")
    page.get_by_test_id("filter-strategy").select_option("Breakout")
    shows(lambda s: s["exchange"] == "BYBIT" and s["strategy_name"] == "Breakout")
    page.get_by_test_id("filter-exchange").select_option("")
    page.get_by_test_id("filter-action").select_option("SHORT")
    shows(lambda s: s["strategy_name"] == "Breakout" and s["action"] == "SHORT")
    page.get_by_test_id("filter-strategy").select_option("")
    page.get_by_test_id("filter-action").select_option("LONG,SHORT")
    page.get_by_test_id("filter-min-score").fill("75")
    shows(lambda s: s["action"] != "WAIT" and s["score"] >= 75)
    page.get_by_test_id("filter-action").select_option("")
    page.get_by_test_id("filter-min-score").fill("")
    page.get_by_test_id("filter-search").fill("pepe")
    shows(lambda s: "PEPE" in s["symbol"].upper())
    page.get_by_test_id("filter-search").fill("")
    wait_rows(page, len(signals))

    def column(name: str) -> list[float | None]:
        values = page.eval_on_selector_all(ROW, f"els => els.map(e => e.dataset['{name}'])")
        return [float(v) if v not in ("", None) else None for v in values]

    page.get_by_test_id("sort-score").click()  # the second click on the sorted column: lowest first
    wait_rows(page, len(signals))
    scores = column("score")
    assert scores == sorted(scores) and scores[0] == min(s["score"] for s in signals)
    page.get_by_test_id("sort-rr").click()
    wait_rows(page, len(signals))
    rr = column("rr")
    known = [v for v in rr if v is not None]
    assert known and known == sorted(known, reverse=True) and rr[: len(known)] == known
    page.get_by_test_id("sort-age").click()
    wait_rows(page, len(signals))
    fired = column("firedAt")
    assert fired == sorted(fired, key=lambda v: -(v or 0))  # youngest (latest fired) first
    page.get_by_test_id("sort-age").click()
    wait_rows(page, len(signals))
    assert column("firedAt") == sorted(fired, key=lambda v: v or 0)
    only_loopback(tab)


def test_detail_levels_equal_the_setup_and_the_charts_are_drawn(
    tab: Tab, server: LiveServer, data_dir: Path
) -> None:
    signals = read_feed(data_dir)["signals"]
    chosen = next(s for s in signals if s["setup"] and s["observability"]["rsi_visuals"].get("resistance"))
    page = open_page(tab, server)
    row = page.locator(
        f'{ROW}[data-exchange="{chosen["exchange"]}"][data-symbol="{chosen["symbol"]}"]'
        f'[data-strategy="{chosen["strategy_name"]}"]'
    )
    row.click()
    detail = page.get_by_test_id("signal-detail")
    page.wait_for_selector('[data-testid="signal-detail"][data-ready=yes]', timeout=TIMEOUT_MS)
    assert detail.get_attribute("data-symbol") == chosen["symbol"]
    setup = chosen["setup"]
    for testid, key in (("entry", "entry"), ("stop", "sl"), ("target", "tp")):
        level = detail.get_by_test_id(testid)
        assert float(level.get_attribute("data-value")) == setup[key]
        assert float(level.inner_text()) == pytest.approx(setup[key], rel=1e-5)
    for chart in ("price-chart", "rsi-chart"):
        sizes = (
            detail.get_by_test_id(chart)
            .locator("canvas")
            .evaluate_all("cs => cs.map(c => [c.width, c.height])")
        )
        assert sizes and max(w * h for w, h in sizes) > 10_000, (chart, sizes)
    composition = chosen["observability"]["score_composition"]
    assert detail.get_by_test_id("score-composition").locator("tr").count() == len(composition) + 1
    derivatives = detail.get_by_test_id("derivatives").inner_text()
    assert chosen["external"]["provenance"]["open_interest"]["source"] in derivatives
    assert "resistance line" in page.locator("#d-geometry").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-detail.png"))
    only_loopback(tab)


def test_a_new_feed_appears_without_reload_and_a_torn_one_is_said(
    tab: Tab, server: LiveServer, data_dir: Path
) -> None:
    feed = read_feed(data_dir)
    page = open_page(tab, server)
    wait_rows(page, len(feed["signals"]))
    page.wait_for_selector('[data-testid="live-status"]:text("live")', timeout=TIMEOUT_MS)
    page.evaluate("window.__sameDocument = true")
    newer = {**feed, "last_updated": feed["last_updated"] + 900_000, "signals": feed["signals"][:5]}
    write_feed_doc(data_dir, newer)
    wait_rows(page, 5)
    assert rows(page) == feed_rows(newer["signals"])
    assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded

    (data_dir / FEED_NAME).write_bytes(b'{"schema_version": 2, "last_upd')
    problem = page.get_by_test_id("feed-problem")
    problem.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert "not valid JSON" in problem.inner_text() and "last good feed" in problem.inner_text()
    assert rows(page) == feed_rows(newer["signals"])  # the last good feed stays
    assert page.evaluate("window.__sameDocument") is True
    only_loopback(tab)


def test_missing_and_empty_feeds_are_said(tab: Tab, data_dir: Path) -> None:
    feed = read_feed(data_dir)
    (data_dir / FEED_NAME).unlink()
    with live_server(create_app(data_dir, load_settings(), poll_s=0.1)) as live:
        page = open_page(tab, live)
        assert "no master_feed.json" in page.get_by_test_id("feed-problem").inner_text()
        assert page.locator(ROW).count() == 0
        write_feed_doc(data_dir, {**feed, "signals": []})
        page.get_by_test_id("feed-problem").wait_for(state="hidden", timeout=TIMEOUT_MS)
        assert page.get_by_test_id("empty").inner_text() == "The feed has no signals."
        assert page.get_by_test_id("run-status").get_attribute("data-status") == feed["run"]["status"]
    only_loopback(tab)


def test_the_token_once_then_a_cookie_the_page_cannot_read(
    tab: Tab, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "browser-token-abcdef0123456789"
    monkeypatch.setenv("QUANTPRO_SERVE_TOKEN", token)
    feed = read_feed(data_dir)
    with live_server(create_app(data_dir, load_settings(), poll_s=0.1, host="0.0.0.0")) as live:
        page = tab.page
        denied = page.goto(live.url + "/")
        assert denied is not None and denied.status == 401
        page.goto(f"{live.url}/?token={token}")
        page.wait_for_selector("body[data-ready=yes]", timeout=TIMEOUT_MS)
        wait_rows(page, len(feed["signals"]))
        assert token not in page.url
        assert page.evaluate("document.cookie") == ""  # HttpOnly
        page.wait_for_selector('[data-testid="live-status"]:text("live")', timeout=TIMEOUT_MS)
    only_loopback(tab)


def test_badges_stale_track_record_and_skipped_files(tab: Tab, server: LiveServer, data_dir: Path) -> None:
    feed = read_feed(data_dir)
    signals = [dict(s) for s in feed["signals"]]
    signals[0] = {**signals[0], "meta": {**signals[0]["meta"], "stale": True}}
    track = {"trades": 42, "win_rate": 0.55, "expectancy_r": 0.21, "ci95": [0.02, 0.4], "period": {}}
    signals[1] = {**signals[1], "track_record": track}
    skipped = [{"file": "KUCOIN_CAKEUSDTM_15m.json", "reason": "invalid JSON at byte 20480"}]
    run = {**feed["run"], "skipped_files": skipped, "changes": {**feed["run"]["changes"], "new": 3}}
    write_feed_doc(data_dir, {**feed, "run": run, "signals": signals})
    page = open_page(tab, server)
    first, second = page.locator(ROW).nth(0), page.locator(ROW).nth(1)
    assert first.get_by_test_id("badge-stale").is_visible()
    assert second.get_by_test_id("badge-stale").count() == 0
    assert page.get_by_test_id("badge-stale").count() == 1
    assert second.get_by_test_id("badge-track").inner_text() == "42 tr · 55% · +0.21R"
    assert first.get_by_test_id("badge-track").inner_text() == "—"
    source = signals[0]["oi_metadata"]["source"]
    assert first.get_by_test_id("badge-provenance").inner_text().startswith(source)
    assert "1 skipped file" in page.get_by_test_id("run-skipped").inner_text()
    page.get_by_test_id("run-skipped").locator("summary").click()
    assert (
        "KUCOIN_CAKEUSDTM_15m.json: invalid JSON at byte 20480"
        in page.get_by_test_id("run-skipped").inner_text()
    )
    assert "new 3" in page.get_by_test_id("run-changes").inner_text()
    second.click()
    page.wait_for_selector('[data-testid="signal-detail"][data-ready=yes]', timeout=TIMEOUT_MS)
    assert "42 trades" in page.get_by_test_id("track-record").inner_text()
    only_loopback(tab)


def test_the_address_keeps_the_filters_and_the_keyboard_opens_a_row(
    tab: Tab, server: LiveServer, data_dir: Path
) -> None:
    signals = read_feed(data_dir)["signals"]
    page = open_page(tab, server)
    page.get_by_test_id("filter-exchange").select_option("OKX")
    page.get_by_test_id("filter-min-score").fill("60")
    page.get_by_test_id("sort-rr").click()
    assert page.url.endswith("#exchange=OKX&min_score=60&sort=rr")
    page.reload()
    page.wait_for_selector("body[data-ready=yes]", timeout=TIMEOUT_MS)
    assert page.get_by_test_id("filter-exchange").input_value() == "OKX"
    want = [s for s in signals if s["exchange"] == "OKX" and s["score"] >= 60]
    wait_rows(page, len(want))
    assert sorted(rows(page)) == sorted(feed_rows(want))
    assert page.locator("th.sorted").get_attribute("data-sort") == "rr"
    page.locator(ROW).first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="signal-detail"][data-ready=yes]', timeout=TIMEOUT_MS)
    assert page.get_by_test_id("signal-detail").get_attribute("data-exchange") == "OKX"
    only_loopback(tab)


def test_an_old_feed_and_the_watcher_are_shown(tab: Tab, server: LiveServer, data_dir: Path) -> None:
    import orjson

    from quantpro.store.layout import WATCH_STATUS

    feed = read_feed(data_dir)
    (data_dir / WATCH_STATUS).write_bytes(orjson.dumps({"pid": 4242, "cycle": 17}))
    write_feed_doc(data_dir, {**feed, "last_updated": feed["last_updated"] - 3 * 3600 * 1000})
    page = open_page(tab, server)
    assert "no new feed for" in page.get_by_test_id("feed-old").inner_text()
    watch = page.get_by_test_id("watch-status")
    watch.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert watch.inner_text() == "watch pid 4242 · cycle 17"
    write_feed_doc(data_dir, feed)  # a fresh feed: the warning goes by itself
    page.get_by_test_id("feed-old").wait_for(state="detached", timeout=TIMEOUT_MS)
    only_loopback(tab)
