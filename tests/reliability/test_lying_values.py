"""Issue 16 §4: one out-of-range value in an answer never kills the scan. A server that lies about one
point (a timestamp of 1e20, a negative open interest, a ratio of 1e300) has that point dropped with a
logged reason; the market keeps the rest of its data and the scan writes a valid feed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quantpro.clock import FakeClock
from quantpro.simulator import RunningSimulator

from .conftest import assert_valid_feed, scan
from .hostile import hostile_api, tampered


def _poison(field: str, value: float) -> Any:
    def change(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in body:
            if item.get("history"):
                item["history"][0][field] = value
        return body

    return change


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("/open-interest-history", "t", 1e20),
        ("/open-interest-history", "c", -5.0),
        ("/long-short-ratio-history", "r", 1e300),
        ("/liquidation-history", "l", -1.0),
    ],
)
def test_a_lying_point_is_dropped_with_a_reason_never_the_scan(
    path: str,
    field: str,
    value: float,
    sim: RunningSimulator,
    data_dir: Path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with hostile_api(sim.base_url, {path: tampered(_poison(field, value))}) as (url, seen):
        outcome = scan(sim, data_dir, clock, base_url=url)
    assert path in seen
    assert outcome.exit_code == 0 and outcome.run.status == "ok"
    assert outcome.run.degraded_markets == 0
    assert outcome.run.retries == 0  # the rest of the answer was good: nothing to re-send
    assert_valid_feed(data_dir / "master_feed.json")
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped and all(f"{value!r}" in m or f"{field}=" in m for m in dropped), dropped


def test_a_lying_funding_rate_is_dropped(
    sim: RunningSimulator, data_dir: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def change(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in body:
            item["value"] = -1e300
        return body

    with hostile_api(sim.base_url, {"/funding-rate": tampered(change)}) as (url, _):
        outcome = scan(sim, data_dir, clock, base_url=url)
    assert outcome.exit_code in (0, 3)
    assert_valid_feed(data_dir / "master_feed.json")
    assert any("dropped funding value" in r.getMessage() for r in caplog.records)
