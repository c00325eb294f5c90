"""The reference design's Python API from the package top (docs/design.md §2), and ``analyze_symbol``."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest

import quantpro
from quantpro.clock import FakeClock
from quantpro.demo.universe import generate_demo_universe

REFERENCE_NAMES = (
    "get_resolver",
    "get_batch_client",
    "get_batch_processor",
    "CoinalyzeResolver",
    "CoinalyzeBatchClient",
    "BatchProcessor",
    "FeatureFactory",
    "SharedContext",
    "analyze_symbol",
)
NOW_S = 1_768_842_349.064
LTF_MS = 900_000


def test_reference_imports() -> None:
    from quantpro import (
        BatchProcessor,
        CoinalyzeBatchClient,
        CoinalyzeResolver,
        FeatureFactory,
        SharedContext,
        analyze_symbol,
        get_batch_client,
        get_batch_processor,
        get_resolver,
    )

    imported: list[Any] = [get_resolver, get_batch_client, get_batch_processor, CoinalyzeResolver]
    imported += [CoinalyzeBatchClient, BatchProcessor, FeatureFactory, SharedContext, analyze_symbol]
    assert [obj.__name__ for obj in imported] == list(REFERENCE_NAMES)


def test_exported_members() -> None:
    """httpx's test: ``__all__`` is exactly what the package exports, and every name resolves."""
    assert set(REFERENCE_NAMES) <= set(quantpro.__all__)
    assert len(quantpro.__all__) == len(set(quantpro.__all__))
    for name in quantpro.__all__:
        assert getattr(quantpro, name) is not None, name
    assert set(quantpro.__all__) <= set(dir(quantpro))
    # After resolving everything, every public name of ours at the top is in __all__ (submodules and
    # imported helpers such as typing.Any aside).
    ours = {
        name
        for name, value in vars(quantpro).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and str(getattr(value, "__module__", "")).startswith("quantpro")
    }
    assert ours == set(quantpro.__all__) - {"__version__"}
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        quantpro.nope  # noqa: B018


def _frame(path: Path) -> pd.DataFrame:
    return pd.DataFrame(orjson.loads(path.read_bytes()))


def test_analyze_symbol_with_and_without_external_data(tmp_path: Path) -> None:
    from quantpro import FeatureFactory, analyze_symbol, get_batch_processor
    from quantpro.runs.analyze import get_feature_factory
    from quantpro.settings import load_settings
    from quantpro.simulator import SimulatorConfig, start_simulator

    data = tmp_path / "data"
    generate_demo_universe(data, 1, now_ms=int(NOW_S * 1000))  # BINANCE BTCUSDT
    df_ltf, df_htf = _frame(data / "BINANCE_BTCUSDT_15m.json"), _frame(data / "BINANCE_BTCUSDT_4h.json")
    last_closed = int(NOW_S * 1000) // LTF_MS * LTF_MS - LTF_MS
    clock = FakeClock(start=NOW_S)
    with start_simulator(SimulatorConfig(calls=400, period=10.0), clock=clock) as sim:
        settings = load_settings(
            api_key="e2e-api-key", base_url=sim.base_url, rate_limit_calls=400, rate_limit_period=10.0,
            cache_dir=tmp_path / "cache",
        )  # fmt: skip
        processor = get_batch_processor(settings, clock=clock)
        batch = processor.process_symbols([("BTCUSDT", "BINANCE")])
        external = processor.get_data_for_symbol("BTCUSDT", "BINANCE", batch)
        requests_before = len(sim.log)

        factory = FeatureFactory(clock=clock)
        given = analyze_symbol("BTCUSDT", "BINANCE", df_ltf, df_htf, "all", factory, external_data=external)
        assert len(sim.log) == requests_before  # the data was given: nothing fetched

        # A cold cache, so the fetch shows in the simulator's log (a warm one would rightly cost nothing).
        cold = settings.model_copy(update={"cache_dir": tmp_path / "cold-cache"})
        fetching = get_feature_factory(cold, clock=clock)
        fetched = analyze_symbol("BTCUSDT", "BINANCE", df_ltf, None, "Legacy,BreakoutV2", fetching)
        fetched_paths = {r.path for r in sim.log[requests_before:]}
        assert {"/open-interest-history", "/funding-rate", "/liquidation-history"} <= fetched_paths

    assert [s["strategy_name"] for s in given] == ["Legacy", "Breakout", "BreakoutV2"]
    assert [s["strategy_name"] for s in fetched] == ["Legacy", "BreakoutV2"]
    for s in given + fetched:
        assert s["oi_metadata"]["status"] == "resolved"
        assert s["oi_metadata"]["coinalyze_symbol"] == "BTCUSDT_PERP.A"
        assert s["oi_metadata"]["value"] is not None
        assert s["calculated_at"] == last_closed  # the DataFrame's forming candle is not used
    assert all(s["meta"]["htf_resampled"] is False for s in given)
    assert all(s["meta"]["htf_resampled"] is True for s in fetched)
