"""The feed contract (docs/design.md §8): every field, the JSON Schema, order, run status, atomic writes."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import orjson
import pytest

from quantpro.analysis.features import FeatureFactory, SharedContext
from quantpro.errors import FeedWriteError, StrategyError
from quantpro.feed import (
    OI_METADATA_KEYS,
    RUN_KEYS,
    SIGNAL_KEYS,
    STRATEGY_TYPES,
    RunSummary,
    build_feed,
    build_signal,
    load_schema,
    run_status,
    sanitize,
    sort_signals,
    write_feed,
)
from quantpro.models import Action, Bias, Candles, MarketData, Setup, StrategyResult, neutral_market_data
from quantpro.store.atomic import set_crash_hook

NOW_MS = 1_768_842_349_064
LTF_MS = 900_000


def _candles(rows: int = 120, *, price: float = 0.0335) -> Candles:
    """Closed 15m candles ending just before the candle forming at NOW_MS."""
    last = NOW_MS // LTF_MS * LTF_MS - LTF_MS
    time = last - LTF_MS * np.arange(rows - 1, -1, -1, dtype=np.int64)
    close = price * (1.0 + 0.01 * np.sin(np.arange(rows) / 5.0))
    return Candles(
        "15m",
        time,
        close * 0.999,
        close * 1.004,
        close * 0.995,
        close,
        np.full(rows, 1000.0),
    )


def _aggregated_data() -> MarketData:
    scan_s = NOW_MS // 1000
    newest = scan_s // 900 * 900 - 900  # the newest closed bucket
    history = [{"timestamp": newest - 900 * i, "value": 1000.0 + i} for i in range(40, -1, -1)]
    history[-1]["value"] = 5000.0  # a jump: the z-score is valid
    return {
        "oi_history": history,  # type: ignore[typeddict-item]
        "funding_rate": 0.01,
        "ls_ratio": 1.05,
        "liquidations": {"longs": 1000.0, "shorts": 500.0},
        "oi_status": "aggregated",
        "coinalyze_symbol": "IDOLUSDT_PERP.A",
        "oi_metadata": {"partial_last_bucket": True, "reason": None, "degraded": False},
    }


def oi_history_in_24h() -> list[Any]:
    """The closed buckets of ``_aggregated_data`` inside the z-score's 24 h."""
    scan_s = NOW_MS // 1000
    return [p for p in _aggregated_data()["oi_history"] if p["timestamp"] >= scan_s - 24 * 3600]


def _context(
    symbol: str = "IDOLUSDT", exchange: str = "MEXC", data: MarketData | None = None
) -> SharedContext:
    return FeatureFactory().build_context(
        symbol,
        exchange,
        _candles(),
        None,
        external_data=data if data is not None else neutral_market_data(),
        scan_time_ms=NOW_MS,
    )


def _long() -> StrategyResult:
    return StrategyResult(
        action=Action.LONG,
        bias=Bias.LONG,
        score=72.5,
        setup=Setup("LONG", 0.03347, 0.04027, 0.0312, 3.0),
        details={"rsi": np.float64(61.2), "rows": np.array([3, 4]), "bad": float("nan")},
        htf={"ema200": float("inf")},
        ltf={"obv": np.int64(12)},
        score_composition={"base": 20.0, "oi": 10.0},
        rsi_visuals={"resistance": None},
    )


def _wait(reason: str = "no crossing found") -> StrategyResult:
    return StrategyResult(action=Action.WAIT, bias=Bias.NONE, score=0.0, reason=reason)


def _signal(
    name: str = "BreakoutV2",
    result: StrategyResult | None = None,
    context: SharedContext | None = None,
) -> dict[str, Any]:
    return build_signal(
        strategy_name=name,
        strategy_type=STRATEGY_TYPES[name],
        result=result if result is not None else _long(),
        context=context if context is not None else _context(),
        ltf_interval="15m",
        htf_interval="4h",
    )


def _feed(signals: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    run = RunSummary(
        status="degraded",
        markets=2,
        skipped_files=[{"file": "KUCOIN_CAKEUSDTM_15m.json", "reason": "invalid JSON at byte 20480"}],
        oi_status={"aggregated": 1, "neutral": 1},
        degraded_markets=1,
        duration_s=1.25,
    )
    if signals is None:
        signals = [_signal(), _signal("Legacy", _wait()), _signal("Breakout", _wait(), _context("BTCUSDT"))]
    return build_feed(signals, run, last_updated_ms=NOW_MS)


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_schema())


# -- signals ----------------------------------------------------------------------------------------


