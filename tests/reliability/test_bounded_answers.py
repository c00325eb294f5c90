"""Issue 16 §3 and §6: every Coinalyze request has a total deadline and a cap on its decoded size.

A loopback server trickles a body a byte at a time (each read is quick, the whole is not) or sends a gzip
bomb; the scan breaks each request off at its deadline or its cap, retries within bounds, degrades only
those markets, writes its feed, and stays far from the 1 GiB bound of docs/design.md §10.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from quantpro.clock import FakeClock
from quantpro.errors import TemporaryError, TransportError
from quantpro.net.deadline import AnswerTooSlow, run_with_deadline
from quantpro.simulator import RunningSimulator
from quantpro.venues.client import VenueClient
from quantpro.venues.table import VENUES, Venue

from .conftest import assert_valid_feed, child_env, quantpro_command, scan
from .hostile import gzip_bomb, hostile_api, trickle

FUNDING = "/funding-rate"


def test_a_trickling_answer_is_broken_off_at_the_total_deadline(
    sim: RunningSimulator, data_dir: Path, clock: FakeClock
) -> None:
    with hostile_api(sim.base_url, {FUNDING: trickle(b"[]", every=0.05, seconds=8.0)}) as (url, seen):
        started = time.monotonic()
        outcome = scan(sim, data_dir, clock, base_url=url, http_timeout=0.5)
        elapsed = time.monotonic() - started
    attempts = seen.count(FUNDING)
    assert attempts == 4  # the first try and three retries, each broken off
    assert elapsed < 4 * 0.5 + 6  # each attempt lasted about its deadline, not the trickle's 8 s
    oi = outcome.run.oi_status
    assert outcome.run.degraded_markets == oi["resolved"] + oi["aggregated"] > 0
    assert outcome.run.status == "failed"
    reasons = {str(s["oi_metadata"].get("reason", "")) for s in outcome.signals}  # type: ignore[union-attr]
    assert any("longer than 0.5s" in r for r in reasons), reasons


def test_a_gzip_bomb_is_capped_and_memory_stays_bounded(
    live_sim: RunningSimulator, live_data_dir: Path, tmp_path: Path
) -> None:
    bomb = gzip_bomb(768 * 1024 * 1024)  # ~750 KB on the wire, 768 MiB decoded
    with hostile_api(live_sim.base_url, {FUNDING: bomb}) as (url, seen):
        env = child_env(live_sim, tmp_path / "cache", COINALYZE_BASE_URL=url)
        child = subprocess.Popen(
            quantpro_command("scan", str(live_data_dir)),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert child.stderr is not None
        stderr = child.stderr.read().decode()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    peak_mib = usage.ru_maxrss / 1024
    # docs/design.md §10's bound (part one took 2.1 GiB here); ~235 MiB alone, up to ~510 MiB seen under
    # a loaded CI machine, where the collector runs later between the four attempts
    assert peak_mib < 1024, f"peak RSS {peak_mib:.0f} MiB"
    assert child.returncode == 3, stderr  # every market lacked funding: failed, but the feed is written
    assert "exceeds 64 MiB" in stderr
    assert "Traceback" not in stderr
    assert seen.count(FUNDING) == 4
    assert_valid_feed(live_data_dir / "master_feed.json")


# -- venues (ccxt over requests) ----------------------------------------------------------------------


@pytest.mark.parametrize("hostile", ["trickle", "bomb"])
def test_a_venue_answer_is_bounded_in_time_and_size(hostile: str, clock: FakeClock) -> None:
    override = trickle(b"{}", every=0.05, seconds=8.0) if hostile == "trickle" else gzip_bomb(200 << 20)
    with hostile_api("http://127.0.0.1:9", {"*": override}) as (url, seen):
        client = VenueClient.connect(VENUES[Venue.BINANCE], clock, base_url=url, timeout_s=0.5, attempts=2)
        started = time.monotonic()
        with pytest.raises(TemporaryError) as caught:
            client.load_markets()
        elapsed = time.monotonic() - started
    assert len(seen) == 2  # one retry, each attempt broken off
    assert elapsed < 2 * 0.5 + 4, elapsed
    assert isinstance(caught.value, TransportError)


# -- the watchdog for libraries without a session (alerts) ----------------------------------------------


def test_run_with_deadline_bounds_a_library_that_sends_its_own_requests() -> None:
    import requests

    with hostile_api("http://127.0.0.1:9", {"*": trickle(b"ok", every=0.05, seconds=8.0)}) as (url, _):
        started = time.monotonic()
        with pytest.raises(AnswerTooSlow, match=r"alert took longer than 0\.5s"):
            run_with_deadline(
                lambda: requests.get(url + "/notify", timeout=5).text, seconds=0.5, what="alert"
            )
        assert time.monotonic() - started < 2
    assert run_with_deadline(lambda: 42, seconds=1) == 42
    with pytest.raises(ZeroDivisionError):
        run_with_deadline(lambda: 1 // 0, seconds=1)
