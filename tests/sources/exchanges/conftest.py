"""Fixtures: the seven venue fakes on one fake clock, settings pointing at them, a store in tmp."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quantpro.clock import FakeClock
from quantpro.settings import Settings, load_settings
from quantpro.simulator.venues import DEFAULT_START_S, RunningFakes, VenueWorld, start_venue_fakes

#: Twenty seconds after a 15-minute boundary: a snapshot now stands for that boundary.
T0 = DEFAULT_START_S + 20


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def world() -> VenueWorld:
    return VenueWorld.default()


@pytest.fixture
def fakes(clock: FakeClock, world: VenueWorld) -> Iterator[RunningFakes]:
    with start_venue_fakes(clock, world=world) as running:
        yield running


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(fakes: RunningFakes, tmp_path: Path) -> Settings:
    return load_settings(exchange_urls=fakes.urls, store_path=tmp_path / "store.sqlite")
