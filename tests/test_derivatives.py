"""The derivatives component: OI z-score by hand, the neutral rule, adjustments, oi_metadata."""

from __future__ import annotations

import json
import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantpro.analysis.derivatives import DerivativesComponent, derivatives_component
from quantpro.models import MarketData, OIPoint, neutral_market_data

SCAN_S = 1_768_000_000 - (1_768_000_000 % 900)  # a bucket boundary
SCAN_MS = SCAN_S * 1000
META_KEYS = {
    "status",
    "coinalyze_symbol",
    "value",
    "z_score",
    "z_score_valid",
    "oi_score",
    "data_age_s",
    "reason",
    "source",
    "market",
    "proxy_of",
    "unit",
    "value_usd",
    "buckets",
    "buckets_real",
    "buckets_filled",
    "as_of",
}


def history(values: list[float], *, newest_end_s: int = SCAN_S) -> list[OIPoint]:
    """Closed 15-minute buckets, the newest ending at ``newest_end_s``."""
    first = newest_end_s - 900 * len(values)
    return [{"timestamp": first + 900 * i, "value": v} for i, v in enumerate(values)]


def market(values: list[float] | None = None, **overrides: object) -> MarketData:
    data: MarketData = {
        "oi_history": history(values or []),
        "funding_rate": 0.01,
        "ls_ratio": 1.0,
        "liquidations": {"longs": 0.0, "shorts": 0.0},
        "oi_status": "resolved",
        "coinalyze_symbol": "TESTUSDT_PERP.A",
        "oi_metadata": {"partial_last_bucket": False, "reason": None, "degraded": False},
    }
    data.update(overrides)  # type: ignore[typeddict-item]
    return data


def test_z_score_of_29_flat_buckets_then_a_jump() -> None:
    # mean = (29·100 + 130) / 30 = 101; population variance = (29·1 + 29²) / 30 = 29 → z = 29 / √29
    comp = derivatives_component(market([100.0] * 29 + [130.0]), SCAN_MS)
    assert comp.z_score == pytest.approx(math.sqrt(29), abs=1e-4)
    assert comp.z_score_valid
    assert comp.oi_score == 30.0  # 10 + min(20, (5.385 − 1.5) × 10)
    assert comp.value == 130.0
    assert comp.data_age_s == 0


def test_z_score_uses_last_30_values_and_population_std() -> None:
    values = [100.0 + (i % 5) for i in range(40)] + [107.0]
    window = values[-30:]
    expected = (window[-1] - statistics.fmean(window)) / statistics.pstdev(window)
    comp = derivatives_component(market(values), SCAN_MS)
    assert comp.z_score == pytest.approx(expected, abs=1e-4)
    assert comp.oi_score == pytest.approx(10 + min(20.0, (expected - 1.5) * 10), abs=1e-3)
    assert 10 < comp.oi_score < 30


def test_partial_newest_bucket_is_excluded() -> None:
    data = market([100.0] * 29 + [130.0])
    data["oi_history"].append({"timestamp": SCAN_S - 600, "value": 1e9})  # still forming: ends after scan
    comp = derivatives_component(data, SCAN_MS)
    assert comp.z_score == pytest.approx(math.sqrt(29), abs=1e-4)
    assert comp.value == 130.0
    assert comp.data_age_s == 0


def test_data_age_is_scan_time_minus_newest_closed_bucket_end() -> None:
    data = market()
    data["oi_history"] = history([100.0] * 20, newest_end_s=SCAN_S - 300)
    assert derivatives_component(data, SCAN_MS).data_age_s == 300


def test_fewer_than_14_closed_buckets_is_not_valid() -> None:
    comp = derivatives_component(market([100.0] * 12 + [130.0]), SCAN_MS)  # 13 buckets, z = √12 > 1.5
    assert comp.z_score is not None and comp.z_score > 1.5
    assert not comp.z_score_valid
    assert comp.oi_score == 10.0
    assert "13 closed" in (comp.reason or "")
    assert derivatives_component(market([100.0] * 13 + [130.0]), SCAN_MS).z_score_valid  # 14: valid


def test_buckets_older_than_24_hours_do_not_count() -> None:
    data = market()
    old = history([100.0] * 20, newest_end_s=SCAN_S - 30 * 3600)
    data["oi_history"] = old + history([100.0] * 9 + [130.0])
    comp = derivatives_component(data, SCAN_MS)
    assert comp.closed_buckets == 10
    assert not comp.z_score_valid


@pytest.mark.parametrize("values", [[100.0] * 30, [100.0 + i % 2 for i in range(29)] + [100.5]])
def test_flat_or_unremarkable_oi_scores_neutral(values: list[float]) -> None:
    comp = derivatives_component(market(values), SCAN_MS)
    assert not comp.z_score_valid
    assert comp.oi_score == 10.0


