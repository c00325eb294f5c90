"""What ``quantpro download`` shows people: a progress bar per venue and the summary table.

CLI layer only: :mod:`quantpro.cli.app` uses it; the download library reports through
:class:`~quantpro.download.runner.ProgressSink` and never prints.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from quantpro.download.runner import DownloadReport, VenueReport
from quantpro.venues.table import Venue


class DownloadProgress:
    """One rich progress bar per venue (files done of files planned), on the stderr console."""

    def __init__(self, console: Console, venues: list[Venue]) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files {task.fields[state]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._lock = threading.Lock()
        self._tasks: dict[Venue, TaskID] = {
            v: self._progress.add_task(v.value, total=None, state="loading markets") for v in venues
        }

    @contextmanager
    def running(self) -> Iterator[DownloadProgress]:
        with self._progress:
            yield self

    def start(self, venue: Venue, total: int) -> None:
        with self._lock:
            self._progress.update(self._tasks[venue], total=total, state="")

    def advance(self, venue: Venue) -> None:
        with self._lock:
            self._progress.advance(self._tasks[venue])

    def finish(self, venue: Venue, report: VenueReport) -> None:
        state = "FAILED" if report.failed else f"{len(report.failures)} failed" if report.failures else "done"
        with self._lock:
            task = self._tasks[venue]
            if report.failed:
                self._progress.update(task, total=1, completed=0, state=state)
            else:
                self._progress.update(task, state=state)


def summary_table(report: DownloadReport) -> Table:
    """Per venue: markets, files written, candles added, requests, failures."""
    table = Table(title="Download summary", title_justify="left")
    for column in ("exchange", "markets", "files written", "candles added", "requests", "failures"):
        table.add_column(column, justify="left" if column in {"exchange", "failures"} else "right")
    for venue in report.venues:
        table.add_row(
            venue.venue.value,
            str(venue.markets),
            str(venue.files_written),
            str(venue.candles_added),
            f"{venue.requests} ({venue.retries} retried)" if venue.retries else str(venue.requests),
            _failures(venue),
        )
    return table


def _failures(venue: VenueReport) -> str:
    if venue.error is not None:
        return f"venue failed: {venue.error[:160]}"
    parts = (
        [f"{len(venue.failures)} files: {'; '.join(f[:80] for f in venue.failures[:3])}"]
        if venue.failures
        else []
    )
    if venue.unmatched:
        parts.append(f"not listed: {', '.join(venue.unmatched)}")
    return " · ".join(parts) or "-"
