"""``quantpro simulate``: run the Coinalyze simulator until stopped."""

from __future__ import annotations

from typing import Annotated

import typer

from quantpro.cli.app import EXIT_OK, app, log
from quantpro.errors import ConfigError


@app.command()
def simulate(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free port).")
    ] = 8787,
    calls: Annotated[int, typer.Option("--calls", min=1, help="Quota units per window.")] = 40,
    period: Annotated[float, typer.Option("--period", min=0.001, help="Window in seconds.")] = 60.0,
    api_key: Annotated[
        list[str] | None, typer.Option("--api-key", help="Accept only these keys (repeatable).")
    ] = None,
    fault_rate: Annotated[
        float,
        typer.Option("--fault-rate", min=0.0, max=1.0, help="Share of requests answered with a fault (0-1)."),
    ] = 0.0,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the fault and data generator (same seed, same answers).")
    ] = 0,
) -> int:
    """Run the Coinalyze simulator until stopped (Ctrl-C); prints its base URL.

    --api-key (repeatable) restricts the accepted keys; --fault-rate injects faults (5xx, HTML 502,
    slow answers, truncated JSON, 429 without Retry-After, dropped symbols), reproducibly with --seed.
    """
    import threading

    from quantpro.simulator import SimulatorConfig, start_simulator

    config = SimulatorConfig(
        calls=calls, period=period, api_keys=frozenset(api_key or ()), fault_rate=fault_rate, seed=seed
    )
    try:
        running = start_simulator(config, host=host, port=port)
    except OSError as exc:
        raise ConfigError(f"the simulator cannot listen on {host}:{port}: {exc}") from exc
    with running:
        try:
            print(running.base_url, flush=True)
            threading.Event().wait()  # serve until Ctrl-C
        except KeyboardInterrupt:
            log.info("simulator stopped")
    return EXIT_OK
