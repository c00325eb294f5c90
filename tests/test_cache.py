"""The response cache: TTL on the injected clock, empty answers cached, one file per data type,
merge with another writer, corrupt files rebuilt."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest

from quantpro.clock import FakeClock
from quantpro.sources.coinalyze.cache import CACHE_SUBDIR, ResponseCache

TTL = 15 * 60.0


def test_fresh_within_ttl_stale_after(tmp_path: Path, clock: FakeClock) -> None:
    cache = ResponseCache(tmp_path, TTL, clock=clock)
    cache.put_many("funding_rate", {"BTCUSDT_PERP.A": 0.01})
    assert cache.get("funding_rate", "BTCUSDT_PERP.A") == (True, 0.01)
    clock.advance(TTL - 1)
    assert cache.is_fresh("funding_rate", "BTCUSDT_PERP.A")
    clock.advance(1)
    assert cache.get("funding_rate", "BTCUSDT_PERP.A") == (False, None)
    assert cache.fetched_at("funding_rate", "BTCUSDT_PERP.A") == int((clock.now() - TTL) * 1000)


def test_empty_answers_are_hits(tmp_path: Path, clock: FakeClock) -> None:
    cache = ResponseCache(tmp_path, TTL, clock=clock)
    cache.put_many("oi_history", {"A.A": []})
    cache.put_many("ls_ratio", {"A.A": None})
    assert cache.get("oi_history", "A.A") == (True, [])
    assert cache.get("ls_ratio", "A.A") == (True, None)
    assert cache.get("ls_ratio", "B.A") == (False, None)


def test_layout_one_file_per_data_type_and_reload(tmp_path: Path, clock: FakeClock) -> None:
    cache = ResponseCache.in_cache_dir(tmp_path, TTL, clock=clock)
    points = [{"timestamp": 1, "value": 2.5}]
    cache.put_many("oi_history", {"A.A": points, "B.6": []})
    cache.put_many("liquidations", {"A.A": {"longs": 1.0, "shorts": 2.0}})
    folder = tmp_path / CACHE_SUBDIR
    assert sorted(p.name for p in folder.glob("*.json")) == ["liquidations.json", "oi_history.json"]
    doc = orjson.loads((folder / "oi_history.json").read_bytes())
    assert doc["A.A"] == {"fetched_at": int(clock.now() * 1000), "value": points}
    again = ResponseCache.in_cache_dir(tmp_path, TTL, clock=clock)
    assert again.get("oi_history", "A.A") == (True, points)
    assert again.get("liquidations", "A.A") == (True, {"longs": 1.0, "shorts": 2.0})


def test_two_writers_merge(tmp_path: Path, clock: FakeClock) -> None:
    first = ResponseCache(tmp_path, TTL, clock=clock)
    second = ResponseCache(tmp_path, TTL, clock=clock)
    first.get("funding_rate", "X")  # both load the (empty) file before either writes
    second.get("funding_rate", "X")
    first.put_many("funding_rate", {"A.A": 0.01})
    second.put_many("funding_rate", {"B.6": 0.02})
    third = ResponseCache(tmp_path, TTL, clock=clock)
    assert third.get("funding_rate", "A.A") == (True, 0.01)
    assert third.get("funding_rate", "B.6") == (True, 0.02)


def test_expired_entries_are_dropped_on_write(tmp_path: Path, clock: FakeClock) -> None:
    cache = ResponseCache(tmp_path, TTL, clock=clock)
    cache.put_many("funding_rate", {"old.A": 0.01})
    clock.advance(TTL + 1)
    cache.put_many("funding_rate", {"new.A": 0.02})
    assert set(orjson.loads((tmp_path / "funding_rate.json").read_bytes())) == {"new.A"}


def test_zero_ttl_disables(tmp_path: Path, clock: FakeClock) -> None:
    cache = ResponseCache(tmp_path, 0, clock=clock)
    cache.put_many("funding_rate", {"A.A": 0.01})
    assert not cache.is_fresh("funding_rate", "A.A")


@pytest.mark.parametrize(
    "content",
    [b'{"A.A": {"fetched_at": 1, "val', b"<html>", b"[]", b'{"A.A": 3, "B.6": {"value": 1}}'],
)
def test_corrupt_file_is_rebuilt_with_a_warning(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    (tmp_path / "funding_rate.json").write_bytes(content)
    cache = ResponseCache(tmp_path, TTL, clock=clock)
    with caplog.at_level(logging.WARNING, logger="quantpro"):
        assert cache.get("funding_rate", "A.A") == (False, None)
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    cache.put_many("funding_rate", {"A.A": 0.03})
    assert orjson.loads((tmp_path / "funding_rate.json").read_bytes())["A.A"]["value"] == 0.03


def test_warm_read_of_a_large_cache(tmp_path: Path, clock: FakeClock) -> None:
    cache = ResponseCache(tmp_path, TTL, clock=clock)
    history = [{"timestamp": 1_768_000_000 + 900 * i, "value": float(i)} for i in range(96)]
    cache.put_many("oi_history", {f"S{i}USDT_PERP.A": history for i in range(1100)})
    warm = ResponseCache(tmp_path, TTL, clock=clock)
    assert all(warm.is_fresh("oi_history", f"S{i}USDT_PERP.A") for i in range(1100))


def test_bad_table_name_refused(tmp_path: Path, clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        ResponseCache(tmp_path, TTL, clock=clock).get("../etc", "A")
