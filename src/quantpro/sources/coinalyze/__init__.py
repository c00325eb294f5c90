"""The Coinalyze API as a derivatives source: endpoint facts, the catalogue, the resolver, the response
cache, the batch client (one request at a time) and the processor that plans and fetches.

Names load lazily, so importing the resolver or the endpoint facts does not pull in the HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "BatchProcessor": "quantpro.sources.coinalyze.processor",
    "ChunkOutcome": "quantpro.sources.coinalyze.client",
    "CoinalyzeBatchClient": "quantpro.sources.coinalyze.client",
    "CoinalyzeResolver": "quantpro.sources.coinalyze.resolver",
    "CoinalyzeSource": "quantpro.sources.coinalyze.source",
    "DataType": "quantpro.sources.coinalyze.endpoints",
    "error_for_status": "quantpro.sources.coinalyze.responses",
    "get_batch_client": "quantpro.sources.coinalyze.client",
    "get_batch_processor": "quantpro.sources.coinalyze.processor",
    "get_resolver": "quantpro.sources.coinalyze.resolver",
}

__all__ = [
    "BatchProcessor",
    "ChunkOutcome",
    "CoinalyzeBatchClient",
    "CoinalyzeResolver",
    "CoinalyzeSource",
    "DataType",
    "error_for_status",
    "get_batch_client",
    "get_batch_processor",
    "get_resolver",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'quantpro.sources.coinalyze' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