def test_falling_oi_is_not_valid() -> None:
    comp = derivatives_component(market([100.0] * 29 + [70.0]), SCAN_MS)
    assert comp.z_score is not None and comp.z_score < 0
    assert comp.oi_score == 10.0


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (neutral_market_data(), "not listed on Coinalyze"),
        (None, "no external data"),
        (
            market(oi_metadata={"degraded": True, "reason": "HTTP 503 after 3 retries"}),
            "HTTP 503 after 3 retries",
        ),
        (market([]), "no closed open-interest buckets in the last 24 h"),
    ],
)
def test_neutral_rule_missing_data_scores_exactly_ten(data: MarketData | None, reason: str) -> None:
    comp = derivatives_component(data, SCAN_MS)
    assert comp.oi_score == 10.0
    assert comp.z_score_valid is False
    assert comp.reason == reason
    assert comp.adjustment("LONG") == comp.adjustment("SHORT") == 0.0
    flat = derivatives_component(market([100.0] * 30), SCAN_MS)
    assert comp.points("LONG") == flat.points("LONG") and comp.points("SHORT") == flat.points("SHORT")


def test_neutral_status_ignores_any_history() -> None:
    data = market([100.0] * 29 + [130.0], oi_status="neutral")
    comp = derivatives_component(data, SCAN_MS)
    assert comp.oi_score == 10.0 and comp.z_score is None and comp.value is None


def test_degraded_market_with_a_history_is_still_neutral() -> None:
    data = market([100.0] * 29 + [130.0], oi_metadata={"degraded": True, "reason": None})
    comp = derivatives_component(data, SCAN_MS)
    assert comp.oi_score == 10.0
    assert comp.reason == "derivatives fetch failed"


def test_funding_is_read_from_funding_rate() -> None:
    crowded_longs = derivatives_component(market(funding_rate=0.08), SCAN_MS)
    assert crowded_longs.adjustments("LONG")["funding"] == -3.0
    assert crowded_longs.adjustments("SHORT")["funding"] == 2.0
    crowded_shorts = derivatives_component(market(funding_rate=-0.08), SCAN_MS)
    assert crowded_shorts.adjustment("LONG") == 2.0
    assert crowded_shorts.adjustment("SHORT") == -3.0
    baseline = derivatives_component(market(funding_rate=0.01), SCAN_MS)
    assert baseline.adjustment("LONG") == 0.0


@pytest.mark.parametrize("missing", [None, float("nan"), "n/a"])
def test_missing_values_adjust_as_neutral_values(missing: object) -> None:
    neutral = derivatives_component(
        market(funding_rate=0.0, ls_ratio=1.0, liquidations={"longs": 0.0, "shorts": 0.0}), SCAN_MS
    )
    empty = derivatives_component(market(funding_rate=missing, ls_ratio=missing, liquidations=None), SCAN_MS)
    for side in ("LONG", "SHORT"):
        assert (
            empty.adjustments(side)
            == neutral.adjustments(side)
            == {"funding": 0.0, "ls_ratio": 0.0, "liquidations": 0.0}
        )


def test_long_short_ratio_and_liquidations_adjust_per_side() -> None:
    crowded = derivatives_component(market(ls_ratio=2.5), SCAN_MS)
    assert crowded.adjustments("LONG")["ls_ratio"] == -2.0 and crowded.adjustments("SHORT")["ls_ratio"] == 1.0
    squeeze = derivatives_component(market(liquidations={"longs": 10_000.0, "shorts": 90_000.0}), SCAN_MS)
    assert squeeze.adjustments("LONG")["liquidations"] == 1.0
    assert squeeze.adjustments("SHORT")["liquidations"] == -1.0
    dust = derivatives_component(market(liquidations={"longs": 0.0, "shorts": 900.0}), SCAN_MS)
    assert dust.adjustment("LONG") == 0.0  # too small to mean anything


def test_oi_metadata_has_exactly_the_feed_keys_and_no_nan() -> None:
    data = market([100.0] * 28 + [float("nan"), 130.0], funding_rate=float("inf"))
    comp = derivatives_component(data, SCAN_MS)
    meta = comp.oi_metadata()
    assert set(meta) == META_KEYS
    json.dumps(meta, allow_nan=False)
    assert meta["status"] == "resolved" and meta["coinalyze_symbol"] == "TESTUSDT_PERP.A"
    assert comp.funding_rate is None
    assert set(derivatives_component(None, SCAN_MS).oi_metadata()) == META_KEYS


def test_component_is_frozen() -> None:
    comp = derivatives_component(None, SCAN_MS)
    assert isinstance(comp, DerivativesComponent)
    with pytest.raises(AttributeError):
        comp.oi_score = 30.0  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e12) | st.sampled_from([math.nan, math.inf]), max_size=120))
def test_oi_score_always_within_10_and_30(values: list[float]) -> None:
    comp = derivatives_component(market(values), SCAN_MS)
    assert 10.0 <= comp.oi_score <= 30.0
    json.dumps(comp.oi_metadata(), allow_nan=False)
