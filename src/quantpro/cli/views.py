"""What the command line shows people: the API-phase progress with its ETA, the scan's summary, the
top-signals table and, when nothing is actionable, the nearest misses (docs/design.md §16).

CLI layer only: library code reports progress through callbacks and never prints. The table's rows
come from :mod:`quantpro.cli.rows`; here they are drawn, dropping the least needed columns until the
table fits the console (never cutting a price), with LONG green and SHORT red on a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from quantpro.clock import format_duration
from quantpro.net.ratelimit import eta_seconds

from .rows import (
    SignalRow,
    fired_text,
    fmt,
    format_price,
    funding_text,
    nearest_misses,
    oi_text,
    select_rows,
    track_text,
    wait_reasons,
)

if TYPE_CHECKING:
    from quantpro.runs.scan import ScanOutcome
    from quantpro.sources.base import FetchProgress

__all__ = ["COLUMNS", "ApiProgress", "format_duration", "render_outcome", "signals_table"]

DEFAULT_TOP = 15
MISSES = 5
ACTION_STYLE = {"LONG": "bold green", "SHORT": "bold red"}


class ApiProgress:
    """A progress bar of quota units, with an ETA from the units left and the window."""

    def __init__(self, console: Console, calls: int, period: float) -> None:
        self._calls, self._period = calls, period
        self._console = console
        self._live = False
        self._progress = Progress(
            TextColumn("[bold]Coinalyze[/] {task.fields[what]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("units · ETA {task.fields[eta]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("fetch", total=None, what="", eta="…")

    def __call__(self, event: FetchProgress) -> None:
        if not self._console.is_terminal:  # a pipe, cron or journald: the log lines say it all
            return
        if not self._live:  # shown only once there is API work: nothing to clear on an early error
            self._progress.start()
            self._live = True
        left = event.units_total - event.units_done
        # After the first request the window is busy; assume nothing is free right now.
        eta = eta_seconds(left, self._calls, self._period, free_now=0)
        self._progress.update(
            self._task,
            total=event.units_total,
            completed=event.units_done,
            what=f"batch {event.batch_index}/{event.batch_total} {event.data_type}",
            eta=format_duration(eta),
        )

    @contextmanager
    def running(self) -> Iterator[ApiProgress]:
        try:
            yield self
        finally:
            if self._live:
                self._progress.stop()
                self._live = False


# -- the table's columns ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its header, how a row becomes its cell, and when it goes on a narrow console
    (``drop`` 1 goes first; ``None`` never goes). The price goes first: the entry is the price in
    most plans (docs/design.md §12)."""

    header: str
    cell: Callable[[SignalRow, int | None], str]
    drop: int | None
    right: bool = False
    optional: bool = False  # shown only when some row has a value (the track record)


def _symbol(row: SignalRow, _now: int | None) -> str:
    return row.symbol + ("*" if row.stale else "")


def _timeframe(row: SignalRow, _now: int | None) -> str:
    return f"{row.timeframe}/{row.htf}" if row.htf else row.timeframe


COLUMNS: tuple[Column, ...] = (
    Column("score", lambda r, _: f"{r.score:.1f}", None, right=True),
    Column("strategy", lambda r, _: r.strategy, 6),
    Column("exchange", lambda r, _: r.exchange, None),
    Column("symbol", _symbol, None),
    Column("timeframe", _timeframe, 5),
    Column("action", lambda r, _: r.action, None),
    Column("price", lambda r, _: format_price(r.price), 1, right=True),
    Column("entry", lambda r, _: format_price(r.entry), None, right=True),
    Column("stop %", lambda r, _: fmt(r.stop_pct, ".2f"), 10, right=True),
    Column("target %", lambda r, _: fmt(r.target_pct, ".2f"), 9, right=True),
    Column("rr", lambda r, _: fmt(r.rr, ".2f"), 7, right=True),
    Column("fired (UTC)", fired_text, 8),
    Column("OI (z)", lambda r, _: oi_text(r), 4),
    Column("funding 8h %", lambda r, _: funding_text(r), 3, right=True),
    Column("track record", lambda r, _: track_text(r), 2, optional=True),
)


def _build(columns: Sequence[Column], rows: Sequence[SignalRow], now_ms: int | None) -> Table:
    table = Table(
        title="Top signals", box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True, title_justify="left"
    )
    for column in columns:
        table.add_column(
            column.header, justify="right" if column.right else "left", no_wrap=True, overflow="fold"
        )
    for row in rows:
        cells: list[str | Text] = [column.cell(row, now_ms) for column in columns]
        index = [c.header for c in columns].index("action")
        cells[index] = Text(row.action, style=ACTION_STYLE.get(row.action, ""))
        table.add_row(*cells)
    return table


