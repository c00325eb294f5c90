"""``quantpro snapshot``: one cycle of §11 alone — every venue's OI and funding into the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quantpro.cli.app import EXIT_FAILED, EXIT_OK, CacheDirOption, app, settings_for

if TYPE_CHECKING:
    from quantpro.runs.snapshot import SnapshotOutcome

ALL_VENUES = "BINANCE,BYBIT,OKX,BITGET,MEXC,KUCOIN,HYPERLIQUID"

ExchangeOption = Annotated[
    str, typer.Option("--exchange", help="Comma-separated venues (see quantpro list-exchanges).")
]
DataDirArgument = Annotated[
    Path,
    typer.Argument(file_okay=False, help="The data directory (its cache holds the store by default)."),
]


def show_snapshot(outcome: SnapshotOutcome, title: str) -> int:
    """One line per venue on stdout; exit 3 when every venue failed."""
    typer.echo(f"{title} → {outcome.store_path}")
    for name, venue in outcome.venues.items():
        error = f"  {venue.error}" if venue.error else ""
        typer.echo(
            f"  {name:<12} {venue.status:<8} markets {venue.markets:>5}  requests {venue.requests:>4}  "
            f"429s {venue.http_429}  buckets {venue.buckets_written} written, "
            f"{venue.buckets_repaired} repaired{error}"
        )
    for reason in outcome.rejected:
        typer.echo(f"  history discarded: {reason}")
    failed = outcome.venues and all(v.status == "failed" for v in outcome.venues.values())
    return EXIT_FAILED if failed else EXIT_OK


@app.command()
def snapshot(
    data_dir: DataDirArgument, exchange: ExchangeOption = ALL_VENUES, cache_dir: CacheDirOption = None
) -> int:
    """One §11 cycle: OI and funding of every perpetual of each venue into the store, in parallel.

    Missed buckets are repaired and markets with too few buckets bootstrapped from venue history.
    Exit 3 when every venue failed.
    """
    from quantpro.clock import SystemClock
    from quantpro.runs.snapshot import run_snapshot
    from quantpro.venues import parse_venues

    settings = settings_for(cache_dir=cache_dir)
    venues = [v.value for v in parse_venues(exchange)]
    data_dir.mkdir(parents=True, exist_ok=True)
    outcome = run_snapshot(settings, data_dir, clock=SystemClock(), exchanges=venues)
    return show_snapshot(outcome, "snapshot")
