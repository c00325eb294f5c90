"""Fixtures: the seven venue fakes on one fake clock and the default world, ccxt exchanges and QuantPro
venue clients pointed at them (docs/design.md §11)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from quantpro.clock import FakeClock
from quantpro.simulator.venues import DEFAULT_START_S, RunningFakes, VenueWorld, start_venue_fakes
from quantpro.venues import VENUES, Venue, VenueClient, build_exchange

#: Twenty seconds after a 15-minute boundary: a snapshot now stands for that boundary.
T0 = DEFAULT_START_S + 20
HOUR = 3600.0


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
def exchange(fakes: RunningFakes, clock: FakeClock) -> Callable[[str], Any]:
    """A plain ccxt exchange for a venue, pointed at its fake (no QuantPro code between them)."""

    def make(venue: str) -> Any:
        ex = build_exchange(VENUES[Venue(venue)], base_url=fakes.urls[venue], timeout_s=5)
        ex.milliseconds = lambda: int(clock.now() * 1000)
        return ex

    return make


@pytest.fixture
def client(fakes: RunningFakes, clock: FakeClock) -> Callable[..., VenueClient]:
    """A QuantPro venue client for a venue, pointed at its fake."""

    def make(venue: str, **options: Any) -> VenueClient:
        return VenueClient.connect(
            VENUES[Venue(venue)], clock, base_url=fakes.urls[venue], timeout_s=5, **options
        )

    return make
