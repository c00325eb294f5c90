"""Start the venue fakes together: every venue on its own loopback port, one clock, one world."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from quantpro.simulator.clock import SimClock
from quantpro.simulator.venues.base import FakeVenue
from quantpro.simulator.venues.binance import FakeBinance
from quantpro.simulator.venues.bitget import FakeBitget
from quantpro.simulator.venues.bybit import FakeBybit
from quantpro.simulator.venues.hyperliquid import FakeHyperliquid
from quantpro.simulator.venues.kucoin import FakeKuCoin
from quantpro.simulator.venues.mexc import FakeMEXC
from quantpro.simulator.venues.okx import FakeOKX
from quantpro.simulator.venues.world import ALL, VenueWorld

__all__ = ["FAKES", "RunningFakes", "start_venue_fakes"]

FAKES: dict[str, type[FakeVenue]] = {
    fake.name: fake
    for fake in (FakeBinance, FakeBybit, FakeOKX, FakeBitget, FakeMEXC, FakeKuCoin, FakeHyperliquid)
}


@dataclass
class RunningFakes:
    """The running fakes: ``urls[venue]`` is what ``QUANTPRO_EXCHANGE_URL_<VENUE>`` should say."""

    world: VenueWorld
    fakes: dict[str, FakeVenue]

    @property
    def urls(self) -> dict[str, str]:
        return {name: fake.url for name, fake in self.fakes.items()}

    def __getitem__(self, venue: str) -> FakeVenue:
        return self.fakes[venue]


@contextmanager
def start_venue_fakes(
    clock: SimClock, *, world: VenueWorld | None = None, venues: Iterable[str] = ALL
) -> Iterator[RunningFakes]:
    """Every venue fake in ``venues`` on its own loopback port, sharing ``clock`` and ``world``
    (default: :meth:`VenueWorld.default`). Stopped when the block ends."""
    chosen = world if world is not None else VenueWorld.default()
    names = [v.upper() for v in venues]
    unknown = [v for v in names if v not in FAKES]
    if unknown:
        raise ValueError(f"no fake for {unknown}; the fakes are {', '.join(FAKES)}")
    with ExitStack() as stack:
        fakes: dict[str, FakeVenue] = {}
        for name in names:
            fake = FAKES[name](clock, chosen)
            stack.enter_context(fake.running())
            fakes[name] = fake
        yield RunningFakes(chosen, fakes)
