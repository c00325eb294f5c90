"""A faithful fake of the Coinalyze REST API v1, served over loopback (docs/design.md §9).

It imports nothing from the rest of QuantPro, so a wrong assumption in the client cannot be mirrored
into the fake: both are checked against ``docs/coinalyze_api.md``.
:mod:`quantpro.simulator.venues` holds the seven venues' fakes under the same rule (docs/venues.md).

    with start_simulator(SimulatorConfig(calls=40, period=60.0), clock=clock) as sim:
        httpx.get(f"{sim.base_url}/exchanges", headers={"api_key": "k"})
"""

from __future__ import annotations

from quantpro.simulator.app import Request, RequestRecord, Response, Simulator, SimulatorConfig
from quantpro.simulator.catalogue import Catalogue, MarketSpec, build_catalogue, coins_nowhere
from quantpro.simulator.clock import RealClock, SimClock
from quantpro.simulator.faults import Fault
from quantpro.simulator.market_data import INTERVALS
from quantpro.simulator.server import RunningSimulator, start_simulator

__all__ = [
    "INTERVALS",
    "Catalogue",
    "Fault",
    "MarketSpec",
    "RealClock",
    "Request",
    "RequestRecord",
    "Response",
    "RunningSimulator",
    "SimClock",
    "Simulator",
    "SimulatorConfig",
    "build_catalogue",
    "coins_nowhere",
    "start_simulator",
]
