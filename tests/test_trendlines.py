"""RSI pivots and trendlines: rows are candle rows, rules of docs/design.md §7."""

from __future__ import annotations

import numpy as np
import pytest

from quantpro.analysis.trendlines import Trendline, find_pivots, find_trendlines
from strategies.builders import rsi_with_line


def test_pivots_of_a_known_series() -> None:
    values = np.array([1, 2, 3, 9, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0], dtype=float)
    highs, lows = find_pivots(values, k=3)
    assert highs.tolist() == [3, 10]
    assert lows.tolist() == [7]


def test_plateau_gives_one_pivot_and_nan_windows_none() -> None:
    values = np.array([0, 1, 2, 5, 5, 2, 1, 0, 0], dtype=float)
    assert find_pivots(values, k=2)[0].tolist() == [3]
    with_nan = values.copy()
    with_nan[1] = np.nan
    assert find_pivots(with_nan, k=2)[0].tolist() == []


def test_short_series_has_no_pivots() -> None:
    highs, lows = find_pivots(np.array([1.0, 2.0, 1.0]), k=3)
    assert highs.size == lows.size == 0


def test_resistance_through_three_touches_in_candle_rows() -> None:
    rsi = rsi_with_line()  # 14 NaN warm-up rows, pivots at rows 40, 60, 80
    line = find_trendlines(rsi).resistance
    assert line is not None
    assert (line.start, line.end) == (40, 80)
    assert line.touch_rows == (40, 60, 80)
    assert line.touches == 3
    assert line.value_at(40) == pytest.approx(80.0)
    assert line.value_at(100) == pytest.approx(65.0)
    assert find_trendlines(rsi).support is None


def test_pivot_rows_count_nan_warm_up_rows() -> None:
    """The owner's defect: indices counted in the NaN-dropped array were 14 rows early."""
    rsi = rsi_with_line(warmup=14)
    line = find_trendlines(rsi).resistance
    dropped = find_trendlines(rsi[~np.isnan(rsi)]).resistance
    assert line is not None and dropped is not None
    assert (line.start, line.end) == (40, 80)
    assert (dropped.start + 14, dropped.end + 14) == (line.start, line.end)
    assert np.isfinite(rsi[line.start]) and rsi[line.start] == pytest.approx(line.value_at(line.start))


@pytest.mark.parametrize(("excess", "kept"), [(0.8, True), (1.5, False)])
def test_line_pierced_by_more_than_one_point_is_rejected(excess: float, kept: bool) -> None:
    rsi = rsi_with_line(touches=(80,), tail={60: excess})  # row 60 pokes above the 40→80 line
    line = find_trendlines(rsi).resistance
    if kept:
        assert line is not None and (line.start, line.end) == (40, 80)
    else:
        assert line is None or (line.start, line.end) != (40, 80)


def test_anchor_must_be_overbought() -> None:
    rsi = rsi_with_line(top=69.0)
    assert find_trendlines(rsi).resistance is None


def test_second_pivot_at_least_14_bars_on() -> None:
    rsi = rsi_with_line(touches=(53,))  # only 13 bars after the anchor
    assert find_trendlines(rsi).resistance is None
    assert find_trendlines(rsi, min_span=10).resistance is not None


def test_pivots_older_than_lookback_are_ignored() -> None:
    rsi = np.concatenate([rsi_with_line(n=100), np.full(120, 40.0)])
    assert find_trendlines(rsi).resistance is None  # anchor at row 40 of 220: outside the last 150
    assert find_trendlines(rsi, lookback=200).resistance is not None


def test_support_mirrors_resistance() -> None:
    rsi = 100.0 - rsi_with_line()
    lines = find_trendlines(rsi)
    assert lines.resistance is None
    assert lines.support is not None
    assert lines.support.touch_rows == (40, 60, 80)
    assert lines.support.value_at(40) == pytest.approx(20.0)


def test_best_line_prefers_touches_over_span() -> None:
    # a pivot at row 95 four points above the 40→80 line's extension: the 40→95 line is longer and
    # unpierced but has 2 touches; the 40→80 line has 3 and wins
    rsi = rsi_with_line(tail={95: 4.0})
    longer = find_trendlines(rsi, min_span=50).resistance
    assert longer is not None and (longer.start, longer.end, longer.touches) == (40, 95, 2)
    line = find_trendlines(rsi).resistance
    assert line is not None and (line.start, line.end, line.touches) == (40, 80, 3)


def test_to_dict_is_json_geometry() -> None:
    line = find_trendlines(rsi_with_line()).resistance
    assert isinstance(line, Trendline)
    geometry = line.to_dict()
    assert geometry["pivot_rows"] == [40, 80]
    assert geometry["pivot_values"] == [80.0, 70.0]
    assert geometry["touches"] == 3