def test_signal_has_every_field_with_its_type() -> None:
    signal = _signal(context=_context(data=_aggregated_data()))
    assert tuple(signal) == SIGNAL_KEYS
    assert signal["strategy_name"] == signal["strategy"] == "BreakoutV2"
    assert (signal["symbol"], signal["canonical_symbol"], signal["display_symbol"]) == (
        "IDOLUSDT",
        "IDOL",
        "IDOLUSDT",
    )
    assert signal["exchange"] == signal["exchange_tag"] == signal["source"] == "MEXC"
    candles = _candles()
    assert signal["price"] == pytest.approx(float(candles.close[-1]))
    assert signal["calculated_at"] == int(candles.time[-1])
    assert isinstance(signal["calculated_at"], int)
    assert signal["score"] == signal["total_score"] == 72.5
    assert (signal["bias"], signal["action"]) == ("LONG", "LONG")
    fees = 2 * 0.05 / 100 * 0.03347  # the default 0.05 % taker fee on entry and exit (docs/design.md §12)
    rr_net = round((0.04027 - 0.03347 - fees) / (0.03347 - 0.0312 + fees), 4)
    assert signal["setup"] == {
        "side": "LONG",
        "entry": 0.03347,
        "tp": 0.04027,
        "sl": 0.0312,
        "rr": 3.0,
        "rr_net": rr_net,
    }
    assert 2.5 < rr_net < 3.0
    assert (signal["entry"], signal["stop_loss"], signal["take_profit"], signal["rr"]) == (
        0.03347,
        0.0312,
        0.04027,
        3.0,
    )
    assert signal["details"] == {"rsi": 61.2, "rows": [3, 4], "bad": None, "reason": None}
    assert signal["htf"] == {"ema200": None} and signal["ltf"] == {"obv": 12}
    assert type(signal["ltf"]["obv"]) is int and type(signal["details"]["rsi"]) is float
    assert signal["meta"] == {
        "htfInterval": "4h",
        "ltfInterval": "15m",
        "strategy_type": "breakout_v2",
        "htf_resampled": True,
        "stale": False,
    }
    oi = signal["oi_metadata"]
    assert tuple(oi) == OI_METADATA_KEYS
    assert (oi["status"], oi["coinalyze_symbol"], oi["value"]) == ("aggregated", "IDOLUSDT_PERP.A", 5000.0)
    assert oi["z_score_valid"] is True and 10.0 < oi["oi_score"] <= 30.0
    # a Coinalyze reference market is a proxy; its newest closed bucket ends 15 minutes before now
    assert (oi["source"], oi["unit"], oi["buckets"], oi["buckets_real"], oi["buckets_filled"]) == (
        "proxy",
        "native",
        len(oi_history_in_24h()),
        len(oi_history_in_24h()),
        0,
    )
    assert oi["as_of"] == (NOW_MS // 1000 // 900 * 900) * 1000
    external = signal["external"]
    assert {k: external[k] for k in ("funding_rate", "ls_ratio", "liquidations")} == {
        "funding_rate": 0.01,
        "ls_ratio": 1.05,
        "liquidations": {"longs": 1000.0, "shorts": 500.0},
    }
    assert external["funding_interval_h"] is None and external["funding_rate_8h"] is None  # unknown
    provenance = external["provenance"]
    assert provenance["open_interest"]["source"] == "proxy"
    assert provenance["open_interest"]["coinalyze_symbol"] == "IDOLUSDT_PERP.A"
    assert provenance["funding_rate"]["source"] == provenance["liquidations"]["source"] == "proxy"
    assert signal["track_record"] is None
    assert signal["observability"] == {
        "score_composition": {"base": 20.0, "oi": 10.0},
        "rsi_visuals": {"resistance": None},
    }


def test_wait_signal_has_null_trade_plan_and_says_why() -> None:
    signal = _signal("Legacy", _wait("HTF EMA 200 needs 200 candles (have 30)"))
    assert signal["setup"] is None
    assert [signal[k] for k in ("entry", "stop_loss", "take_profit", "rr")] == [None] * 4
    assert signal["details"]["reason"] == "HTF EMA 200 needs 200 candles (have 30)"
    assert signal["meta"]["strategy_type"] == "legacy"
    assert signal["oi_metadata"]["status"] == "neutral" and signal["oi_metadata"]["oi_score"] == 10.0
    assert signal["oi_metadata"]["source"] == "none" and signal["oi_metadata"]["unit"] is None
    external = signal["external"]
    assert [external[k] for k in ("funding_rate", "ls_ratio", "liquidations", "funding_rate_8h")] == [
        None
    ] * 4
    assert {p["source"] for p in external["provenance"].values()} == {"none"}
    assert all(p["reason"] and p["age_s"] is None for p in external["provenance"].values())


@pytest.mark.parametrize(
    ("symbol", "coin"), [("XBTUSDTM", "BTC"), ("kPEPEUSDT", "PEPE"), ("1000PEPEUSDT", "PEPE")]
)
def test_canonical_symbol_is_the_coin(symbol: str, coin: str) -> None:
    signal = _signal(context=_context(symbol, "KUCOIN"))
    assert (signal["canonical_symbol"], signal["display_symbol"]) == (coin, symbol)


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (StrategyResult(Action.LONG, Bias.LONG, 75.0), "without a setup"),
        (StrategyResult(Action.SHORT, Bias.SHORT, 75.0, Setup("LONG", 1.0, 2.0, 0.5, 2.0)), "LONG setup"),
        (StrategyResult(Action.SHORT, Bias.SHORT, 75.0, Setup("SHORT", 1.0, 0.0, 1.2, 5.0)), "tp"),
        (StrategyResult(Action.WAIT, Bias.NONE, float("nan")), "score"),
        (StrategyResult(Action.WAIT, Bias.NONE, 0.0, reason="x", details={"x": object()}), "not JSON-able"),
    ],
)
def test_unwritable_results_are_strategy_errors(result: StrategyResult, message: str) -> None:
    with pytest.raises(StrategyError, match=message):
        _signal(result=result)


