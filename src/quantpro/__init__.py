"""QuantPro: a market scanner for crypto perpetual futures.

The reference design's names are importable from here. They load lazily, so ``quantpro --help``
and the simulator start without importing numpy, pandas or the HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "get_resolver": "quantpro.sources.coinalyze.resolver",
    "CoinalyzeResolver": "quantpro.sources.coinalyze.resolver",
    "get_batch_client": "quantpro.sources.coinalyze.client",
    "CoinalyzeBatchClient": "quantpro.sources.coinalyze.client",
    "get_batch_processor": "quantpro.sources.coinalyze.processor",
    "BatchProcessor": "quantpro.sources.coinalyze.processor",
    "FeatureFactory": "quantpro.analysis.features",
    "SharedContext": "quantpro.analysis.features",
    "analyze_symbol": "quantpro.runs.analyze",
    "Settings": "quantpro.settings",
    "load_settings": "quantpro.settings",
}

__all__ = [
    "BatchProcessor",
    "CoinalyzeBatchClient",
    "CoinalyzeResolver",
    "FeatureFactory",
    "Settings",
    "SharedContext",
    "__version__",
    "analyze_symbol",
    "get_batch_client",
    "get_batch_processor",
    "get_resolver",
    "load_settings",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'quantpro' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
