"""``quantpro watch`` end to end: a subprocess, three real 5-second cycles, the venue fakes, the
Coinalyze simulator and a loopback alert receiver; then SIGTERM on a running watcher (§14)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from quantpro.simulator.alert_receiver import AlertReceiver
from quantpro.store.history import HistoryStore

KEY = "e2e-watch-canary-key-31c7"
ALERT_TOKEN = "e2e-alert-canary-token-8b2d"
VENUES = ("BYBIT", "OKX")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    from quantpro.simulator import SimulatorConfig, start_simulator
    from quantpro.simulator.clock import RealClock
    from quantpro.simulator.venues import start_venue_fakes

    config = SimulatorConfig(calls=4000, period=10.0, api_keys=frozenset({KEY}))
    with (
        start_venue_fakes(RealClock(), venues=VENUES) as fakes,
        start_simulator(config) as sim,
        AlertReceiver().running() as receiver,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QUANTPRO_", "COINALYZE_"))}
        env |= {f"QUANTPRO_EXCHANGE_URL_{name}": url for name, url in fakes.urls.items()}
        env |= {
            "COINALYZE_API_KEY": KEY,
            "COINALYZE_BASE_URL": sim.base_url,
            "QUANTPRO_RATE_LIMIT_CALLS": "4000",
            "QUANTPRO_RATE_LIMIT_PERIOD": "10",
            "QUANTPRO_ALERT_URLS": receiver.apprise_url(f"hook/{ALERT_TOKEN}"),
            "QUANTPRO_ALERT_MIN_SCORE": "0",
            "QUANTPRO_ALLOW_STALE": "1",
            "QUANTPRO_DERIVATIVES": "coinalyze",  # part one's source; the auto test below says auto
        }
        yield {"env": env, "receiver": receiver, "dir": tmp_path / "data", "cwd": tmp_path, "fakes": fakes}


def _watch_args(data_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "quantpro", "watch", str(data_dir), "--every", "5s", "--delay", "0.5s",
            "--exchange", ",".join(VENUES), "--top", "2", *extra]  # fmt: skip


@pytest.mark.slow
def test_three_real_cycles_download_scan_remember_and_alert(world: dict[str, Any]) -> None:
    data_dir: Path = world["dir"]
    done = subprocess.run(
        _watch_args(data_dir, "--cycles", "3"),
        env=world["env"], cwd=world["cwd"], capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    status = orjson.loads((data_dir / "watch_status.json").read_bytes())
    assert status["cycle"] == 3 and status["state"] == "stopped" and status["pid"] > 0
    assert status["phases"]["download"]["status"] == "ok", status["phases"]["download"]
    assert status["phases"]["snapshot"]["status"] == "skipped"
    for phase in ("scan", "feed", "history", "changes", "alerts", "status"):
        assert status["phases"][phase]["status"] in ("ok", "degraded"), (phase, status["phases"][phase])
    assert len(list(data_dir.glob("*_15m.json"))) == 2 * len(VENUES)

    feed = orjson.loads((data_dir / "master_feed.json").read_bytes())
    assert set(feed["run"]["changes"]) == {"new", "gone", "flipped", "score_up", "score_down"}
    with HistoryStore.open(data_dir / "quantpro.sqlite") as history:
        runs = history.runs_since(str(data_dir.resolve()), 0)
        assert [r.origin for r in runs] == ["watch"] * 3
        sent = history.count("alerts_sent")
    # one run in each of three consecutive 5-second slots (a run's time is when its feed was written)
    slots = [(r.time_ms - 500) // 5000 for r in runs]
    assert slots == [slots[0], slots[0] + 1, slots[0] + 2], [r.time_ms for r in runs]

    changes = subprocess.run(
        [sys.executable, "-m", "quantpro", "changes", str(data_dir), "--json"],
        env=world["env"], cwd=world["cwd"], capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert changes.returncode == 0 and orjson.loads(changes.stdout)["runs"][0]["run_id"] == runs[-1].id

    actionable = [s for s in feed["signals"] if s["action"] != "WAIT"]
    if actionable:
        assert world["receiver"].messages and sent >= 1
    for text in (done.stdout, done.stderr, changes.stdout, changes.stderr):
        assert KEY not in text and ALERT_TOKEN not in text
    for path in data_dir.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert KEY.encode() not in raw and ALERT_TOKEN.encode() not in raw, path.name


@pytest.mark.slow
def test_sigterm_on_a_running_watcher_exits_0_and_sigint_130(world: dict[str, Any]) -> None:
    data_dir: Path = world["dir"]
    for signum, expected in ((signal.SIGTERM, 0), (signal.SIGINT, 130)):
        proc = subprocess.Popen(
            _watch_args(data_dir), env=world["env"], cwd=world["cwd"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        status_file = data_dir / "watch_status.json"
        while time.monotonic() < deadline:  # wait for the first cycle to be under way
            if status_file.exists():
                seen = orjson.loads(status_file.read_bytes())
                if seen["pid"] == proc.pid and seen["cycle"] >= 1:
                    break
            time.sleep(0.1)
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == expected, err[-2000:]
        status = orjson.loads(status_file.read_bytes())
        assert status["state"] == "stopped" and signal.Signals(signum).name in status["stop_reason"]
        assert not (data_dir / "watch.lock").exists()
        assert "Traceback" not in err


@pytest.mark.slow
def test_auto_snapshots_the_venues_asked_and_scans_only_their_markets(world: dict[str, Any]) -> None:
    """--derivatives auto with the real phases: the snapshot phase fills the store from BYBIT only
    (OKX's fake is never asked), the scan covers the two BYBIT markets the download chose (not the
    other venues' files already in DATA_DIR), their OI comes from the venue, tier A is noted."""
    from quantpro.clock import SystemClock, now_ms
    from quantpro.demo.universe import generate_demo_universe

    data_dir: Path = world["dir"]
    generate_demo_universe(data_dir, 7, now_ms=now_ms(SystemClock()))  # one market on each venue
    others = {p.name.split("_", 1)[0] for p in data_dir.glob("*_15m.json")} - {"BYBIT"}
    env = world["env"] | {"QUANTPRO_DERIVATIVES": "auto", "QUANTPRO_SNAPSHOT_MAX_LAG_S": "899"}
    args = [sys.executable, "-m", "quantpro", "watch", str(data_dir), "--every", "5s", "--delay", "0.5s",
            "--exchange", "BYBIT", "--top", "2", "--cycles", "2"]  # fmt: skip
    done = subprocess.run(
        args, env=env, cwd=world["cwd"], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    status = orjson.loads((data_dir / "watch_status.json").read_bytes())
    assert status["cycle"] == 2 and status["state"] == "stopped"
    assert status["phases"]["snapshot"]["status"] == "ok", status["phases"]["snapshot"]
    assert status["phases"]["snapshot"]["note"].startswith("1 venues"), status["phases"]["snapshot"]
    for phase in ("download", "scan", "feed", "history"):
        assert status["phases"][phase]["status"] in ("ok", "degraded"), (phase, status["phases"][phase])
    assert world["fakes"]["OKX"].log == [] and world["fakes"]["BYBIT"].log

    feed = orjson.loads((data_dir / "master_feed.json").read_bytes())
    assert others == {"BINANCE", "OKX", "BITGET", "MEXC", "KUCOIN", "HYPERLIQUID"}
    assert {s["exchange"] for s in feed["signals"]} == {"BYBIT"} and feed["run"]["markets"] == 2
    assert feed["run"]["derivatives"]["mode"] == "auto"
    sources = {s["oi_metadata"]["source"] for s in feed["signals"]}
    assert sources <= {"venue", "proxy"} and sources, sources

    db = sqlite3.connect(data_dir / "quantpro.sqlite")
    try:
        buckets = db.execute("SELECT COUNT(*) FROM oi_bucket").fetchone()[0]
        tier_a = {row[0] for row in db.execute("SELECT coinalyze_symbol FROM tier_hint")}
    finally:
        db.close()
    assert buckets >= 1
    hot = {
        s["oi_metadata"]["coinalyze_symbol"]
        for s in feed["signals"]
        if s["oi_metadata"].get("coinalyze_symbol")
        and (s["action"] != "WAIT" or s["score"] >= 60 or (s["oi_metadata"].get("z_score") or 0) >= 1.0)
    }
    assert hot <= tier_a, (hot, tier_a)
    with HistoryStore.open(data_dir / "quantpro.sqlite") as history:
        runs = history.runs_since(str(data_dir.resolve()), 0)
    assert [r.origin for r in runs] == ["watch"] * 2
    assert KEY not in done.stdout + done.stderr
