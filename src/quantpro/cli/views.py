"""What the command line shows people: the API-phase progress with its ETA, and the result tables.

CLI layer only: library code reports progress through callbacks and never prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from quantpro.net.ratelimit import eta_seconds

if TYPE_CHECKING:
    from quantpro.feed import Signal
    from quantpro.runs.scan import ScanOutcome
    from quantpro.sources.base import FetchProgress


def format_duration(seconds: float) -> str:
    """``75`` → ``1m15s``; ``3725`` → ``1h02m``; under a second → ``0s``."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class ApiProgress:
    """A progress bar of quota units, with an ETA from the units left and the window."""

    def __init__(self, console: Console, calls: int, period: float) -> None:
        self._calls, self._period = calls, period
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


def render_outcome(outcome: ScanOutcome, console: Console, *, top: int = 15) -> None:
    """A summary line of the ``run`` block and a table of the top actionable signals."""
    run = outcome.run
    console.print(
        f"Feed: {outcome.feed_path}  status={run.status}  markets={run.markets}  "
        f"signals={len(outcome.signals)}  skipped={len(run.skipped_files)}  stale={run.stale_markets}"
    )
    console.print(
        f"Coinalyze: resolved={run.oi_status['resolved']} aggregated={run.oi_status['aggregated']} "
        f"neutral={run.oi_status['neutral']} degraded={run.degraded_markets}  "
        f"units spent={run.units_spent} (minimum {run.units_minimum})  requests={run.requests}  "
        f"429s={run.http_429}  retries={run.retries}  took {format_duration(run.duration_s)}"
    )
    actionable = [s for s in outcome.signals if s["action"] != "WAIT"][:top]
    if not actionable:
        console.print("No actionable signal this time (every strategy says WAIT).")
        return
    console.print(_signals_table(actionable))
    if any(s["meta"]["stale"] for s in actionable):
        console.print(
            "* stale market: its newest closed candle is older than 4 candles, so its signal describes "
            "the past — refresh the candle files (quantpro download) before acting on it."
        )


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _signals_table(signals: list[Signal]) -> Table:
    table = Table(title="Top signals", show_lines=False)
    for column in (
        "score",
        "strategy",
        "exchange",
        "symbol",
        "action",
        "entry",
        "stop",
        "target",
        "rr",
        "OI",
    ):
        table.add_column(
            column, justify="right" if column in {"score", "entry", "stop", "target", "rr"} else "left"
        )
    for s in signals:
        table.add_row(
            f"{s['score']:.1f}",
            s["strategy_name"],
            s["exchange"],
            s["symbol"] + ("*" if s["meta"]["stale"] else ""),
            s["action"],
            _fmt(s["entry"]),
            _fmt(s["stop_loss"]),
            _fmt(s["take_profit"]),
            _fmt(s["rr"]),
            s["oi_metadata"]["status"],
        )
    return table
