"""The dashboard's read-only API on the demo's data directory (Starlette's TestClient, in-process)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import orjson
import pytest

from quantpro.clock import FakeClock
from quantpro.settings import load_settings
from quantpro.store.layout import BACKTEST_JSON, FEED_NAME, WATCH_STATUS
from quantpro.web.app import create_app

from .conftest import read_feed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def client_for(data_dir: Path, **settings: Any) -> TestClient:
    app = create_app(data_dir, load_settings(**settings), clock=FakeClock(read_feed_time(data_dir)))
    return TestClient(app, base_url="http://127.0.0.1:8000")


def read_feed_time(data_dir: Path) -> float:
    path = data_dir / FEED_NAME
    return orjson.loads(path.read_bytes())["last_updated"] / 1000 + 60 if path.is_file() else 1.8e9


def test_feed_is_served_as_written(demo_dir: Path) -> None:
    response = client_for(demo_dir).get("/api/feed")
    assert response.status_code == 200
    assert response.content == (demo_dir / FEED_NAME).read_bytes()
    assert response.headers["cache-control"] == "no-store"


def test_signals_are_the_feed_rows_in_the_feed_order(demo_dir: Path) -> None:
    feed = read_feed(demo_dir)
    body = client_for(demo_dir).get("/api/signals").json()
    assert body["total"] == body["count"] == len(feed["signals"]) > 0
    got = [(r["exchange"], r["symbol"], r["strategy"], r["action"], r["score"]) for r in body["signals"]]
    want = [
        (s["exchange"], s["symbol"], s["strategy_name"], s["action"], s["score"]) for s in feed["signals"]
    ]
    assert got == want
    by_key = {(s["exchange"], s["symbol"], s["strategy_name"]): s for s in feed["signals"]}
    for row in body["signals"]:
        signal = by_key[(row["exchange"], row["symbol"], row["strategy"])]
        assert (row["entry"], row["stop"], row["target"]) == (
            signal["entry"],
            signal["stop_loss"],
            signal["take_profit"],
        )
        assert row["oi_source"] == signal["oi_metadata"]["source"]
        assert row["age_s"] is not None and row["age_s"] >= 0
    assert body["run"] == feed["run"]


def test_every_filter_and_sort(demo_dir: Path) -> None:
    feed = read_feed(demo_dir)["signals"]
    client = client_for(demo_dir)

    def keys(query: str) -> list[tuple[str, str, str]]:
        rows = client.get(f"/api/signals?{query}").json()["signals"]
        return [(r["exchange"], r["symbol"], r["strategy"]) for r in rows]

    def want(pred: Any) -> list[tuple[str, str, str]]:
        return [(s["exchange"], s["symbol"], s["strategy_name"]) for s in feed if pred(s)]

    assert keys("exchange=bybit") == want(lambda s: s["exchange"] == "BYBIT") != []
    assert keys("exchange=BYBIT,OKX") == want(lambda s: s["exchange"] in ("BYBIT", "OKX"))
    assert keys("strategy=breakoutv2") == want(lambda s: s["strategy_name"] == "BreakoutV2") != []
    assert keys("action=LONG") == want(lambda s: s["action"] == "LONG") != []
    assert keys("action=long,short") == want(lambda s: s["action"] != "WAIT")
    assert keys("min_score=70") == want(lambda s: s["score"] >= 70) != []
    assert keys("q=pepe") == want(lambda s: "PEPE" in s["symbol"].upper()) != []
    assert keys("exchange=MEXC&action=WAIT&min_score=50") == want(
        lambda s: s["exchange"] == "MEXC" and s["action"] == "WAIT" and s["score"] >= 50
    )

    rr = [r["rr"] for r in client.get("/api/signals?sort=rr").json()["signals"]]
    known = [v for v in rr if v is not None]
    assert known == sorted(known, reverse=True) and rr[: len(known)] == known  # missing values last
    ages = [r["age_s"] for r in client.get("/api/signals?sort=age").json()["signals"]]
    assert ages == sorted(ages)
    oldest = [r["age_s"] for r in client.get("/api/signals?sort=-age").json()["signals"]]
    assert oldest == sorted(oldest, reverse=True)
    scores = [r["score"] for r in client.get("/api/signals?sort=-score").json()["signals"]]
    assert scores == sorted(scores)
    assert client.get("/api/signals?sort=symbol").status_code == 422
    assert client.get("/api/signals?min_score=abc").status_code == 422


def test_market_detail_has_both_timeframes_and_the_signals_geometry(demo_dir: Path) -> None:
    feed = read_feed(demo_dir)["signals"]
    drawn = next(s for s in feed if s["observability"]["rsi_visuals"].get("resistance"))
    body = client_for(demo_dir).get(f"/api/markets/{drawn['exchange']}/{drawn['symbol']}").json()
    assert body["ltf"]["timeframe"] == "15m" and body["htf"]["timeframe"] == "4h"
    assert len(body["ltf"]["candles"]) > 100 and body["htf"]["rsi"] and body["ltf"]["ema50"]
    times = [c["time"] for c in body["ltf"]["candles"]]
    assert times == sorted(set(times))
    assert max(times) * 1000 <= drawn["calculated_at"]  # the scan's view: nothing after its last candle
    mine = [s for s in feed if (s["exchange"], s["symbol"]) == (drawn["exchange"], drawn["symbol"])]
    assert [d["signal"] for d in body["signals"]] == mine
    geometry = next(d["geometry"] for d in body["signals"] if d["signal"] == drawn)
    line = geometry["lines"][0]
    visuals = drawn["observability"]["rsi_visuals"]["resistance"]
    assert [p["row"] for p in line["pivots"]] == visuals["touch_rows"]
    assert line["points"][0]["value"] == pytest.approx(visuals["pivot_values"][0], abs=1e-3)
    rsi_at = {p["time"]: p["value"] for p in body["htf"]["rsi"]}
    for pivot in line["pivots"]:
        assert rsi_at[pivot["time"]] == pytest.approx(pivot["value"])
    assert geometry["break"]["time"] * 1000 == drawn["observability"]["rsi_visuals"]["break_time"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/markets/BINANCE/NOPEUSDT",
        "/api/markets/binance/BTCUSDT",
        "/api/markets/BINANCE/BTCUSDT_15m.json",
        "/api/markets/BINANCE/..%2F..%2Fetc%2Fpasswd",
        "/api/markets/..%2F..%2Fetc/passwd",
        "/api/markets/BINANCE/%2e%2e",
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2F..%2Fsettings.py",
        "/static//etc/passwd",
        "/static/vendor/../../app.py",
        "/etc/passwd",
        "/master_feed.json",
        "/BINANCE_BTCUSDT_15m.json",
    ],
)
def test_no_path_from_a_request_reaches_the_file_system(demo_dir: Path, path: str) -> None:
    response = client_for(demo_dir).get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert b"root:" not in response.content and b"import" not in response.content


def test_assets_are_served_from_the_package(demo_dir: Path) -> None:
    client = client_for(demo_dir)
    page = client.get("/")
    assert page.status_code == 200 and 'data-testid="signal-detail"' in page.text
    script = client.get("/static/vendor/lightweight-charts.standalone.production.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "LightweightCharts" in script.text
    assert client.get("/static/vendor/lightweight-charts.LICENSE").status_code == 200
    for docs in ("/docs", "/redoc", "/openapi.json"):  # they would load scripts from a CDN
        assert client.get(docs).status_code == 404
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_status_backtest_and_changes(data_dir: Path) -> None:
    client = client_for(data_dir)
    status = client.get("/api/status").json()
    assert status["watch"] is None and status["feed"]["problem"] is None
    assert status["settings"]["serve_token"] == "(not set)"
    assert client.get("/api/backtest").status_code == 404
    changes = client.get("/api/changes").json()
    assert changes["counts"] == read_feed(data_dir)["run"]["changes"]

    (data_dir / WATCH_STATUS).write_text('{"pid": 123, "cycle": 4}')
    (data_dir / BACKTEST_JSON).write_text('{"schema_version": 1, "summary": {}}')
    assert client.get("/api/status").json()["watch"] == {"pid": 123, "cycle": 4}
    assert client.get("/api/backtest").json() == {"schema_version": 1, "summary": {}}
    (data_dir / BACKTEST_JSON).write_text('{"schema_versi')
    assert client.get("/api/backtest").status_code == 503


def test_trendline_rows_follow_the_candles_when_the_file_lost_its_first_bars(data_dir: Path) -> None:
    feed = read_feed(data_dir)["signals"]
    drawn = next(s for s in feed if s["observability"]["rsi_visuals"].get("resistance"))
    url = f"/api/markets/{drawn['exchange']}/{drawn['symbol']}"

    def pivot_times() -> tuple[list[int], list[int], int]:
        body = client_for(data_dir).get(url).json()
        geometry = next(d["geometry"] for d in body["signals"] if d["signal"] == drawn)
        line = geometry["lines"][0]
        return (
            [p["time"] for p in line["pivots"]],
            [p["time"] for p in line["points"]],
            geometry["break"]["time"],
        )

    before = pivot_times()
    htf_file = data_dir / f"{drawn['exchange']}_{drawn['symbol']}_4h.json"
    rows = orjson.loads(htf_file.read_bytes())
    htf_file.write_bytes(orjson.dumps(rows[10:]))  # a download that keeps fewer candles
    assert pivot_times() == before
    htf_file.write_bytes(orjson.dumps(rows[:-40]))  # the scan's last candle is gone: no geometry drawn
    body = client_for(data_dir).get(url).json()
    assert next(d["geometry"] for d in body["signals"] if d["signal"] == drawn) is None


def test_changes_come_from_the_history_store_when_runs_are_recorded(data_dir: Path) -> None:
    from quantpro.feed.changes import data_dir_key
    from quantpro.store.history import HistoryStore, RunRecord, SignalRow

    def row(symbol: str, action: str, score: float) -> SignalRow:
        return SignalRow("BYBIT", symbol, "breakout", action, score, 100.0, 95.0, 112.5, 2.5, 1)

    settings = load_settings()
    with HistoryStore.open(settings.store_file(data_dir)) as history:
        for minutes_ago, rows in ((30, [row("BTCUSDT", "LONG", 70)]), (15, [row("BTCUSDT", "SHORT", 72)])):
            time_ms = int(read_feed_time(data_dir) * 1000) - minutes_ago * 60_000
            run = RunRecord(data_dir_key(data_dir), time_ms, "watch", "ok", 1, 1, 0, 0, 0, 0, 0, 1.0,
                            ("breakout",))  # fmt: skip
            history.record_run(run, rows, history_days=90)
    body = client_for(data_dir).get("/api/changes").json()
    assert body["source"] == "history"
    assert body["counts"]["flipped"] == 1 and body["counts"]["new"] == 0
    (change,) = body["changes"]
    assert (change["kind"], change["symbol"]) == ("flipped", "BTCUSDT")
    assert (change["before"]["action"], change["after"]["action"]) == ("LONG", "SHORT")
