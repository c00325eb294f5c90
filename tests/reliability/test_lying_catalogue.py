"""Issue 16 §1: a catalogue that shrank implausibly (``200 []`` from ``/future-markets``) is an error, not a
fact to cache for 24 h. The scan degrades with a warning, the previous symbol cache is kept, and the next
scan after the API recovers fetches a real catalogue."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from quantpro.clock import FakeClock
from quantpro.simulator import RunningSimulator

from .conftest import scan
from .hostile import Override, answer, hostile_api

MARKETS = "/future-markets"


def test_empty_catalogue_without_a_cache_degrades_and_is_not_cached(
    sim: RunningSimulator, data_dir: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with hostile_api(sim.base_url, {MARKETS: answer(200, b"[]")}) as (url, seen):
        outcome = scan(sim, data_dir, clock, base_url=url, allow_stale=True)
    assert outcome.exit_code == 3 and outcome.run.status == "failed"
    assert outcome.run.oi_status["resolved"] == 0
    assert not (data_dir / "coinalyze_symbols.json").exists()
    assert any("implausible" in r.getMessage() for r in caplog.records if r.levelno >= 30)
    assert MARKETS in seen


def test_shrunk_catalogue_keeps_the_previous_cache_and_recovers(
    sim: RunningSimulator, data_dir: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    overrides: dict[str, Override] = {}
    with hostile_api(sim.base_url, overrides) as (url, _):
        first = scan(sim, data_dir, clock, base_url=url, allow_stale=True)
        cache = data_dir / "coinalyze_symbols.json"
        before = cache.read_bytes()
        assert first.run.oi_status["resolved"] > 0
        clock.advance(25 * 3600)  # the symbol cache is now stale: the next scan refetches
        one_row = orjson.loads(before)["markets"][:1]
        overrides[MARKETS] = answer(200, orjson.dumps(one_row))
        second = scan(sim, data_dir, clock, base_url=url, allow_stale=True)
        assert cache.read_bytes() == before  # the lie was not cached
        assert second.run.oi_status == first.run.oi_status  # the stale cache answered instead
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any("implausible" in w and "stale cache" in w for w in warnings)
        del overrides[MARKETS]
        third = scan(sim, data_dir, clock, base_url=url, allow_stale=True)
    assert cache.read_bytes() != before  # recovered: a real catalogue, freshly dated
    assert third.run.oi_status == first.run.oi_status
