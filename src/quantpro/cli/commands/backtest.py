"""``quantpro backtest``: replay the strategies over the candle files and report what they were worth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quantpro.cli.app import EXIT_OK, app, settings_for


@app.command()
def backtest(
    data_dir: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Directory of candle files.")
    ],
    strategy: Annotated[
        str, typer.Option("--strategy", help="`all` or a comma-separated list of strategy names.")
    ] = "all",
    from_date: Annotated[
        str | None,
        typer.Option("--from", help="First cut at or after DATE (ISO 8601 or Unix ms); default the start."),
    ] = None,
    to_date: Annotated[
        str | None,
        typer.Option(
            "--to", help="Last cut at or before DATE (ISO 8601 or Unix ms); default the newest candle."
        ),
    ] = None,
    every: Annotated[
        str | None, typer.Option("--every", help="Cut every DURATION (15m, 1h, 4h); default each LTF close.")
    ] = None,
    horizon: Annotated[
        str, typer.Option("--horizon", help="Close a trade still open after DURATION at that close.")
    ] = "72h",
    fee_pct: Annotated[
        float | None,
        typer.Option(
            "--fee-pct", min=0.0, max=5.0, help="Fee per side in percent; default QUANTPRO_FEE_PCT."
        ),
    ] = None,
    min_score: Annotated[
        float, typer.Option("--min-score", min=0.0, max=100.0, help="Trade plans scoring at least this.")
    ] = 70.0,
    output: Annotated[
        Path | None,
        typer.Option("--output", dir_okay=False, help="JSON report (default DATA_DIR/backtest.json)."),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", dir_okay=False, help="Also write a self-contained HTML page.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Processes to spread markets over; default all cores."),
    ] = None,
    ltf: Annotated[str, typer.Option("--ltf", help="Lower timeframe.")] = "15m",
    htf: Annotated[str, typer.Option("--htf", help="Higher timeframe.")] = "4h",
) -> int:
    """Replay every market at each cut with only the candles closed by then — exactly what
    `scan --as-of` would have said — trade the plans and report whether they worked.

    Fills at the next LTF open, first touch, both in one candle → the stop, fees on both sides, one
    trade at a time per market and strategy. Every plan is evaluated by score bucket, below the
    threshold too; intervals are clustered by day.
    """
    from rich.console import Console

    from quantpro.cli.backtest_views import backtest_tables
    from quantpro.cli.console import stderr_console
    from quantpro.runs.asof import derivatives_at_for, parse_as_of
    from quantpro.runs.backtest.html import render_html
    from quantpro.runs.backtest.report import report_document, write_report
    from quantpro.runs.backtest.run import BacktestRequest, parse_duration, run_backtest
    from quantpro.store.atomic import atomic_write_bytes
    from quantpro.store.layout import BACKTEST_JSON

    settings = settings_for()
    request = BacktestRequest(
        data_dir=data_dir,
        strategy=strategy,
        from_ms=None if from_date is None else parse_as_of(from_date, "--from"),
        to_ms=None if to_date is None else parse_as_of(to_date, "--to"),
        every_ms=None if every is None else parse_duration(every),
        horizon_ms=parse_duration(horizon),
        fee_pct=fee_pct,
        min_score=min_score,
        workers=workers,
        ltf=ltf,
        htf=htf,
    )
    with stderr_console().status("Backtesting…"):
        result = run_backtest(settings, request, derivatives=derivatives_at_for(settings, data_dir))
    document = report_document(result)
    path = output or data_dir / BACKTEST_JSON
    document["params"].update(output=str(path), html=None if html is None else str(html))
    write_report(path, document)
    if html is not None:
        atomic_write_bytes(html, render_html(document).encode())
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=True, width=140)  # a file or pipe: the whole table
    for item in backtest_tables(document):
        console.print(item)
    console.print(f"Report: {path}" + (f"; page: {html}" if html else ""))
    return EXIT_OK
