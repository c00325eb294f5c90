"""``quantpro store status|prune|export``: the SQLite store of §11 — what is in it, retention, Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quantpro.cli.app import EXIT_OK, CacheDirOption, app, settings_for

store_app = typer.Typer(
    help="The derivatives store: status, retention, monthly Parquet export.", no_args_is_help=True
)
app.add_typer(store_app, name="store")

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", file_okay=False, help="The data directory whose cache holds the store."),
]


def _path(data_dir: Path | None, cache_dir: Path | None) -> Path:
    return settings_for(cache_dir=cache_dir).store_file(data_dir)


@store_app.command("status")
def status(data_dir: DataDirOption = None, cache_dir: CacheDirOption = None) -> int:
    """Markets per venue, newest bucket, markets warming up, missing buckets of the last 24 h, size."""
    from quantpro.clock import SystemClock, utc_text
    from quantpro.store.db import Store
    from quantpro.store.derivatives_read import store_status

    path = _path(data_dir, cache_dir)
    if not path.is_file():  # a read-only question: nothing is created
        typer.echo(f"no store at {path}: run `quantpro snapshot DATA_DIR` first")
        return EXIT_OK
    with Store(path) as store:
        report = store_status(store, now_s=SystemClock().now())
    typer.echo(f"store {report['path']}: {report['buckets']} buckets, {report['size_bytes']} bytes")
    for venue, row in report["venues"].items():
        newest = utc_text(row["newest_bucket"] * 1000) if row["newest_bucket"] else "none"
        typer.echo(
            f"  {venue:<12} markets {row['markets']:>5}  newest bucket {newest}  "
            f"warming up {row['warming_up']}  missing (24 h) {row['missing_24h']}"
        )
    if not report["venues"]:
        typer.echo("  empty: run `quantpro snapshot DATA_DIR` first")
    return EXIT_OK


@store_app.command("prune")
def prune(data_dir: DataDirOption = None, cache_dir: CacheDirOption = None) -> int:
    """Delete what is older than QUANTPRO_STORE_RETENTION_DAYS (90)."""
    from quantpro.clock import SystemClock
    from quantpro.store.db import Store
    from quantpro.store.derivatives import prune as prune_store

    settings = settings_for(cache_dir=cache_dir)
    with Store(settings.store_file(data_dir)) as store:
        deleted = prune_store(store, now_s=SystemClock().now(), retention_days=settings.store_retention_days)
    typer.echo(", ".join(f"{table}: {n} deleted" for table, n in deleted.items()))
    return EXIT_OK


@store_app.command("export")
def export(
    to: Annotated[
        Path, typer.Option("--to", file_okay=False, help="Directory for the monthly Parquet files.")
    ] = Path("quantpro-export"),
    data_dir: DataDirOption = None,
    cache_dir: CacheDirOption = None,
) -> int:
    """Export the OI buckets as monthly Parquet files (oi-YYYY-MM.parquet), replacing older exports."""
    from quantpro.store.db import Store
    from quantpro.store.export import export_parquet

    with Store(_path(data_dir, cache_dir)) as store:
        written = export_parquet(store, to)
    for path, rows in written:
        typer.echo(f"{path}: {rows} rows")
    if not written:
        typer.echo("nothing to export: the store has no buckets")
    return EXIT_OK
