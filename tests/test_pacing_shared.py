"""Venue pacing shared by every QuantPro process (docs/design.md §11): pacers of one name in one state
directory share their slots and penalties, a corrupt state file counts as free, a held budget fails fast,
and two real processes stay within one budget together."""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from quantpro.clock import FakeClock
from quantpro.errors import RateLimitError
from quantpro.net.pacing import Budget, Pacer
from quantpro.store.layout import VENUE_PACING_LOCK, VENUE_PACING_STATE, is_own_file

T0 = 1_768_842_000.0


def test_pacers_of_one_name_share_their_slots(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    first = Pacer(Budget(10, 1), clock, "BYBIT", state_dir=tmp_path)
    second = Pacer(Budget(10, 1), clock, "BYBIT", state_dir=tmp_path)
    other = Pacer(Budget(10, 1), clock, "OKX", state_dir=tmp_path)
    assert first.acquire(1) == 0.0
    assert second.acquire(1) == pytest.approx(0.1)  # the other pacer's slot was taken first
    assert other.acquire(1) == 0.0  # another venue: its own bucket
    assert first.acquire(3) == pytest.approx(0.1)
    starts = sorted(s.start for p in (first, second) for s in p.schedule)
    assert [b - a for a, b in itertools.pairwise(starts)] == pytest.approx([0.1, 0.1])
    state = json.loads((tmp_path / VENUE_PACING_STATE).read_text())
    assert set(state["venues"]) == {"BYBIT", "OKX"}
    assert state["venues"]["BYBIT"]["next_free"] == pytest.approx(T0 + 0.2 + 0.3)
    assert (tmp_path / VENUE_PACING_LOCK).exists()
    assert is_own_file(VENUE_PACING_STATE) and is_own_file(VENUE_PACING_LOCK)


def test_without_a_state_dir_nothing_is_shared(tmp_path: Path) -> None:
    """(The test runs with its working directory under ``tmp_path``.)"""
    clock = FakeClock(T0)
    first, second = Pacer(Budget(10, 1), clock, "BYBIT"), Pacer(Budget(10, 1), clock, "BYBIT")
    assert first.acquire(1) == 0.0 and second.acquire(1) == 0.0
    assert not list(tmp_path.rglob(VENUE_PACING_STATE))


def test_a_penalty_holds_every_sharer_and_a_long_one_fails_fast(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    hit = Pacer(Budget(10, 1), clock, "BINANCE", state_dir=tmp_path)
    other_process = Pacer(Budget(10, 1), clock, "BINANCE", state_dir=tmp_path)
    hit.penalise(30.0)  # a 429 with Retry-After: 30
    assert other_process.acquire(1, max_wait=120) == pytest.approx(30.0)
    hit.penalise(3600.0)  # a 418: banned for an hour
    with pytest.raises(RateLimitError) as caught:
        other_process.acquire(1, what="openInterest", max_wait=120)
    assert caught.value.retry_after == pytest.approx(3600.0)
    assert other_process.free_at() == pytest.approx(clock.now() + 3600.0)  # no slot was taken
    clock.advance(3600.0)
    assert other_process.acquire(1, max_wait=120) == 0.0


@pytest.mark.parametrize(
    "content", [b"{not json", b"[1, 2]", b'{"venues": {"BYBIT": {"next_free": "soon"}}}', b""]
)
def test_a_corrupt_state_file_counts_as_free(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / VENUE_PACING_STATE).write_bytes(content)
    clock = FakeClock(T0)
    pacer = Pacer(Budget(10, 1), clock, "BYBIT", state_dir=tmp_path)
    with caplog.at_level(logging.WARNING):
        assert pacer.acquire(1) == 0.0
    assert pacer.acquire(1) == pytest.approx(0.1)
    state = json.loads((tmp_path / VENUE_PACING_STATE).read_text())
    assert state["venues"]["BYBIT"]["next_free"] == pytest.approx(T0 + 0.2)


def test_a_slot_absurdly_far_ahead_is_not_believed(tmp_path: Path) -> None:
    (tmp_path / VENUE_PACING_STATE).write_text(json.dumps({"venues": {"OKX": {"next_free": T0 + 1e9}}}))
    pacer = Pacer(Budget(8, 1), FakeClock(T0), "OKX", state_dir=tmp_path)
    assert pacer.free_at() == pytest.approx(T0 + 6 * 3600)  # capped, so a bad file cannot stall for years


_WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from quantpro.clock import SystemClock
    from quantpro.net.pacing import Budget, Pacer

    state_dir, out, start_at = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    pacer = Pacer(Budget(20, 1), SystemClock(), "BINANCE", state_dir=state_dir)
    time.sleep(max(0.0, start_at - time.time()))
    for _ in range(12):
        pacer.acquire(1)
        assert time.time() >= pacer.schedule[-1].start - 0.001  # never sent before its slot
    out.write_text(json.dumps([slot.start for slot in pacer.schedule]))
    """
)


@pytest.mark.slow
def test_two_processes_share_one_budget(tmp_path: Path) -> None:
    """Real clock, 20 requests per second, two processes of 12 each: every slot granted ≥ 50 ms after
    the previous one, whichever process took it."""
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    start_at = time.time() + 1.0  # both processes are past their imports by then
    outs = [tmp_path / f"starts-{i}.json" for i in range(2)]
    procs = [
        subprocess.Popen([sys.executable, str(script), str(tmp_path / "state"), str(out), repr(start_at)])
        for out in outs
    ]
    for proc in procs:
        assert proc.wait(timeout=30) == 0
    first, second = (json.loads(out.read_text()) for out in outs)
    starts = sorted(first + second)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.05 - 1e-4  # one budget: the slots of both interleave, never overlap
    assert starts[-1] - starts[0] >= 23 * 0.05 - 1e-4  # 24 requests at 20 per second
    # both really ran at once: each process's requests interleave with the other's
    assert first[0] < second[-1] and second[0] < first[-1]
