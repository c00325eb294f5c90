"""End-to-end fixtures: the simulator on loopback, scans in-process, the feed schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from quantpro.feed import load_schema


@pytest.fixture(scope="session")
def feed_validator() -> Draft202012Validator:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.fixture
def cli_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A simulator on the real clock (the CLI's SystemClock) with the demo's quota, and the
    environment pointing the CLI at it."""
    from quantpro.simulator import SimulatorConfig, start_simulator

    key = "e2e-cli-key"
    with start_simulator(SimulatorConfig(calls=400, period=10.0, api_keys=frozenset({key}))) as sim:
        monkeypatch.setenv("COINALYZE_API_KEY", key)
        monkeypatch.setenv("COINALYZE_BASE_URL", sim.base_url)
        monkeypatch.setenv("QUANTPRO_RATE_LIMIT_CALLS", "400")
        monkeypatch.setenv("QUANTPRO_RATE_LIMIT_PERIOD", "10")
        yield sim


def validate(validator: Draft202012Validator, feed: Any) -> None:
    errors = sorted(validator.iter_errors(feed), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def read_feed(path: Path) -> dict[str, Any]:
    from .expect import strict_json

    feed: dict[str, Any] = strict_json(path.read_bytes())
    return feed
