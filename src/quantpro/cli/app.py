"""The Typer application, its global options and what every command shares (settings, logging).

Commands live one per module in :mod:`quantpro.cli.commands` and register themselves on :data:`app`;
:mod:`quantpro.cli.main` maps every outcome to an exit code. Modules here import only what start-up
needs; each command imports its library inside the function, so ``quantpro --help`` stays fast.

Global options (before the command): ``-v``/``--verbose``, ``-q``/``--quiet``, ``--log-file PATH``,
``--version`` (docs/design.md §2, §16).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from quantpro.settings import Settings

log = logging.getLogger("quantpro.cli")

#: The demo's simulator quota: 400 units per 10 s, so a demo scan never waits long.
DEMO_CALLS, DEMO_PERIOD, DEMO_KEY = 400, 10.0, "quantpro-demo-key"

EXIT_OK, EXIT_NO_FEED, EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

#: Help is wrapped to the terminal, but never wider than this (long lines are hard to read) and never
#: cut: :mod:`quantpro.cli.introspect` gives every command its whole first sentence in lists.
HELP_WIDTH = 100
CONTEXT = {"max_content_width": HELP_WIDTH}

app = typer.Typer(
    name="quantpro",
    help="QuantPro: a market scanner for crypto perpetual futures, enriched with Coinalyze derivatives data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)
symbols_app = typer.Typer(
    help="Manage the Coinalyze symbol cache.", no_args_is_help=True, context_settings=CONTEXT
)
app.add_typer(symbols_app, name="symbols")

#: What the global options set, for the command that runs after them.
_STATE: dict[str, Any] = {"verbosity": 0, "log_file": None}


def _print_version(value: bool) -> None:
    if value:
        from quantpro import __version__

        print(f"quantpro {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _global(
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Debug logging on stderr.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Warnings and errors only.")] = False,
    log_file: Annotated[
        Path | None,
        typer.Option(
            "--log-file",
            dir_okay=False,
            help="Also write the log to this file, at debug level with times (QUANTPRO_LOG_FILE).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
    ] = False,
) -> None:
    from quantpro.cli.console import configure_logging

    _STATE["verbosity"] = 1 if verbose else -1 if quiet else 0
    _STATE["log_file"] = log_file
    configure_logging(_STATE["verbosity"])


CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        file_okay=False,
        help="Where coinalyze_symbols.json and coinalyze_cache/ live (default: DATA_DIR, else ./data).",
    ),
]


def global_flags() -> dict[str, Any]:
    """The settings the global options gave (``--log-file``), as flags for :func:`load_settings`."""
    return {"log_file": _STATE["log_file"]}


def settings_for(**flags: Any) -> Settings:
    """Resolve settings from the flags given (and the global ones), then set up logging for them: the
    debug log file and every secret registered for redaction (the key, alert URLs, the serve token)."""
    from quantpro.cli.console import configure_logging
    from quantpro.settings import load_settings

    settings = load_settings(**{**global_flags(), **flags})
    secrets = [settings.api_key, settings.alert_urls, settings.serve_token]
    values = [s.get_secret_value() for s in secrets if s is not None]
    values += settings.alert_url_list()
    configure_logging(_STATE["verbosity"], settings.log_file, [v for v in values if v])
    return settings
