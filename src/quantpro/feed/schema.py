"""The feed's JSON Schema: a packaged base for everything every signal shares, and the per-strategy
parts generated from the strategy registry, so a fourth strategy touches one place (its class).

Per registered strategy the schema gets its name in the ``strategy_name``/``strategy`` enums, its
``meta.strategy_type`` and one ``if strategy_name = X then strategy = X and strategy_type = x`` rule.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import orjson

from quantpro.strategies import STRATEGIES, Strategy

__all__ = ["BASE_SCHEMA_RESOURCE", "build_schema", "load_schema"]

BASE_SCHEMA_RESOURCE = "schemas/master_feed.base.schema.json"


@cache
def _base() -> dict[str, Any]:
    raw = resources.files("quantpro.feed").joinpath(BASE_SCHEMA_RESOURCE).read_bytes()
    schema: dict[str, Any] = orjson.loads(raw)
    return schema


def _strategy_rule(name: str, strategy_type: str) -> dict[str, Any]:
    return {
        "if": {"properties": {"strategy_name": {"const": name}}},
        "then": {
            "properties": {
                "strategy": {"const": name},
                "meta": {"properties": {"strategy_type": {"const": strategy_type}}},
            }
        },
    }


def build_schema(strategies: Mapping[str, type[Strategy]]) -> dict[str, Any]:
    """The whole feed schema (draft 2020-12) for these strategies."""
    schema = copy.deepcopy(_base())
    signal = schema["$defs"]["signal"]
    names = list(strategies)
    types = [cls.strategy_type for cls in strategies.values()]
    signal["properties"]["strategy_name"] = {"enum": names}
    signal["properties"]["strategy"] = {"enum": names}
    signal["properties"]["meta"]["properties"]["strategy_type"] = {"enum": types}
    signal["allOf"].extend(_strategy_rule(name, cls.strategy_type) for name, cls in strategies.items())
    return schema


def load_schema() -> dict[str, Any]:
    """The feed's JSON Schema for the registered strategies."""
    return build_schema(STRATEGIES)
