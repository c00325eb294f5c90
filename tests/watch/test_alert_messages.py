"""Alert words (§14): one signal with its plan, freshness and track record; a digest over 5."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from quantpro.alerts import DIGEST_OVER, Dispatcher, signal_message
from quantpro.clock import FakeClock
from quantpro.runs.scan import run_scan
from quantpro.simulator.alert_receiver import AlertReceiver
from quantpro.store.history import HistoryStore, RunRecord

from .conftest import sim_settings


def _signals(demo_dir: Path, sim: Any, clock: FakeClock) -> list[Any]:
    return list(run_scan(sim_settings(sim), demo_dir, clock=clock).signals)


def test_one_signal_says_what_a_trader_acts_on(demo_dir: Path, sim: Any, clock: FakeClock) -> None:
    signal = copy.deepcopy(_signals(demo_dir, sim, clock)[0])
    signal |= {
        "action": "LONG",
        "score": 83.4,
        "entry": 101.5,
        "stop_loss": 99.25,
        "take_profit": 108.0,
        "rr": 2.89,
    }
    signal["track_record"] = {
        "trades": 41,
        "win_rate": 0.56,
        "expectancy_r": 0.31,
        "ci95": None,
        "period": {},
    }
    title, body = signal_message(signal, signal["calculated_at"] + 20 * 60_000)
    assert (
        title
        == f"QuantPro: LONG {signal['exchange']} {signal['symbol']} · {signal['strategy_name']} · score 83"
    )
    assert "entry 101.5 · stop 99.25 · target 108 · rr 2.89" in body
    assert "15m candle closed" in body and "(5m00s ago)" in body
    assert "track record: 41 trades, 56% won, +0.31 R per trade" in body
    signal["track_record"] = None
    assert "track record" not in signal_message(signal, signal["calculated_at"])[1]


def test_more_than_five_new_signals_go_as_one_digest(
    demo_dir: Path, sim: Any, clock: FakeClock, tmp_path: Path
) -> None:
    base = _signals(demo_dir, sim, clock)[0]
    many = []
    for n in range(DIGEST_OVER + 2):
        signal = copy.deepcopy(base)
        signal |= {"symbol": f"COIN{n}USDT", "action": "SHORT", "score": 70.0 + n}
        many.append(signal)
    with AlertReceiver().running() as receiver, HistoryStore.open(tmp_path / "h.sqlite") as history:
        run = RunRecord("/d", 1, "watch", "ok", 7, 7, 7, 0, 0, 0, 0, 1.0, ("breakout",))
        run_id = history.record_run(run, [], history_days=90)
        dispatcher = Dispatcher([receiver.apprise_url("digest")], min_score=71)
        results = dispatcher.dispatch(history, "/d", run_id, many, now_ms=base["calculated_at"])
        assert results[0].sent == DIGEST_OVER + 1  # the one at 70 is below the threshold
        (message,) = receiver.messages
        assert message["title"] == f"QuantPro: {DIGEST_OVER + 1} new signals"
        lines = message["message"].splitlines()
        assert lines[0].startswith(f"SHORT {base['exchange']} COIN6USDT")  # best first
        assert not any("COIN0USDT" in line for line in lines)
        again = dispatcher.dispatch(history, "/d", run_id, many, now_ms=base["calculated_at"])
        assert again[0].sent == 0 and len(receiver.messages) == 1  # deduplicated
