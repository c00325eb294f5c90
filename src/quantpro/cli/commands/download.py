"""``quantpro download``: candles from the venues' public APIs through ccxt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quantpro.cli.app import EXIT_NO_FEED, EXIT_OK, app, settings_for


@app.command()
def download(
    data_dir: Annotated[
        Path,
        typer.Argument(file_okay=False, help="Directory to fill with candle files (created if missing)."),
    ],
    exchange: Annotated[
        str, typer.Option("--exchange", help="Comma-separated venues (see quantpro list-exchanges).")
    ] = "BINANCE,BYBIT,OKX,BITGET,MEXC,KUCOIN,HYPERLIQUID",
    top: Annotated[
        int | None,
        typer.Option("--top", min=1, help="Only the N largest markets of each venue by 24 h quote volume."),
    ] = None,
    symbols: Annotated[
        str | None,
        typer.Option("--symbols", help="Only these comma-separated local symbols (e.g. BTCUSDT,ETHUSDT)."),
    ] = None,
    ltf: Annotated[str, typer.Option("--ltf", help="Lower timeframe to download.")] = "15m",
    htf: Annotated[str, typer.Option("--htf", help="Higher timeframe to download.")] = "4h",
    candles: Annotated[
        int, typer.Option("--candles", min=50, help="Candles to keep per file (at least 50).")
    ] = 500,
) -> int:
    """Download candles from the exchanges' public APIs (through ccxt) into DATA_DIR.

    Incremental (a second run fetches only the new candles) and atomic (an interrupted run leaves every
    file whole).
    """
    from rich.console import Console

    from quantpro.cli.console import stderr_console
    from quantpro.cli.download_views import DownloadProgress, summary_table
    from quantpro.clock import SystemClock
    from quantpro.download import DownloadRequest
    from quantpro.download import download as run_download
    from quantpro.venues import parse_venues, venue_urls

    settings = settings_for()
    venues = parse_venues(exchange)
    wanted = [s.strip() for s in symbols.split(",") if s.strip()] if symbols else None
    request = DownloadRequest(
        data_dir=data_dir,
        venues=venues,
        timeframes=tuple(dict.fromkeys((ltf, htf))),
        candles=candles,
        top=top,
        symbols=wanted,
        url_overrides=venue_urls(settings),
        timeout_s=settings.http_timeout,
        pacing_dir=settings.cache_path(data_dir),
    )
    request.validate()
    progress = DownloadProgress(stderr_console(), venues)
    with progress.running():
        report = run_download(request, SystemClock(), progress=progress)
    Console(highlight=False, soft_wrap=True).print(summary_table(report))
    return EXIT_NO_FEED if report.all_failed else EXIT_OK
