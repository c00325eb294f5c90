"""Candle files: both forms, HTF pairing and resampling, forming/stale candles, hostile directories."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest

from quantpro import candles as candle_ops
from quantpro.errors import ConfigError, DataFileError
from quantpro.models import Candles, MarketKey
from quantpro.store import candles as store_candles
from quantpro.store import markets as md

START = 1_767_225_600_000  # 2026-01-01 00:00 UTC
STEP = 900_000  # 15m
N = 120
NOW = START + N * STEP - STEP // 2  # the last candle (row N − 1) is still forming


def _rows(n: int = N, *, start: int = START, step: int = STEP, base: float = 100.0) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        o = base + i
        c = o + (1 if i % 3 else -1)
        rows.append(
            {"time": start + i * step, "open": o, "high": max(o, c) + 0.5, "low": min(o, c) - 0.5, "close": c}
            | {"volume": 10.0 + i}
        )
    return rows


def _as_arrays(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[r[k] for k in candle_ops.COLUMNS] for r in rows]


def _write(directory: Path, name: str, content: Any) -> Path:
    path = directory / name
    path.write_bytes(content if isinstance(content, bytes) else orjson.dumps(content))
    return path


def _load(directory: Path, **kwargs: Any) -> md.LoadResult:
    return md.load_markets(directory, now_ms=kwargs.pop("now_ms", NOW), **kwargs)


def _reasons(result: md.LoadResult) -> dict[str, str]:
    return {s.file: s.reason for s in result.skipped}


def _market(result: md.LoadResult, symbol: str) -> md.LoadedMarket:
    return next(m for m in result.markets if m.key.symbol == symbol)


# --------------------------------------------------------------------------- forms, pairing, time


def test_object_and_array_forms_load_the_same(tmp_path: Path) -> None:
    _write(tmp_path, "MEXC_OBJUSDT_15m.json", _rows())
    _write(tmp_path, "MEXC_ARRUSDT_15m.json", _as_arrays(_rows()))
    result = _load(tmp_path)
    assert result.skipped == []
    obj, arr = _market(result, "OBJUSDT"), _market(result, "ARRUSDT")
    for col in candle_ops.COLUMNS:
        np.testing.assert_array_equal(getattr(obj.ltf, col), getattr(arr.ltf, col))
    assert obj.ltf.time.dtype == np.int64 and obj.ltf.close.dtype == np.float64
    assert obj.key == MarketKey("MEXC", "OBJUSDT")


def test_htf_file_is_used_when_present(tmp_path: Path) -> None:
    _write(tmp_path, "MEXC_BTCUSDT_15m.json", _rows())
    _write(tmp_path, "MEXC_BTCUSDT_4h.json", _rows(60, step=14_400_000, start=START - 60 * 14_400_000))
    market = _market(_load(tmp_path), "BTCUSDT")
    assert market.htf_resampled is False
    assert market.htf.timeframe == "4h" and len(market.htf) == 60


def test_htf_is_resampled_when_missing(tmp_path: Path) -> None:
    _write(tmp_path, "MEXC_BTCUSDT_15m.json", _rows())
    market = _market(_load(tmp_path), "BTCUSDT")
    assert market.htf_resampled is True
    # 119 closed 15m candles from 00:00: 7 whole 4h buckets (112 candles), the 8th incomplete → dropped
    assert len(market.htf) == 7
    assert (market.htf.time % 14_400_000 == 0).all()


def test_resample_by_hand() -> None:
    # 15m candles 00:15 … 02:30 (10); 1h buckets: 00:00 (partial start), 01:00, 02:00 (partial end)
    t0 = START + STEP
    time = t0 + np.arange(10, dtype=np.int64) * STEP
    o = np.arange(10, dtype=np.float64) + 1  # 1..10
    c = o + 0.5
    h = c + np.array([0, 0, 0, 5, 0, 0, 0, 0, 0, 0], dtype=np.float64)
    lo = o - np.array([0, 0, 0, 0, 0, 3, 0, 0, 0, 0], dtype=np.float64)
    v = np.full(10, 2.0)
    ltf = Candles("15m", time, o, h, lo, c, v)
    out = candle_ops.resample(ltf, "1h")
    # only 01:00 (rows 3..6) is complete at both ends
    assert out.time.tolist() == [START + 3_600_000]
    assert out.open.tolist() == [4.0]  # open of row 3
    assert out.high.tolist() == [9.5]  # row 3: 4.5 + 5
    assert out.low.tolist() == [3.0]  # row 5: 6 − 3
    assert out.close.tolist() == [7.5]  # close of row 6
    assert out.volume.tolist() == [8.0]
    # one more candle (02:45) completes the 02:00 bucket
    more = Candles("15m", np.r_[time, time[-1] + STEP], *(np.r_[a, a[-1]] for a in (o, h, lo, c, v)))
    assert candle_ops.resample(more, "1h").time.tolist() == [START + 3_600_000, START + 7_200_000]


def test_forming_candle_is_dropped(tmp_path: Path) -> None:
    _write(tmp_path, "MEXC_BTCUSDT_15m.json", _rows())
    market = _market(_load(tmp_path), "BTCUSDT")
    assert len(market.ltf) == N - 1
    assert int(market.ltf.time[-1]) == START + (N - 2) * STEP
    closed = _market(_load(tmp_path, now_ms=START + N * STEP), "BTCUSDT")
    assert len(closed.ltf) == N


def test_stale_flag(tmp_path: Path) -> None:
    _write(tmp_path, "MEXC_BTCUSDT_15m.json", _rows())
    last_close = START + N * STEP
    assert _market(_load(tmp_path, now_ms=last_close + 4 * STEP), "BTCUSDT").stale is False
    assert _market(_load(tmp_path, now_ms=last_close + 4 * STEP + 1), "BTCUSDT").stale is True


def test_missing_data_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        md.load_markets(tmp_path / "nope", now_ms=NOW)
    with pytest.raises(ConfigError, match="multiple"):
        md.load_markets(tmp_path, now_ms=NOW, ltf="4h", htf="15m")


# --------------------------------------------------------------------------- repairs


def test_unsorted_and_duplicate_times_are_repaired_keeping_the_last(tmp_path: Path) -> None:
    rows = _rows()
    dup = dict(rows[10], close=999.0, high=1000.0)
    shuffled = rows[60:] + rows[:60] + [dup]
    _write(tmp_path, "MEXC_BTCUSDT_15m.json", shuffled)
    result = _load(tmp_path)
    market = _market(result, "BTCUSDT")
    assert (np.diff(market.ltf.time) > 0).all()
    assert len(market.ltf) == N - 1
    assert market.ltf.close[10] == 999.0
    notes = [n for f, n in result.notes if f == "MEXC_BTCUSDT_15m.json"]
    assert any("sorted" in n for n in notes) and any("duplicate" in n for n in notes)


def test_a_few_bad_candles_are_dropped_with_a_note(tmp_path: Path) -> None:
    rows = _rows()
    rows[5]["close"] = 0
    rows[6]["low"] = -1
    rows[7]["open"] = None
    _write(tmp_path, "MEXC_BTCUSDT_15m.json", rows)
    result = _load(tmp_path)
    assert len(_market(result, "BTCUSDT").ltf) == N - 4
    assert ("MEXC_BTCUSDT_15m.json", "dropped 3 candle(s) with NaN, zero or negative values") in result.notes


def test_nan_literals_fall_back_to_the_tolerant_parser(tmp_path: Path) -> None:
    text = orjson.dumps(_rows()).replace(b'"close":102.0', b'"close":NaN', 1)
    text = text.replace(b'"volume":12.0', b'"volume":Infinity', 1)
    _write(tmp_path, "MEXC_BTCUSDT_15m.json", text)
    result = _load(tmp_path)
    assert len(_market(result, "BTCUSDT").ltf) == N - 3
    assert any("dropped 2" in n for _, n in result.notes)


def test_numeric_strings_are_accepted(tmp_path: Path) -> None:
    rows = [{k: (str(v) if k != "time" else v) for k, v in r.items()} for r in _rows()]
    _write(tmp_path, "MEXC_BTCUSDT_15m.json", rows)
    market = _market(_load(tmp_path), "BTCUSDT")
    assert market.ltf.close[0] == _rows()[0]["close"]


def test_high_low_outside_the_body_are_widened(tmp_path: Path) -> None:
    rows = _rows()
    rows[3]["high"] = rows[3]["close"] - 0.1
    rows[4]["low"] = max(rows[4]["open"], rows[4]["close"]) + 0.1
    _write(tmp_path, "MEXC_BTCUSDT_15m.json", rows)
    result = _load(tmp_path)
    market = _market(result, "BTCUSDT")
    assert market.ltf.high[3] == max(rows[3]["open"], rows[3]["close"])
    assert market.ltf.low[4] == min(rows[4]["open"], rows[4]["close"])
    assert any("widened high/low of 2" in n for _, n in result.notes)


# --------------------------------------------------------------------------- hostile directory


def _hostile_directory(d: Path) -> dict[str, str]:
    """Good files plus every hostile case; returns file → expected reason fragment."""
    _write(d, "BINANCE_BTCUSDT_15m.json", _rows())
    _write(d, "BINANCE_BTCUSDT_4h.json", _rows(60, step=14_400_000, start=START - 60 * 14_400_000))
    _write(d, "HYPERLIQUID_kPEPEUSDT_15m.json", _as_arrays(_rows(base=0.5)))
    _write(d, "BYBIT_BADHTFUSDT_15m.json", _rows())
    _write(d, "BYBIT_BADHTFUSDT_4h.json", orjson.dumps(_rows())[:2000])
    # the scanner's own files: never reported
    _write(d, "master_feed.json", {"schema_version": 1})
    _write(d, "coinalyze_symbols.json", {})
    _write(d, "coinalyze_ratelimit.json", [])
    (d / "quantpro.toml").write_text("rate_limit_calls = 40\n")
    (d / "coinalyze_cache").mkdir()
    _write(d / "coinalyze_cache", "x.json", {})
    _write(d, ".master_feed.json.abc123.tmp", b"{")
    _write(d, ".hidden.json", b"{")
    (d / "coinalyze_ratelimit.json.lock").write_text("")
    (d / "BINANCE_BTCUSDT_15m.json.lock").write_text("")
    (d / "README.md").write_text("not a candle file\n")
    expected = {
        "notes.json": "name does not fit",
        "BINANCE_BTCUSDT.json": "name does not fit",
        "BINANCE__15m.json": "name does not fit",
        "BINANCE_BTCUSDT_7m.json": "unknown timeframe",
        "BINANCE_ONEHOUR_1h.json": "not used by this scan",
        "BINANCE_EMPTY_15m.json": "empty file",
        "BINANCE_OBJECT_15m.json": "expected a JSON array of candles, got an object",
        "BINANCE_NUMBERS_15m.json": "candles must be objects or arrays",
        "BINANCE_SHORTARR_15m.json": "has 5 values",
        "BINANCE_MIXED_15m.json": "candle 1 is an array",
        "BINANCE_NOKEY_15m.json": "lacks volume",
        "BINANCE_WORDS_15m.json": "non-numeric close",
        "BINANCE_FEW_15m.json": "only 30 usable closed candles",
        "BINANCE_TORN_15m.json": "invalid JSON at byte 1000",
        "BINANCE_ZERO_15m.json": "no usable prices",
        "BINANCE_MANYBAD_15m.json": "more than 5 %",
        "BINANCE_SECONDS_15m.json": "not Unix milliseconds",
        "BINANCE_HOURLY_15m.json": "expected 900000 for 15m",
        "BINANCE_ORPHAN_4h.json": "4h file without its 15m pair",
        "BINANCE_DIR_15m.json": "a directory",
        "BINANCE_FIFO_15m.json": "FIFO",
        "BINANCE_LOOP_15m.json": "symlink loop",
        "BINANCE_DANGLING_15m.json": "broken symlink",
        "BYBIT_BADHTFUSDT_4h.json": "invalid JSON at byte 2000",
        "BINANCE_DEADLTF_15m.json": "empty file",
        "BINANCE_DEADLTF_4h.json": "its 15m pair BINANCE_DEADLTF_15m.json was skipped",
    }
    _write(d, "notes.json", [])
    _write(d, "BINANCE_BTCUSDT.json", _rows())
    _write(d, "BINANCE__15m.json", _rows())
    _write(d, "BINANCE_BTCUSDT_7m.json", _rows())
    _write(d, "BINANCE_ONEHOUR_1h.json", _rows())
    _write(d, "BINANCE_EMPTY_15m.json", b"")
    _write(d, "BINANCE_OBJECT_15m.json", {})
    _write(d, "BINANCE_NUMBERS_15m.json", [1, 2, 3])
    _write(d, "BINANCE_SHORTARR_15m.json", [r[:5] for r in _as_arrays(_rows())])
    _write(d, "BINANCE_MIXED_15m.json", [_rows()[0], _as_arrays(_rows())[1]])
    _write(d, "BINANCE_NOKEY_15m.json", [{k: v for k, v in r.items() if k != "volume"} for r in _rows()])
    _write(d, "BINANCE_WORDS_15m.json", [dict(r, close="abc") for r in _rows()])
    _write(d, "BINANCE_FEW_15m.json", _rows(30))
    _write(d, "BINANCE_TORN_15m.json", orjson.dumps(_rows())[:1000])
    _write(d, "BINANCE_ZERO_15m.json", [dict(r, open=0, high=0, low=0, close=0) for r in _rows()])
    _write(
        d,
        "BINANCE_MANYBAD_15m.json",
        [dict(r, close=-1) if i % 10 == 0 else r for i, r in enumerate(_rows())],
    )
    _write(d, "BINANCE_SECONDS_15m.json", [dict(r, time=r["time"] // 1000) for r in _rows()])
    _write(d, "BINANCE_HOURLY_15m.json", _rows(step=3_600_000, start=START - N * 3_600_000))
    _write(d, "BINANCE_ORPHAN_4h.json", _rows())
    (d / "BINANCE_DIR_15m.json").mkdir()
    os.mkfifo(d / "BINANCE_FIFO_15m.json")
    os.symlink(d / "BINANCE_LOOP_15m.json", d / "BINANCE_LOOP_15m.json")
    os.symlink(d / "nowhere", d / "BINANCE_DANGLING_15m.json")
    _write(d, "BINANCE_DEADLTF_15m.json", b"  \n")
    _write(d, "BINANCE_DEADLTF_4h.json", _rows(60, step=14_400_000, start=START - 60 * 14_400_000))
    return expected


@pytest.mark.timeout(30)
def test_hostile_directory_skips_each_bad_file_and_loads_the_rest(tmp_path: Path) -> None:
    expected = _hostile_directory(tmp_path)
    result = _load(tmp_path)
    reasons = _reasons(result)
    assert set(reasons) == set(expected), set(reasons) ^ set(expected)
    for file, fragment in expected.items():
        assert fragment in reasons[file], (file, reasons[file])
    assert sorted(m.key.symbol for m in result.markets) == ["BADHTFUSDT", "BTCUSDT", "kPEPEUSDT"]
    bad_htf = _market(result, "BADHTFUSDT")
    assert bad_htf.htf_resampled is True and len(bad_htf.htf) == 7
    assert any("resampled" in n for n in bad_htf.notes)
    assert _market(result, "BTCUSDT").htf_resampled is False


def test_custom_ignored_names_are_not_reported(tmp_path: Path) -> None:
    _write(tmp_path, "feed.json", {})
    assert _load(tmp_path, ignore={"feed.json"}).skipped == []
    assert _reasons(_load(tmp_path)) == {"feed.json": "name does not fit EXCHANGE_SYMBOL_TIMEFRAME.json"}


def test_huge_file_is_skipped_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_candles, "MAX_FILE_BYTES", 4096)
    _write(tmp_path, "MEXC_BIGUSDT_15m.json", _rows())
    assert "file too large" in _reasons(_load(tmp_path))["MEXC_BIGUSDT_15m.json"]


def test_load_market_raises_data_file_error_with_the_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "MEXC_BTCUSDT_15m.json", b"[1,")
    files = md.MarketFiles(MarketKey("MEXC", "BTCUSDT"), path, None)
    with pytest.raises(DataFileError) as info:
        md.load_market(files, now_ms=NOW)
    assert info.value.file == "MEXC_BTCUSDT_15m.json"
    assert info.value.reason == "invalid JSON at byte 3"


# --------------------------------------------------------------------------- the pandas boundary


def test_frame_round_trip_and_lenient_repairs() -> None:
    candles = candle_ops.matrix_to_candles(candle_ops.rows_to_matrix("x", _rows()), "15m")
    frame = candle_ops.candles_to_frame(candles)
    assert list(frame.columns) == list(candle_ops.COLUMNS)
    assert frame["time"].dtype == np.int64
    back = candle_ops.candles_from_frame(frame, "15m")
    for col in candle_ops.COLUMNS:
        np.testing.assert_array_equal(getattr(back, col), getattr(candles, col))
    short = frame.iloc[:10].copy()
    short.loc[3, "close"] = np.nan
    assert len(candle_ops.candles_from_frame(short, "15m")) == 9  # no 50-candle minimum, bad row dropped
    with pytest.raises(ValueError, match="lacks column"):
        candle_ops.candles_from_frame(pd.DataFrame({"time": [1]}), "15m")
