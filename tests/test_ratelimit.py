"""The sliding-window limiter: earliest-moment schedules, the window invariant, settle/release/block,
a corrupt state file, and two processes sharing one state directory."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantpro.clock import FakeClock
from quantpro.net.ratelimit import LOCK_FILE, STATE_FILE, RateLimiter, earliest_start

T0 = 1_768_842_000.0


def _send_times(limiter: RateLimiter, clock: FakeClock, units: list[int]) -> list[float]:
    return [limiter.reserve(n).at - T0 for n in units]


def assert_window_holds(events: list[tuple[float, int]], calls: int, period: float) -> None:
    """In every window (t − period, t] ending at a reservation, the units never exceed ``calls``."""
    for t, _ in events:
        inside = sum(n for s, n in events if t - period < s <= t)
        assert inside <= calls, f"{inside} units in the window ending at {t}"


# -- schedules on a fake clock ---------------------------------------------------------------------------


def test_ideal_schedule_back_to_back() -> None:
    clock = FakeClock(T0)
    limiter = RateLimiter(40, 60.0, clock=clock)
    # 20 + 20 fill the window at once; the 1, 20 and 5 all fit the moment the first two expire.
    assert _send_times(limiter, clock, [20, 20, 1, 20, 5]) == [0.0, 0.0, 60.0, 60.0, 60.0]
    assert clock.sleeps == [60.0]


def test_ideal_schedule_with_gaps() -> None:
    clock = FakeClock(T0)
    limiter = RateLimiter(40, 60.0, clock=clock)
    times = []
    for gap, units in [(0, 10), (10, 30), (10, 5), (0, 10), (0, 25)]:
        clock.advance(gap)
        times.append(limiter.reserve(units).at - T0)
    # 5 at t=20 waits for the 10 of t=0 (frees at 60); 10 more waits for the 30 of t=10 (70);
    # at 70 the window holds 5 + 10, so the 25 go at once.
    assert times == [0.0, 10.0, 60.0, 70.0, 70.0]


def test_no_idling_when_units_are_free() -> None:
    clock = FakeClock(T0)
    limiter = RateLimiter(40, 60.0, clock=clock)
    for _ in range(40):
        assert limiter.acquire(1) == 0.0
    assert clock.sleeps == []
    assert limiter.acquire(1) == pytest.approx(60.0)
    assert limiter.used() == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=30, allow_nan=False), st.integers(1, 20)),
        min_size=1,
        max_size=40,
    )
)
def test_window_never_exceeded_and_each_request_goes_at_the_earliest_moment(
    workload: list[tuple[float, int]],
) -> None:
    calls, period = 20, 10.0
    clock = FakeClock(T0)
    limiter = RateLimiter(calls, period, clock=clock)
    events: list[tuple[float, int]] = []
    for gap, units in workload:
        clock.advance(gap)
        asked = clock.now()
        at = limiter.reserve(units).at
        # The earliest moment: now, or exactly when an earlier reservation leaves the window.
        expected = earliest_start(events, units, calls=calls, period=period, now=asked, blocked_until=0.0)
        assert at == expected
        assert at == asked or any(at == s + period for s, _ in events)
        events.append((at, units))
    assert_window_holds(events, calls, period)


def test_threads_share_one_window() -> None:
    clock = FakeClock(T0)
    limiter = RateLimiter(10, 1.0, clock=clock)
    events: list[tuple[float, int]] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            r = limiter.reserve(3)
            with lock:
                events.append((r.at, r.units))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(events) == 30
    assert_window_holds(events, 10, 1.0)


def test_units_must_fit_a_window() -> None:
    limiter = RateLimiter(7, 60.0, clock=FakeClock(T0))
    with pytest.raises(ValueError, match="shrink the batch"):
        limiter.acquire(8)
    with pytest.raises(ValueError):
        limiter.acquire(0)
    with pytest.raises(ValueError):
        RateLimiter(0, 60.0, clock=FakeClock(T0))


# -- settle, release, block_until ----------------------------------------------------------------------


def test_settle_redates_to_arrival_and_delays_later_requests() -> None:
    clock = FakeClock(T0)
    limiter = RateLimiter(40, 60.0, clock=clock)
    ticket = limiter.reserve(40)
    clock.advance(5.0)  # the answer took 5 s to arrive; the server may have charged at any moment
    limiter.settle(ticket, clock.now())
    assert limiter.reserve(1).at - T0 == 65.0  # not 60: our window never runs ahead of the server's


def test_settle_never_moves_a_charge_earlier() -> None:
    clock = FakeClock(T0)
    limiter = RateLimiter(10, 60.0, clock=clock)
    ticket = limiter.reserve(10)
    limiter.settle(ticket, T0 - 30)
    assert limiter.reserve(1).at - T0 == 60.0


def test_settle_after_the_reservation_left_the_window_charges_again() -> None:
    clock = FakeClock(T0)
    limiter = RateLimiter(10, 60.0, clock=clock)
    ticket = limiter.reserve(10)
    clock.advance(90.0)  # a very slow answer: the reservation has expired meanwhile
    assert limiter.used() == 0
    limiter.settle(ticket, clock.now())
    assert limiter.used() == 10


def test_release_gives_back_uncharged_units() -> None:
    clock = FakeClock(T0)
    limiter = RateLimiter(40, 60.0, clock=clock)
    limiter.release(limiter.reserve(40))  # answered 429/400/401: not charged
    assert limiter.acquire(40) == 0.0


def test_block_until_then_still_checks_the_window() -> None:
    clock = FakeClock(T0)
    limiter = RateLimiter(40, 60.0, clock=clock)
    limiter.block_until(T0 + 12.5)
    assert limiter.reserve(1).at - T0 == 12.5
    limiter.acquire(39)
    limiter.block_until(T0 + 20.0)  # the block passes first, but the window is still full until 72.5
    assert limiter.reserve(1).at - T0 == 72.5


def test_block_until_never_shortens_a_block() -> None:
    clock = FakeClock(T0)
    limiter = RateLimiter(40, 60.0, clock=clock)
    limiter.block_until(T0 + 30)
    limiter.block_until(T0 + 10)
    assert limiter.acquire(1) == 30.0


# -- shared state ---------------------------------------------------------------------------------------


def test_state_file_is_shared_by_limiters_of_one_name(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    first = RateLimiter(40, 60.0, clock=clock, state_dir=tmp_path, name="abc")
    second = RateLimiter(40, 60.0, clock=clock, state_dir=tmp_path, name="abc")
    other_key = RateLimiter(40, 60.0, clock=clock, state_dir=tmp_path, name="def")
    first.acquire(30)
    assert second.used() == 30 and other_key.used() == 0
    assert second.reserve(20).at - T0 == 60.0
    assert (tmp_path / STATE_FILE).is_file() and (tmp_path / LOCK_FILE).exists()
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert set(state["buckets"]) == {"abc"}


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2, 3]", b'{"buckets": {"default": {"log": [["x", 1, "id"]]}}}', b""],
)
def test_corrupt_state_file_is_treated_as_empty(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / STATE_FILE).write_bytes(content)
    clock = FakeClock(T0)
    limiter = RateLimiter(5, 60.0, clock=clock, state_dir=tmp_path)
    with caplog.at_level(logging.WARNING):
        assert limiter.acquire(5) == 0.0
    assert limiter.used() == 5
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert json.loads((tmp_path / STATE_FILE).read_text())["buckets"]["default"]["log"][0][1] == 5


_WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from quantpro.clock import SystemClock
    from quantpro.net.ratelimit import RateLimiter

    state_dir, out, start_at = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    limiter = RateLimiter(5, 0.5, clock=SystemClock(), state_dir=state_dir, name="shared-key")
    time.sleep(max(0.0, start_at - time.time()))
    events = []
    for units in [1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2]:
        r = limiter.reserve(units)
        events.append([r.at, r.units])
    out.write_text(json.dumps(events))
    """
)


@pytest.mark.slow
def test_two_processes_share_one_window(tmp_path: Path) -> None:
    """Real clock, tiny window (5 units per 0.5 s), two processes of 15 units each."""
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    start_at = time.time() + 1.0  # both processes are past their imports by then
    outs = [tmp_path / f"events-{i}.json" for i in range(2)]
    procs = [
        subprocess.Popen([sys.executable, str(script), str(tmp_path / "state"), str(out), repr(start_at)])
        for out in outs
    ]
    for proc in procs:
        assert proc.wait(timeout=30) == 0
    events = [tuple(e) for out in outs for e in json.loads(out.read_text())]
    assert sum(n for _, n in events) == 30
    assert_window_holds([(float(t), int(n)) for t, n in events], 5, 0.5)
    # Both really ran at once: each process's reservations interleave with the other's.
    first, second = (json.loads(out.read_text()) for out in outs)
    assert first[0][0] < second[-1][0] and second[0][0] < first[-1][0]
