"""``quantpro scan``: load, fetch derivatives, analyse, write the feed, show the top signals."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quantpro.cli.app import CacheDirOption, app, log, settings_for
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
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Analyse as if now were TIME (ISO 8601 or Unix ms): candles closed by then, stale judged "
            "against it, derivatives from the store as of then; never spends Coinalyze units.",
        ),
    ] = None,
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
    from quantpro.runs.asof import parse_as_of

    as_of_ms = None if as_of is None else parse_as_of(as_of)
    settings = settings_for(
        cache_dir=cache_dir, allow_stale=True if allow_stale else None, derivatives=derivatives
    )
    if as_of_ms is not None:  # the past: the store as it was then, never a request (§13)
        outcome = run_with_progress(
            settings, data_dir, strategy=strategy, output=output, ltf=ltf, htf=htf, as_of_ms=as_of_ms,
            derivatives_at=store_derivatives_at(settings, data_dir),
        )  # fmt: skip
    else:
        outcome = run_with_progress(
            settings, data_dir, strategy=strategy, output=output, ltf=ltf, htf=htf,
            source=exchange_source(settings, data_dir),
        )  # fmt: skip
        if settings.derivatives != "coinalyze":
            note_hot_markets(settings, data_dir, outcome)
    show_summary(outcome, top=top, min_score=min_score, output_format=output_format)
    return outcome.exit_code


def show_summary(outcome: ScanOutcome, **options: Any) -> None:
    """The summary on stdout; a stdout that fails (closed, full) costs the summary, not the exit code:
    the feed is already written (issue 16 §10)."""
    try:
        show_outcome(outcome, **options)
        sys.stdout.flush()
    except OSError as exc:
        with contextlib.suppress(OSError, ValueError):  # the interpreter's last flush must not fail again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        log.warning(
            "could not print the summary (%s); the feed was written to %s",
            exc.strerror or exc,
            outcome.feed_path,
        )


def store_derivatives_at(settings: Settings, data_dir: Path) -> Any:
    """What the §11 store held at a past moment (the neutral rule where there is no store)."""
    from quantpro.runs.asof import derivatives_at_for

    return derivatives_at_for(settings, data_dir)


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
