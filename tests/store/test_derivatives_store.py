"""The derivatives tables (docs/design.md §11): the bucket rule, history filling only empty buckets,
retention, a corrupt file moved aside, and two processes writing one file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from quantpro.store.db import Store
from quantpro.store.derivatives import (
    Sample,
    boundary_for,
    prune,
    write_history,
    write_samples,
)
from quantpro.store.derivatives_read import load_markets, load_series, store_status

T = 1_768_842_000  # a 15-minute boundary
LAG = 300.0


def sample(observed_s: float, oi: float, venue_id: str = "BTCUSDT", size: float = 1.0) -> Sample:
    return Sample(
        venue="BINANCE",
        venue_id=venue_id,
        ccxt_symbol=f"{venue_id[:-4]}/USDT:USDT",
        local_symbol=venue_id,
        coin=venue_id[:-4],
        contract_size=size,
        oi_unit="base",
        oi_raw=oi / size,
        oi_base=oi,
        price=100.0,
        funding_rate=0.0001,
        funding_interval_h=8.0,
        quote_volume_24h=1e9,
        observed_ms=int(observed_s * 1000),
    )


def series(store: Store, venue_id: str = "BTCUSDT") -> dict[int, tuple[float, str]]:
    market = next(m for m in load_markets(store) if m.venue_id == venue_id)
    rows = load_series(store, [market.id], since_s=0, until_s=T * 2)[market.id]
    return {r.bucket_end: (r.oi_base, r.source) for r in rows}


@pytest.mark.parametrize(
    ("offset", "expected"), [(0, T), (20, T), (300, T), (301, None), (899, None), (900, T + 900)]
)
def test_a_sample_stands_for_the_boundary_before_it_within_the_lag(offset: int, expected: int | None) -> None:
    assert boundary_for((T + offset) * 1000, LAG) == expected


def test_the_closer_sample_wins_whatever_the_order(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        write_samples(store, [sample(T + 100, 2.0)], max_lag_s=LAG)
        write_samples(store, [sample(T + 20, 1.0)], max_lag_s=LAG)
        write_samples(store, [sample(T + 60, 3.0)], max_lag_s=LAG)
        write_samples(store, [sample(T + 400, 4.0)], max_lag_s=LAG)  # too late: no bucket
        assert series(store) == {T: (1.0, "venue snapshot")}
        # the market row keeps the newest observation all the same
        assert load_markets(store)[0].last_oi_base == 4.0


def test_history_only_fills_empty_buckets(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        write_samples(store, [sample(T + 20, 1.0)], max_lag_s=LAG)
        market = load_markets(store)[0].id
        filled = write_history(
            store, market, [(T - 900, 9.0), (T, 9.0)], contract_size=1.0, source="venue history"
        )
        assert filled == 1
        assert series(store) == {T - 900: (9.0, "venue history"), T: (1.0, "venue snapshot")}
        # a live sample replaces a history row at its boundary
        write_samples(store, [sample(T - 900 + 10, 5.0)], max_lag_s=LAG)
        assert series(store)[T - 900] == (5.0, "venue snapshot")


def test_retention_prunes_old_buckets_only(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        write_samples(store, [sample(T - 91 * 86_400 + 20, 1.0)], max_lag_s=LAG)
        write_samples(store, [sample(T + 20, 2.0)], max_lag_s=LAG)
        deleted = prune(store, now_s=T + 20, retention_days=90)
        assert deleted["oi_bucket"] == 1
        assert series(store) == {T: (2.0, "venue snapshot")}


def test_status_counts_markets_and_warming_up(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        write_samples(store, [sample(T + 20, 1.0), sample(T + 20, 1.0, "ETHUSDT")], max_lag_s=LAG)
        status = store_status(store, now_s=T + 20)
    assert status["venues"]["BINANCE"]["markets"] == 2
    assert status["venues"]["BINANCE"]["warming_up"] == 2
    assert status["venues"]["BINANCE"]["newest_bucket"] == T
    assert status["buckets"] == 2 and status["size_bytes"] > 0


def test_a_corrupt_store_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with Store(path, now=lambda: 1234.0) as store:
        write_samples(store, [sample(T + 20, 1.0)], max_lag_s=LAG)
        assert series(store) == {T: (1.0, "venue snapshot")}
    assert (tmp_path / "s.sqlite.corrupt-1234").read_bytes().startswith(b"this is not")


def _writer(path: str, venue_id: str, cycles: int) -> None:
    with Store(Path(path)) as store:
        for k in range(cycles):
            write_samples(store, [sample(T + k * 900 + 20, float(k + 1), venue_id)], max_lag_s=LAG)


def test_two_processes_write_one_store(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), v, 40)) for v in ("BTCUSDT", "ETHUSDT")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    with Store(path) as store:
        for venue_id in ("BTCUSDT", "ETHUSDT"):
            got = series(store, venue_id)
            assert got == {T + k * 900: (float(k + 1), "venue snapshot") for k in range(40)}
