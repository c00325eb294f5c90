"""``quantpro download``: candles from the venues' public APIs through ccxt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quantpro.cli.app import EXIT_NO_FEED, EXIT_OK, app, settings_for


@app.command()
def download(
    data_dir: Annotated[Path, typer.Argument(help="Directory to fill with candle files.")],
    exchange: Annotated[
        str, typer.Option("--exchange", help="Comma-separated venues.")
    ] = "BINANCE,BYBIT,OKX,BITGET,MEXC,KUCOIN,HYPERLIQUID",
    top: Annotated[int | None, typer.Option("--top", min=1, help="N largest by 24 h quote volume.")] = None,
    symbols: Annotated[str | None, typer.Option("--symbols", help="Comma-separated symbols.")] = None,
    ltf: Annotated[str, typer.Option("--ltf")] = "15m",
    htf: Annotated[str, typer.Option("--htf")] = "4h",
    candles: Annotated[int, typer.Option("--candles", min=50)] = 500,
) -> int:
    """Download candles from the exchanges' public APIs (through ccxt) into DATA_DIR."""
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
