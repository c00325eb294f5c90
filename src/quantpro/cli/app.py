"""The Typer application, its global options and what every command shares (settings, logging).

Commands live one per module in :mod:`quantpro.cli.commands` and register themselves on :data:`app`;
:mod:`quantpro.cli.main` maps every outcome to an exit code. Modules here import only what start-up
needs; each command imports its library inside the function, so ``quantpro --help`` stays fast.
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

app = typer.Typer(
    name="quantpro",
    help="QuantPro: a market scanner for crypto perpetual futures, enriched with Coinalyze derivatives data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
symbols_app = typer.Typer(help="Manage the Coinalyze symbol cache.", no_args_is_help=True)
app.add_typer(symbols_app, name="symbols")


@app.callback()
def _global(
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Debug logging on stderr.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Warnings and errors only.")] = False,
) -> None:
    from quantpro.cli.console import configure_logging

    _STATE["verbosity"] = 1 if verbose else -1 if quiet else 0
    configure_logging(_STATE["verbosity"])


_STATE: dict[str, int] = {"verbosity": 0}

CacheDirOption = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Where coinalyze_symbols.json and coinalyze_cache/ live."),
]


def settings_for(**flags: Any) -> Settings:
    """Resolve settings from the flags given, then set up logging for them: the debug log file
    (``QUANTPRO_LOG_FILE``) and the key registered as a secret every handler redacts."""
    from quantpro.cli.console import configure_logging
    from quantpro.settings import load_settings

    settings = load_settings(**flags)
    secret = settings.api_key.get_secret_value() if settings.api_key else None
    configure_logging(_STATE["verbosity"], settings.log_file, [secret] if secret else [])
    return settings
