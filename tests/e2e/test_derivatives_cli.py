"""``snapshot``, ``scan --derivatives auto|store``, ``store status|prune|export`` through the CLI,
against the venue fakes on the real clock (docs/design.md §11)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from quantpro import cli
from quantpro.clock import SystemClock, now_ms
from quantpro.demo.universe import generate_demo_universe
from quantpro.simulator.venues import RunningFakes, VenueWorld, start_venue_fakes

from .conftest import read_feed


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunningFakes]:
    with start_venue_fakes(SystemClock(), world=VenueWorld.default()) as running:
        for venue, url in running.urls.items():
            monkeypatch.setenv(f"QUANTPRO_EXCHANGE_URL_{venue}", url)
        monkeypatch.setenv("QUANTPRO_STORE_PATH", str(tmp_path / "store.sqlite"))
        monkeypatch.delenv("COINALYZE_API_KEY", raising=False)
        # on the real clock a snapshot may come late in its bucket; let any sample stand for it
        monkeypatch.setenv("QUANTPRO_SNAPSHOT_MAX_LAG_S", "899")
        yield running


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    generate_demo_universe(directory, 12, now_ms=now_ms(SystemClock()))
    return directory


def test_snapshot_then_scan_from_the_store(
    fakes: RunningFakes, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["snapshot", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "BINANCE" in out and "MEXC" in out and "ok" in out
    sent = sum(len(f.log) for f in fakes.fakes.values())
    # --derivatives store: nothing sent, no key needed
    assert cli.main(["scan", str(data_dir), "--derivatives", "store", "--format", "json"]) in (0, 3)
    assert sum(len(f.log) for f in fakes.fakes.values()) == sent
    feed = read_feed(data_dir / "master_feed.json")
    block = feed["run"]["derivatives"]
    assert block["mode"] == "store" and set(block["venues"]) >= {"BINANCE", "MEXC", "HYPERLIQUID"}
    venues = {s["exchange"] for s in feed["signals"] if s["oi_metadata"]["source"] in ("venue", "proxy")}
    assert venues, "some market got venue OI"
    for signal in feed["signals"]:
        prov = signal["external"]["provenance"]
        assert set(prov) == {"open_interest", "funding_rate", "ls_ratio", "liquidations"}
        for entry in prov.values():
            assert (entry["source"] == "none" and entry["reason"]) or entry["as_of"] is not None
        if prov["funding_rate"]["source"] == "venue":
            assert signal["external"]["funding_interval_h"] in (1.0, 4.0, 8.0)
            assert signal["external"]["funding_rate_8h"] is not None

    assert cli.main(["store", "status"]) == 0
    status = capsys.readouterr().out
    assert "BINANCE" in status and "markets" in status
    assert cli.main(["store", "prune"]) == 0
    export = tmp_path / "export"
    assert cli.main(["store", "export", "--to", str(export)]) == 0
    files = sorted(export.glob("oi-*.parquet"))
    assert files
    table = pq.read_table(files[-1])
    assert table.num_rows > 0 and "oi_base" in table.column_names


def test_scan_auto_takes_a_snapshot_when_the_current_bucket_is_missing(
    fakes: RunningFakes, data_dir: Path
) -> None:
    boundary = int(SystemClock().now() // 900)
    assert cli.main(["scan", str(data_dir), "--derivatives", "auto", "--format", "json"]) in (0, 3)
    assert sum(len(f.log) for f in fakes.fakes.values()) > 0
    block = read_feed(data_dir / "master_feed.json")["run"]["derivatives"]
    assert block["mode"] == "auto" and block["venues"]["OKX"]["status"] == "ok"
    assert block["store"]["buckets_written"] > 0
    sent = sum(len(f.log) for f in fakes.fakes.values())
    if int(SystemClock().now() // 900) != boundary:
        pytest.skip("crossed a 15-minute boundary mid-test")
    # the second scan in the same bucket reads the store only
    assert cli.main(["scan", str(data_dir), "--derivatives", "auto", "--format", "json"]) in (0, 3)
    assert sum(len(f.log) for f in fakes.fakes.values()) == sent


def test_derivatives_coinalyze_is_part_one(
    cli_sim: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("QUANTPRO_DERIVATIVES", raising=False)  # the flag alone decides
    monkeypatch.setenv("QUANTPRO_STORE_PATH", str(tmp_path / "never.sqlite"))
    assert cli.main(["scan", str(data_dir), "--derivatives", "coinalyze", "--format", "json"]) == 0
    feed = read_feed(data_dir / "master_feed.json")
    assert feed["run"]["derivatives"]["mode"] == "coinalyze" and feed["run"]["units_spent"] > 0
    # part one takes no derivatives from the store; the store holds only the run's history (§14)
    with sqlite3.connect(tmp_path / "never.sqlite") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "runs" in tables
        for table in {"oi_bucket", "market", "fetch_log"} & tables:
            assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0
    assert {s["oi_metadata"]["source"] for s in feed["signals"]} <= {"coinalyze", "proxy", "none"}


def test_an_unknown_derivatives_mode_is_a_usage_error(data_dir: Path) -> None:
    assert cli.main(["scan", str(data_dir), "--derivatives", "exchanges"]) == 2
