"""``quantpro demo``: the embedded default — sample candles, the simulator in-process, a full scan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quantpro.cli.app import DEMO_CALLS, DEMO_KEY, DEMO_PERIOD, app, log, settings_for
from quantpro.cli.commands.scan import exchange_source, scan_and_render

DEMO_STORE = "quantpro.sqlite"


@app.command()
def demo(
    markets: Annotated[
        int, typer.Option("--markets", min=1, max=126, help="How many sample markets (1-126).")
    ] = 40,
    directory: Annotated[
        Path, typer.Option("--dir", file_okay=False, help="Where the sample candles go.")
    ] = Path("quantpro-demo"),
) -> int:
    """Generate sample candles, start the simulator and the seven venue fakes in-process, take a
    snapshot into the store and run a full scan: venue-sourced OI and funding, all simulated.

    DIR must be empty or a previous demo's (which is replaced). The simulator gets 400 units per 10 s
    and the scan a demo key; nothing leaves the machine.
    """
    from quantpro.clock import SystemClock, format_duration, now_ms
    from quantpro.demo.universe import generate_demo_universe
    from quantpro.errors import ConfigError
    from quantpro.simulator import SimulatorConfig, start_simulator
    from quantpro.simulator.venues import start_venue_fakes, world_for

    try:
        written = generate_demo_universe(directory, markets, now_ms=now_ms(SystemClock()))
    except OSError as exc:
        raise ConfigError(f"cannot write the demo into --dir {directory}: {exc.strerror or exc}") from None
    log.info("wrote %d sample markets into %s", len(written), directory)
    config = SimulatorConfig(calls=DEMO_CALLS, period=DEMO_PERIOD, api_keys=frozenset({DEMO_KEY}))
    world = world_for((key.exchange, key.symbol) for key in written)
    with start_simulator(config, port=0) as sim, start_venue_fakes(SystemClock(), world=world) as fakes:
        log.info(
            "Coinalyze simulator on %s (%d units per %s); venue fakes for %s (simulated data)",
            sim.base_url,
            DEMO_CALLS,
            format_duration(DEMO_PERIOD),
            ", ".join(fakes.urls),
        )
        settings = settings_for(
            api_key=DEMO_KEY,
            base_url=sim.base_url,
            rate_limit_calls=DEMO_CALLS,
            rate_limit_period=DEMO_PERIOD,
            cache_dir=directory,
            exchange_urls=fakes.urls,
            derivatives="auto",
            store_path=directory / DEMO_STORE,
            # the demo starts at any moment of a bucket: its first sample stands for that bucket
            snapshot_max_lag_s=899.0,
        )
        return scan_and_render(settings, directory, source=exchange_source(settings, directory))
