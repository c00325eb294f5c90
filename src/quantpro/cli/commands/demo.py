"""``quantpro demo``: the embedded default — sample candles, the simulator in-process, a full scan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quantpro.cli.app import DEMO_CALLS, DEMO_KEY, DEMO_PERIOD, app, log, settings_for
from quantpro.cli.commands.scan import scan_and_render


@app.command()
def demo(
    markets: Annotated[
        int, typer.Option("--markets", min=1, max=126, help="How many sample markets (1-126).")
    ] = 40,
    directory: Annotated[
        Path, typer.Option("--dir", file_okay=False, help="Where the sample candles go.")
    ] = Path("quantpro-demo"),
) -> int:
    """Generate sample candles, start the simulator in-process and run a full scan against it.

    DIR must be empty or a previous demo's (which is replaced). The simulator gets 400 units per 10 s
    and the scan a demo key; nothing leaves the machine.
    """
    from quantpro.clock import SystemClock, format_duration, now_ms
    from quantpro.demo.universe import generate_demo_universe
    from quantpro.errors import ConfigError
    from quantpro.simulator import SimulatorConfig, start_simulator

    try:
        written = generate_demo_universe(directory, markets, now_ms=now_ms(SystemClock()))
    except OSError as exc:
        raise ConfigError(f"cannot write the demo into --dir {directory}: {exc.strerror or exc}") from None
    log.info("wrote %d sample markets into %s", len(written), directory)
    config = SimulatorConfig(calls=DEMO_CALLS, period=DEMO_PERIOD, api_keys=frozenset({DEMO_KEY}))
    with start_simulator(config, port=0) as sim:
        log.info(
            "Coinalyze simulator on %s (%d units per %s)",
            sim.base_url,
            DEMO_CALLS,
            format_duration(DEMO_PERIOD),
        )
        settings = settings_for(
            api_key=DEMO_KEY,
            base_url=sim.base_url,
            rate_limit_calls=DEMO_CALLS,
            rate_limit_period=DEMO_PERIOD,
            cache_dir=directory,
        )
        return scan_and_render(settings, directory)