def signals_table(
    rows: Sequence[SignalRow], console: Console, *, now_ms: int | None = None
) -> tuple[Table, list[str]]:
    """The table for ``console``'s width and the headers of the columns it had to leave out."""
    columns = [c for c in COLUMNS if not c.optional or any(c.cell(r, now_ms) != "-" for r in rows)]
    dropped: list[str] = []
    options = console.options.update(max_width=10_000)
    while True:
        table = _build(columns, rows, now_ms)
        wanted = Measurement.get(console, options, table).maximum
        droppable = [c for c in columns if c.drop is not None]
        if wanted <= console.width or not droppable:
            return table, dropped
        victim = min(droppable, key=lambda c: c.drop or 0)
        columns.remove(victim)
        dropped.append(victim.header)


# -- the summary -----------------------------------------------------------------------------------


def render_summary(outcome: ScanOutcome, console: Console) -> None:
    """Two lines: the feed and its counts, then what the derivatives phase cost."""
    run = outcome.run
    console.print(
        f"Feed: {outcome.feed_path}  status={run.status}  markets={run.markets}  "
        f"signals={len(outcome.signals)}  skipped={len(run.skipped_files)}  stale={run.stale_markets}"
    )
    mode = _derivatives_mode(outcome)
    label = "Coinalyze" if mode in (None, "coinalyze") else f"Derivatives ({mode}: venues, store, Coinalyze)"
    console.print(
        f"{label}: resolved={run.oi_status['resolved']} aggregated={run.oi_status['aggregated']} "
        f"neutral={run.oi_status['neutral']} degraded={run.degraded_markets}  "
        f"units spent={run.units_spent} (minimum {run.units_minimum})  requests={run.requests}  "
        f"429s={run.http_429}  retries={run.retries}  took {format_duration(run.duration_s)}"
    )


def _derivatives_mode(outcome: ScanOutcome) -> str | None:
    """The feed's ``run.derivatives.mode`` (§11), when the feed has one."""
    feed = outcome.feed if isinstance(outcome.feed, Mapping) else {}
    block = (feed.get("run") or {}).get("derivatives")
    return block.get("mode") if isinstance(block, Mapping) else None


def render_outcome(
    outcome: ScanOutcome, console: Console, *, top: int = DEFAULT_TOP, min_score: float = 0.0
) -> None:
    """The summary, then the top actionable signals, or the nearest misses when there are none."""
    render_summary(outcome, console)
    signals: list[Mapping[str, Any]] = list(outcome.signals)
    now = outcome.feed.get("last_updated") if isinstance(outcome.feed, Mapping) else None
    rows = select_rows(signals, top=top, min_score=min_score)
    if not rows:
        _render_misses(signals, console, min_score)
        return
    table, dropped = signals_table(rows, console, now_ms=now if isinstance(now, int) else None)
    console.print(table)
    _render_notes(rows, console, dropped)


def _render_notes(rows: Sequence[SignalRow], console: Console, dropped: Sequence[str]) -> None:
    if any(r.stale for r in rows):
        console.print(
            "* stale market: its newest closed candle is older than 4 candles, so its signal describes "
            "the past — refresh the candle files (quantpro download) before acting on it."
        )
    if "funding 8h %" not in dropped and any(r.funding_8h_pct is None and r.funding_pct for r in rows):
        console.print(
            "raw: funding per the venue's interval, whose length is unknown (not normalised to 8 h)."
        )
    if dropped:
        console.print(
            f"Left out for the width of this terminal: {', '.join(dropped)} (--format csv has all)."
        )


def _render_misses(signals: Sequence[Mapping[str, Any]], console: Console, min_score: float) -> None:
    above = f" at or above score {min_score:g}" if min_score > 0 else ""
    console.print(f"No actionable signal{above} this time. The nearest misses:")
    misses = nearest_misses(signals, min_score=min_score, n=MISSES)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True)
    for header in ("score", "strategy", "exchange", "symbol", "why not"):
        table.add_column(header, justify="right" if header == "score" else "left", overflow="fold")
    for row in misses:
        table.add_row(f"{row.score:.1f}", row.strategy, row.exchange, _symbol(row, None), row.reason or "-")
    if misses:
        console.print(table)
    groups = wait_reasons(signals)
    if groups:
        console.print("WAIT signals by reason:")
        for group in groups:
            console.print(f"{group.count:>6}  {group.text}")
