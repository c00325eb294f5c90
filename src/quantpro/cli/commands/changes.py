"""``quantpro changes``: what changed between recorded runs (docs/design.md §14). Read-only."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quantpro.cli.app import EXIT_OK, CacheDirOption, app, settings_for

if TYPE_CHECKING:
    from quantpro.feed.changes import Change, RunChanges


@app.command()
def changes(
    data_dir: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="The data directory that was scanned.")
    ],
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Every run since this moment, each against the run before it: a duration ago (2h, 1d) "
            "or a UTC time (2026-01-19 16:00). Default: the newest run only.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    cache_dir: CacheDirOption = None,
) -> int:
    """Print what changed between recorded runs: new, gone, flipped, score up and score down.

    A change is judged against the run before it in the history store (every scan and every watch
    cycle is recorded); a score move counts from 10 points.
    """
    from quantpro.clock import SystemClock
    from quantpro.feed.changes import changes_since, run_changes_json
    from quantpro.runs.schedule import parse_since

    settings = settings_for(cache_dir=cache_dir)
    since_ms = int(parse_since(since, now=SystemClock().now()) * 1000) if since is not None else None
    found = changes_since(settings, data_dir, since_ms)
    if as_json:
        import orjson

        document = {"schema_version": 1, "runs": [run_changes_json(r) for r in found or []]}
        print(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
        return EXIT_OK
    if not found:
        import sys

        where = settings.store_file(data_dir)
        print(f"no run of {data_dir} is recorded in {where} yet", file=sys.stderr)
        return EXIT_OK
    for item in found:
        print(_run_line(item))
        for change in item.changes:
            print("  " + _change_line(change))
    return EXIT_OK


def _run_line(item: RunChanges) -> str:
    from quantpro.clock import utc_text
    from quantpro.feed.changes import change_counts

    run, counts = item.run, change_counts(item.changes)
    against = f"against run {item.previous.id}" if item.previous is not None else "(the first recorded run)"
    tally = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())
    return (
        f"{utc_text(run.time_ms, seconds=False)}  run {run.id} ({run.status}, {run.markets} markets, "
        f"{run.actionable} actionable) {against}: {tally}"
    )


def _change_line(change: Change) -> str:
    now, before = change.current, change.before
    what = f"{change.kind:<10} {change.exchange:<11} {change.symbol:<16} {change.strategy:<12}"
    if change.kind == "gone" and before is not None:
        return f"{what} was {before.action} {before.score:.1f}"
    if change.kind == "flipped" and before is not None:
        return f"{what} {before.action} → {now.action} {now.score:.1f}{_plan(change)}"
    if change.kind.startswith("score") and before is not None:
        delta = change.score_delta or 0.0
        return f"{what} {now.action} {before.score:.1f} → {now.score:.1f} ({delta:+.1f})"
    return f"{what} {now.action} {now.score:.1f}{_plan(change)}"


def _plan(change: Change) -> str:
    row = change.current
    if row.entry is None:
        return ""
    parts = [f"entry {row.entry:g}", f"stop {row.stop:g}" if row.stop is not None else ""]
    parts += [
        f"target {row.target:g}" if row.target is not None else "",
        f"rr {row.rr:.2f}" if row.rr else "",
    ]
    return "  " + " ".join(p for p in parts if p)
