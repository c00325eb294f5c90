"""``quantpro watch``: download, scan, remember, tell — at every slot, all day (docs/design.md §14)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quantpro.cli.app import CacheDirOption, app, settings_for

_ALL_VENUES = "BINANCE,BYBIT,OKX,BITGET,MEXC,KUCOIN,HYPERLIQUID"


@app.command()
def watch(
    data_dir: Annotated[
        Path,
        typer.Argument(
            file_okay=False, help="Directory of candle files (created if missing, unless --no-download)."
        ),
    ],
    every: Annotated[
        str,
        typer.Option(
            "--every", help="Cycle length, UTC-aligned: any duration of at least 5s (15m, 1h, 30s)."
        ),
    ] = "15m",
    delay: Annotated[
        str | None,
        typer.Option(
            "--delay",
            help="How long after each slot the cycle starts, for the candle to close (default 20s, "
            "or a quarter of --every when that is shorter).",
        ),
    ] = None,
    cycles: Annotated[
        int | None, typer.Option("--cycles", min=1, help="Stop after N cycles (default: run until stopped).")
    ] = None,
    no_download: Annotated[
        bool, typer.Option("--no-download", help="Do not download candles; scan what DATA_DIR holds.")
    ] = False,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=1,
            help="Download and scan only the N largest markets of each venue by 24 h volume.",
        ),
    ] = None,
    symbols: Annotated[
        str | None,
        typer.Option("--symbols", help="Download and scan only these comma-separated local symbols."),
    ] = None,
    exchange: Annotated[
        str,
        typer.Option(
            "--exchange",
            help="Comma-separated venues: downloaded, snapshotted, scanned and alerted on; no other.",
        ),
    ] = _ALL_VENUES,
    strategy: Annotated[
        str, typer.Option("--strategy", help="`all` or a comma-separated list of strategy names.")
    ] = "all",
    ltf: Annotated[str, typer.Option("--ltf", help="Lower timeframe.")] = "15m",
    htf: Annotated[str, typer.Option("--htf", help="Higher timeframe.")] = "4h",
    derivatives: Annotated[
        str | None,
        typer.Option(
            "--derivatives",
            help="auto, store or coinalyze (QUANTPRO_DERIVATIVES); under coinalyze a refused key "
            "stops the watch.",
        ),
    ] = None,
    cache_dir: CacheDirOption = None,
) -> int:
    """Run the scanner all day: at each multiple of --every (UTC) plus --delay, download new candles,
    scan, write the feed, record the run, compute the changes, send alerts, write watch_status.json.

    One watcher per DATA_DIR (a second exits 2 naming the pid). SIGTERM exits 0 and Ctrl-C 130, after
    the current write. A failing venue, Coinalyze or alert channel never stops the loop.
    """
    from quantpro.clock import SystemClock
    from quantpro.runs.schedule import parse_duration
    from quantpro.runs.watch import run_watch, validate_request
    from quantpro.runs.watch_phases import AlertsPhase, WatchRequest, default_phases
    from quantpro.venues import parse_venues

    settings = settings_for(cache_dir=cache_dir, derivatives=derivatives)
    wanted = [s.strip() for s in symbols.split(",") if s.strip()] if symbols else None
    every_s = parse_duration(every, what="--every")
    request = WatchRequest(
        data_dir=data_dir,
        every_s=every_s,
        delay_s=parse_duration(delay, what="--delay") if delay is not None else min(20.0, every_s / 4),
        cycles=cycles,
        download=not no_download,
        top=top,
        symbols=wanted,
        exchanges=tuple(parse_venues(exchange)),
        strategy=strategy,
        ltf=ltf,
        htf=htf,
    )
    validate_request(request)
    settings.api_key_value()  # the scan needs it: checked at start, exit 2
    phases = default_phases(request, settings, alerts=AlertsPhase.from_settings(settings))
    return run_watch(settings, request, phases, SystemClock())
