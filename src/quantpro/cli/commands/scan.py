"""``quantpro scan``: load, fetch derivatives, analyse, write the feed, show the top signals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quantpro.cli.app import CacheDirOption, app, settings_for
from quantpro.cli.table_options import DEFAULT_TOP, FormatOption, MinScoreOption, TopOption, show_outcome

if TYPE_CHECKING:
    from quantpro.runs.scan import ScanOutcome
    from quantpro.settings import Settings


@app.command()
def scan(
    data_dir: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Directory of candle files.")
    ],
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy",
            help="`all` or a comma-separated list of strategy names, any case (an unknown name lists them).",
        ),
    ] = "all",
    output: Annotated[
        Path | None,
        typer.Option("--output", dir_okay=False, help="Feed path (default DATA_DIR/master_feed.json)."),
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
    top: TopOption = DEFAULT_TOP,
    min_score: MinScoreOption = 0.0,
    output_format: FormatOption = "table",
    derivatives: Annotated[
        str | None,
        typer.Option(
            "--derivatives",
            help="Where OI and funding come from: `auto` (the store, after a snapshot when the current "
            "15-minute bucket is missing), `store` (no network for derivatives) or `coinalyze` "
            "(part one); default QUANTPRO_DERIVATIVES (auto).",
        ),
    ] = None,
) -> int:
    """Load every market in DATA_DIR, fetch its derivatives data, run the strategies, write the feed.

    The feed goes to DATA_DIR/master_feed.json unless --output says otherwise; a summary and the top
    signals go to stdout, the log to stderr. Markets whose candles are stale get WAIT and no
    derivatives; more than half stale is exit 4.
    """
    settings = settings_for(
        cache_dir=cache_dir, allow_stale=True if allow_stale else None, derivatives=derivatives
    )
    outcome = run_with_progress(
        settings,
        data_dir,
        strategy=strategy,
        output=output,
        ltf=ltf,
        htf=htf,
        source=exchange_source(settings, data_dir),
    )
    if settings.derivatives != "coinalyze":
        note_hot_markets(settings, data_dir, outcome)
    show_outcome(outcome, top=top, min_score=min_score, output_format=output_format)
    return outcome.exit_code


def exchange_source(settings: Settings, data_dir: Path) -> Any:
    """The §11 source for the settings' mode (None: Coinalyze, part one)."""
    from quantpro.clock import SystemClock
    from quantpro.runs.derivatives_mode import derivatives_source

    return derivatives_source(settings, data_dir, clock=SystemClock())


def note_hot_markets(settings: Settings, data_dir: Path, outcome: ScanOutcome) -> None:
    """Tell the §11 planner which Coinalyze symbols this scan found hot (tier A)."""
    from quantpro.clock import SystemClock
    from quantpro.runs.derivatives_mode import note_scan

    note_scan(settings, data_dir, outcome.signals, clock=SystemClock())


def run_with_progress(settings: Settings, data_dir: Path, **options: Any) -> ScanOutcome:
    """Run a scan with a progress display on stderr."""
    from quantpro.cli.console import stderr_console
    from quantpro.cli.views import ApiProgress
    from quantpro.runs.scan import run_scan

    progress = ApiProgress(stderr_console(), settings.rate_limit_calls, settings.rate_limit_period)
    with progress.running():
        return run_scan(settings, data_dir, progress=progress, **options)


def scan_and_render(settings: Settings, data_dir: Path, **options: Any) -> int:
    """Run a scan with a progress display on stderr and the results (the default table) on stdout."""
    outcome = run_with_progress(settings, data_dir, **options)
    show_outcome(outcome)
    return outcome.exit_code
