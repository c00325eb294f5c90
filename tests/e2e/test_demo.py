"""``quantpro demo``: generated markets, the in-process simulator, a full scan; and its directory rules."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from quantpro import cli
from quantpro.demo.universe import DEMO_MARKER, generate_demo_universe
from quantpro.errors import ConfigError

from .conftest import read_feed, validate
from .expect import markets_in

NOW_MS = 1_768_842_349_064


def test_demo_runs_and_writes_a_valid_feed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], feed_validator: Draft202012Validator
) -> None:
    directory = tmp_path / "demo"
    assert cli.main(["demo", "--markets", "12", "--dir", str(directory)]) == 0
    feed_path = directory / "master_feed.json"
    out = capsys.readouterr().out
    assert f"Feed: {feed_path}" in out and "Top signals" in out
    assert "Derivatives (auto: venues, store, Coinalyze): resolved=" in out  # not "Coinalyze:" under §11
    feed = read_feed(feed_path)
    validate(feed_validator, feed)
    assert feed["run"]["markets"] == 12 and feed["run"]["status"] == "ok"
    assert len(feed["signals"]) == 36
    # §11: the demo starts the venue fakes, so every market has its own venue's OI (or, warming up,
    # its reference market's as a proxy) — no market is left neutral as part one's Coinalyze left some
    sources = {(s["oi_metadata"]["status"], s["oi_metadata"]["source"]) for s in feed["signals"]}
    assert sources <= {("resolved", "venue"), ("aggregated", "proxy")} and ("resolved", "venue") in sources
    assert feed["run"]["derivatives"]["mode"] == "auto"
    assert all(v["status"] == "ok" for v in feed["run"]["derivatives"]["venues"].values())
    assert all(s["external"]["provenance"]["funding_rate"]["source"] == "venue" for s in feed["signals"])


def test_a_smaller_demo_leaves_no_old_market_behind(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    assert cli.main(["demo", "--markets", "20", "--dir", str(directory)]) == 0
    assert len(markets_in(directory)) == 20
    assert cli.main(["demo", "--markets", "5", "--dir", str(directory)]) == 0
    assert len(markets_in(directory)) == 5
    feed = read_feed(directory / "master_feed.json")
    assert feed["run"]["markets"] == 5 and feed["run"]["stale_markets"] == 0
    assert len(feed["signals"]) == 15
    candle_files = sorted(p.name for p in directory.glob("*_*_*.json"))
    listed = orjson.loads((directory / DEMO_MARKER).read_bytes())["files"]
    assert candle_files == listed


def test_demo_refuses_a_directory_it_did_not_make(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = tmp_path / "mine"
    directory.mkdir()
    precious = directory / "BINANCE_BTCUSDT_15m.json"
    precious.write_text("my own candles")
    assert cli.main(["demo", "--markets", "3", "--dir", str(directory)]) == 2
    assert DEMO_MARKER in capsys.readouterr().err
    assert sorted(p.name for p in directory.iterdir()) == [precious.name]
    assert precious.read_text() == "my own candles"


def test_demo_directory_rules(tmp_path: Path) -> None:
    fresh = tmp_path / "new" / "deeper"
    generate_demo_universe(fresh, 3, now_ms=NOW_MS)  # created, with its marker
    assert (fresh / DEMO_MARKER).is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    generate_demo_universe(empty, 2, now_ms=NOW_MS)  # an empty directory is fine
    # A tampered marker cannot make the demo delete anything but candle files inside its directory.
    outside = tmp_path / "outside_BTC_15m.json"
    outside.write_text("keep")
    kept = empty / "notes.txt"
    kept.write_text("keep")
    marker = empty / DEMO_MARKER
    marker.write_bytes(orjson.dumps({"files": ["../outside_BTC_15m.json", "notes.txt", "/etc/hostname"]}))
    generate_demo_universe(empty, 2, now_ms=NOW_MS)
    assert outside.read_text() == "keep" and kept.read_text() == "keep"
    marker.write_bytes(b"{torn")
    generate_demo_universe(empty, 2, now_ms=NOW_MS)  # an unreadable marker still marks the directory
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        generate_demo_universe(a_file, 2, now_ms=NOW_MS)
