"""Making values JSON-ready: the one converter used by the strategy wrapper and the feed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import Enum
from typing import Any

import numpy as np


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of ``value``: non-finite floats → ``None``, numpy scalars and arrays →
    Python, enums → their value, tuples → lists, mapping keys → ``str``.

    Anything else that JSON cannot hold raises ``TypeError`` naming its type, so a strategy that puts
    an object in its details fails loudly instead of writing something unreadable.
    """
    if value is None or isinstance(value, str | bool):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, float):  # numpy's float64 too: it subclasses float
        return float(value) if math.isfinite(value) else None
    if isinstance(value, int):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Mapping):
        return {str(k.value if isinstance(k, Enum) else k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic | np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, Enum):
        return jsonable(value.value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable: {value!r}")
