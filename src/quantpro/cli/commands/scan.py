"""``quantpro scan``: load, fetch derivatives, analyse, write the feed, show the top signals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quantpro.cli.app import CacheDirOption, app, settings_for

if TYPE_CHECKING:
    from quantpro.settings import Settings


@app.command()
def scan(
    data_dir: Annotated[Path, typer.Argument(help="Directory of candle files.")],
    strategy: Annotated[
        str, typer.Option("--strategy", help="`all` or a comma-separated list of strategy names.")
    ] = "all",
    output: Annotated[
        Path | None, typer.Option("--output", help="Feed path (default DATA_DIR/master_feed.json).")
    ] = None,
    ltf: Annotated[str, typer.Option("--ltf", help="Lower timeframe.")] = "15m",
    htf: Annotated[str, typer.Option("--htf", help="Higher timeframe.")] = "4h",
    cache_dir: CacheDirOption = None,
    allow_stale: Annotated[
        bool,
        typer.Option(
            "--allow-stale",
            help="Analyse and fetch markets whose candles are stale (replays of old data); "
            "default QUANTPRO_ALLOW_STALE.",
        ),
    ] = False,
) -> int:
    """Load every market in DATA_DIR, fetch its derivatives data, run the strategies, write the feed.

    Markets whose candles are stale get WAIT and no derivatives; more than half stale is exit 4.
    """
    settings = settings_for(cache_dir=cache_dir, allow_stale=True if allow_stale else None)
    return scan_and_render(settings, data_dir, strategy=strategy, output=output, ltf=ltf, htf=htf)


def scan_and_render(settings: Settings, data_dir: Path, **options: Any) -> int:
    """Run a scan with a progress display on stderr and the results on stdout."""
    from rich.console import Console

    from quantpro.cli.console import stderr_console
    from quantpro.cli.views import ApiProgress, render_outcome
    from quantpro.runs.scan import run_scan

    progress = ApiProgress(stderr_console(), settings.rate_limit_calls, settings.rate_limit_period)
    with progress.running():
        outcome = run_scan(settings, data_dir, progress=progress, **options)
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)  # a pipe or a file: don't fold the table
    render_outcome(outcome, console)
    return outcome.exit_code