def test_a_score_beyond_100_is_clamped_by_the_one_validation() -> None:
    signal = _signal(result=StrategyResult(Action.WAIT, Bias.NONE, 101.0, reason="too keen"))
    assert signal["score"] == signal["total_score"] == 100.0


def test_sanitize_cleans_nested_values() -> None:
    raw = {"a": [np.float32(1.5), np.nan, (np.bool_(True), -math.inf)], 3: {"b": np.int32(7)}}
    assert sanitize(raw) == {"a": [1.5, None, [True, None]], "3": {"b": 7}}
    with pytest.raises(TypeError, match="set"):
        sanitize({"x": {1, 2}})


# -- ordering and status ----------------------------------------------------------------------------


def test_sort_by_score_then_exchange_symbol_strategy() -> None:
    def s(score: float, exchange: str, symbol: str, strategy: str) -> dict[str, Any]:
        return {"score": score, "exchange": exchange, "symbol": symbol, "strategy_name": strategy}

    signals = [
        s(50.0, "MEXC", "BTCUSDT", "Legacy"),
        s(70.0, "OKX", "ETHUSDT", "Breakout"),
        s(50.0, "BYBIT", "ZZZUSDT", "Legacy"),
        s(50.0, "MEXC", "BTCUSDT", "Breakout"),
        s(70.0, "BINANCE", "SOLUSDT", "BreakoutV2"),
        s(50.0, "MEXC", "ADAUSDT", "Legacy"),
    ]
    ordered = [(x["score"], x["exchange"], x["symbol"], x["strategy_name"]) for x in sort_signals(signals)]
    assert ordered == [
        (70.0, "BINANCE", "SOLUSDT", "BreakoutV2"),
        (70.0, "OKX", "ETHUSDT", "Breakout"),
        (50.0, "BYBIT", "ZZZUSDT", "Legacy"),
        (50.0, "MEXC", "ADAUSDT", "Legacy"),
        (50.0, "MEXC", "BTCUSDT", "Breakout"),
        (50.0, "MEXC", "BTCUSDT", "Legacy"),
    ]


@pytest.mark.parametrize(
    ("needing", "degraded", "status"),
    [
        (0, 0, "ok"),  # only neutral markets: nothing to fetch, nothing lacking
        (100, 0, "ok"),
        (100, 1, "degraded"),
        (4, 1, "degraded"),  # exactly a quarter is not more than a quarter
        (100, 25, "degraded"),
        (100, 26, "failed"),
        (7, 2, "failed"),
        (1, 1, "failed"),
    ],
)
def test_run_status_table(needing: int, degraded: int, status: str) -> None:
    assert run_status(needing, degraded) == status


def test_run_status_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        run_status(-1, 0)


# -- the feed and its schema ------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_built_feed_validates_and_has_the_envelope() -> None:
    feed = _feed()
    _validator().validate(feed)
    assert list(feed) == ["schema_version", "last_updated", "run", "signals"]
    assert feed["schema_version"] == 2 and feed["last_updated"] == NOW_MS
    assert tuple(feed["run"]) == RUN_KEYS
    assert feed["run"]["oi_status"] == {"resolved": 0, "aggregated": 1, "neutral": 1}
    assert [s["score"] for s in feed["signals"]] == [72.5, 0.0, 0.0]
    assert [s["symbol"] for s in feed["signals"][1:]] == ["BTCUSDT", "IDOLUSDT"]


