"""The options that shape the top-signals output (``--top``, ``--min-score``, ``--format``) and the one
function that prints a scan's outcome in the form asked (docs/design.md §16).

``--format table`` draws the summary and the table on stdout; ``json`` and ``csv`` print only the rows
on stdout (so they parse), and the summary goes to stderr. The feed is written whatever the format.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from quantpro.runs.scan import ScanOutcome

__all__ = ["DEFAULT_TOP", "FormatOption", "MinScoreOption", "TopOption", "show_outcome", "stdout_console"]

DEFAULT_TOP = 15
OutputFormat = Literal["table", "json", "csv"]

TopOption = Annotated[
    int, typer.Option("--top", min=1, help="How many actionable signals to show, best first.")
]
MinScoreOption = Annotated[
    float,
    typer.Option("--min-score", min=0.0, max=100.0, help="Show only signals scoring at least this (0-100)."),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        help="How to print the top signals on stdout: table (for people), json or csv (for programs). "
        "The feed is written in every case.",
    ),
]


def stdout_console() -> Console:
    """A console on stdout: the terminal's width and colours, else 160 columns and no colour."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)  # a pipe or a file: don't fold the table
    return console


def show_outcome(
    outcome: ScanOutcome,
    *,
    top: int = DEFAULT_TOP,
    min_score: float = 0.0,
    output_format: OutputFormat = "table",
) -> None:
    """Print ``outcome`` in ``output_format``."""
    from quantpro.cli.console import stderr_console
    from quantpro.cli.rows import rows_csv, rows_json, select_rows
    from quantpro.cli.views import render_outcome, render_summary

    if output_format == "table":
        render_outcome(outcome, stdout_console(), top=top, min_score=min_score)
        return
    render_summary(outcome, stderr_console())
    rows = select_rows(outcome.signals, top=top, min_score=min_score)
    sys.stdout.write(rows_json(rows) if output_format == "json" else rows_csv(rows))
    sys.stdout.flush()
