"""The Coinalyze API: endpoint facts, the batch client and the resolver — the only code that speaks to it.

Names load lazily, so importing the resolver or the endpoint facts does not pull in the HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "ChunkOutcome": "quantpro.coinalyze.client",
    "ClientStats": "quantpro.coinalyze.client",
    "CoinalyzeBatchClient": "quantpro.coinalyze.client",
    "error_for_status": "quantpro.coinalyze.client",
    "get_batch_client": "quantpro.coinalyze.client",
    "DataType": "quantpro.coinalyze.endpoints",
}

__all__ = [
    "ChunkOutcome",
    "ClientStats",
    "CoinalyzeBatchClient",
    "DataType",
    "error_for_status",
    "get_batch_client",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'quantpro.coinalyze' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