def _broken(path: str, value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    feed = copy.deepcopy(_feed())
    *parents, last = path.split(".")
    target: Any = feed
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if delete:
        del target[last]
    else:
        target[last] = value
    return feed


@pytest.mark.parametrize(
    "feed",
    [
        pytest.param(_broken("signals.0.oi_metadata", delete=True), id="missing signal key"),
        pytest.param(_broken("signals.0.meta.stale", delete=True), id="missing meta key"),
        pytest.param(_broken("run.http_429", delete=True), id="missing run key"),
        pytest.param(_broken("signals.0.action", "BUY"), id="bad action"),
        pytest.param(_broken("signals.0.bias", "long"), id="bad bias"),
        pytest.param(_broken("signals.0.strategy_name", "Momentum"), id="bad strategy"),
        pytest.param(_broken("signals.0.oi_metadata.status", "mapped"), id="bad oi status"),
        pytest.param(_broken("run.status", "partial"), id="bad run status"),
        pytest.param(_broken("signals.0.setup.side", "SHORT"), id="setup side against action"),
        pytest.param(_broken("signals.1.entry", 1.0), id="entry on WAIT"),
        pytest.param(_broken("signals.0.meta.strategy_type", "legacy"), id="type against name"),
        pytest.param(_broken("signals.0.price", "0.03"), id="price as string"),
        pytest.param(_broken("signals.0.extra_field", 1), id="unknown signal key"),
        pytest.param(_broken("schema_version", 1), id="schema version"),
        pytest.param(_broken("signals.0.external.provenance.funding_rate.source", "rumour"), id="source"),
        pytest.param(_broken("run.derivatives", delete=True), id="no derivatives block"),
        pytest.param(_broken("signals.0.score", None), id="null score"),
    ],
)
def test_schema_rejects_broken_feeds(feed: dict[str, Any]) -> None:
    assert not _validator().is_valid(feed)


def test_free_form_sections_accept_extra_keys() -> None:
    feed = _broken("signals.0.details.anything", {"nested": [1, None]})
    feed["signals"][0]["htf"]["x"] = 1
    feed["signals"][0]["observability"]["extra"] = {}
    _validator().validate(feed)


def test_nan_smuggled_into_the_feed_is_written_as_null(tmp_path: Path) -> None:
    feed = _feed()
    feed["signals"][0]["details"]["late"] = float("nan")
    feed["signals"][0]["oi_metadata"]["z_score"] = np.float64("inf")
    feed["signals"][0]["price"] = float("-inf")
    path = tmp_path / "master_feed.json"
    write_feed(path, feed)
    raw = path.read_bytes()
    for token in (b"NaN", b"Infinity"):
        assert token not in raw
    written = orjson.loads(raw)
    _validator().validate(written)
    signal = written["signals"][0]
    assert signal["details"]["late"] is None and signal["oi_metadata"]["z_score"] is None
    assert signal["price"] is None


# -- writing ----------------------------------------------------------------------------------------


def test_write_feed_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "out" / "master_feed.json"
    feed = _feed()
    write_feed(path, feed)
    assert orjson.loads(path.read_bytes()) == feed
    assert [p.name for p in path.parent.iterdir()] == ["master_feed.json"]


class _Crash(Exception):
    pass


@pytest.mark.parametrize("moment", ["before_replace", "after_replace"])
def test_crash_leaves_old_or_new_feed(tmp_path: Path, moment: str) -> None:
    path = tmp_path / "feed" / "master_feed.json"
    old_feed = _feed()
    write_feed(path, old_feed)
    old_bytes = path.read_bytes()
    new_feed = _feed([_signal("Breakout", _wait("fresh"))])

    def crash(when: str, target: Path) -> None:
        if when == moment:
            raise _Crash(when)

    set_crash_hook(crash)
    try:
        with pytest.raises(_Crash):
            write_feed(path, new_feed)
    finally:
        set_crash_hook(None)
    raw = path.read_bytes()
    if moment == "before_replace":
        assert raw == old_bytes
    else:
        assert orjson.loads(raw) == new_feed
        _validator().validate(orjson.loads(raw))
    assert [p.name for p in path.parent.iterdir()] == ["master_feed.json"]  # no temp file left


def test_unwritable_target_is_a_feed_write_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("I am a file")
    target = blocker / "master_feed.json"
    with pytest.raises(FeedWriteError, match="not_a_dir") as caught:
        write_feed(target, _feed())
    assert isinstance(caught.value.__cause__, OSError)
    assert blocker.read_text() == "I am a file"


def test_invalid_feed_is_refused_and_previous_kept(tmp_path: Path) -> None:
    path = tmp_path / "master_feed.json"
    write_feed(path, _feed())
    before = path.read_bytes()
    broken = _broken("signals.0.meta", delete=True)
    with pytest.raises(FeedWriteError, match="documented keys"):
        write_feed(path, broken)
    unsorted = _feed()
    unsorted["signals"].reverse()
    with pytest.raises(FeedWriteError, match="sorted"):
        write_feed(path, unsorted)
    assert path.read_bytes() == before
