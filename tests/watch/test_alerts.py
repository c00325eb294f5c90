"""Alerts (§14) for real over loopback: Apprise ``json://`` to a receiver the test starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantpro.cli.main import main
from quantpro.clock import FakeClock
from quantpro.runs.watch_phases import AlertsPhase, Phases, coinalyze_source
from quantpro.simulator.alert_receiver import AlertReceiver
from quantpro.store.history import HistoryStore

from .conftest import make_watcher, read_status, sim_settings

CANARY = "canary-alert-token-9f8e7d"


@pytest.fixture
def receiver() -> Iterator[AlertReceiver]:
    with AlertReceiver().running() as r:
        yield r


def _watch(sim: Any, data_dir: Path, clock: FakeClock, urls: str, cycles: int, **settings: Any) -> Any:
    config = sim_settings(sim, alert_urls=urls, alert_min_score=0, **settings)
    phases = Phases(source=coinalyze_source, alerts=AlertsPhase.from_settings(config))
    watcher = make_watcher(config, data_dir, clock, phases=phases, cycles=cycles)
    assert watcher.run() == 0
    return config


def _actionable(data_dir: Path) -> list[dict[str, Any]]:
    import orjson

    feed = orjson.loads((data_dir / "master_feed.json").read_bytes())
    return [s for s in feed["signals"] if s["action"] != "WAIT"]


def test_each_new_signal_is_sent_once_even_across_a_restart(
    demo_dir: Path, sim: Any, clock: FakeClock, receiver: AlertReceiver
) -> None:
    url = receiver.apprise_url(f"hook/{CANARY}")
    config = _watch(sim, demo_dir, clock, url, cycles=2)
    messages = receiver.messages
    with HistoryStore.open(config.store_file(demo_dir)) as history:
        sent = history.store.conn.execute("SELECT exchange, symbol, side FROM alerts_sent").fetchall()
    assert sent, "the demo gives a few new signals"
    # one message each; more than five due in one cycle go as one digest listing them (since the §13
    # calibration the demo's first cycle has six)
    assert len(messages) == len(sent) or (len(sent) > 5 and len(messages) < len(sent))
    body = "\n".join(m["message"] for m in messages)
    titles = "\n".join(m["title"] for m in messages)
    named = titles + "\n" + body
    for exchange, symbol, side in sent:
        assert f"{side} {exchange} {symbol}" in named
    for word in ("entry", "stop", "target", "rr", "score", "candle closed", "open interest"):
        assert word in body
    for signal in _actionable(demo_dir):  # every signal still actionable was alerted
        assert f"{signal['action']} {signal['exchange']} {signal['symbol']}" in named

    _watch(sim, demo_dir, clock, url, cycles=1)  # a restart: the same signals, nothing re-sent
    assert len(receiver.messages) == len(messages)
    with HistoryStore.open(config.store_file(demo_dir)) as history:
        assert history.count("alerts_sent") == len(sent)
    status = read_status(demo_dir)
    assert status["alerts"][0]["state"] == "idle" and status["alerts"][0]["channel"].startswith("json#")


def test_a_failing_channel_is_retried_next_cycle(
    demo_dir: Path, sim: Any, clock: FakeClock, receiver: AlertReceiver
) -> None:
    receiver.failing = True
    config = sim_settings(sim, alert_urls=receiver.apprise_url("down"), alert_min_score=0)
    phases = Phases(source=coinalyze_source, alerts=AlertsPhase.from_settings(config))
    watcher = make_watcher(config, demo_dir, clock, phases=phases, cycles=2)
    seen: list[dict[str, Any]] = []

    def after(n: int) -> None:
        seen.append(read_status(demo_dir))
        receiver.failing = False  # the channel comes back for the second cycle

    watcher.after_cycle = after
    assert watcher.run() == 0
    first = seen[0]
    assert (
        first["phases"]["alerts"]["status"] == "failed" and "HTTP 500" in first["phases"]["alerts"]["error"]
    )
    assert first["alerts"][0]["state"] == "failing"
    assert [p.status for p in receiver.posts][:1] == [500]
    assert receiver.messages, "the second cycle delivers what the first could not"
    assert seen[1]["alerts"][0]["state"] == "ok" and seen[1]["phases"]["alerts"]["status"] == "ok"


def test_a_malformed_url_is_named_redacted_and_the_others_still_deliver(
    demo_dir: Path, sim: Any, clock: FakeClock, receiver: AlertReceiver, logs: pytest.LogCaptureFixture
) -> None:
    from quantpro.secrets import register_secret

    bad = f"nosuchscheme://{CANARY}-bad"
    good = receiver.apprise_url(f"ok/{CANARY}")
    register_secret(bad), register_secret(good)  # as the CLI does for QUANTPRO_ALERT_URLS
    _watch(sim, demo_dir, clock, f"{bad},{good}", cycles=1)
    status = read_status(demo_dir)
    states = {a["state"] for a in status["alerts"]}
    assert states == {"invalid", "ok"}
    assert status["phases"]["alerts"]["status"] == "degraded"
    assert "alert URL 1 (nosuchscheme#" in status["phases"]["alerts"]["error"]
    assert any("alert URL 1 (nosuchscheme#" in r.getMessage() for r in logs.records)
    assert receiver.messages
    for path in demo_dir.iterdir():
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path.name
    assert not any(CANARY in r.getMessage() for r in logs.records)


def test_alerts_test_sends_one_message_to_every_url(
    receiver: AlertReceiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUANTPRO_ALERT_URLS", f"{receiver.apprise_url(CANARY)}, {receiver.apprise_url('b')}")
    assert main(["alerts", "test"]) == 0
    out = capsys.readouterr()
    assert len(receiver.messages) == 2 and receiver.messages[0]["title"] == "QuantPro: test alert"
    assert out.out.count("delivered") == 2 and CANARY not in out.out + out.err
    receiver.failing = True
    assert main(["alerts", "test"]) == 1
    assert "NOT delivered: HTTP 500" in capsys.readouterr().out


def test_alerts_test_without_urls_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "test"]) == 2
    assert "QUANTPRO_ALERT_URLS is not set" in capsys.readouterr().err


def test_a_channel_that_hangs_is_given_up_at_its_deadline() -> None:
    from quantpro.alerts.channels import apprise_send

    with AlertReceiver(hang_s=60).running() as hanging:
        reason = apprise_send(hanging.apprise_url(), "title", "body", deadline_s=0.5)
        assert reason == "no answer within 0.5 s"
        assert hanging.messages == []  # given up before the channel answered
        hanging.release()
