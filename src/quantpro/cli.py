"""The command line: a thin shell. Parse → settings → one library call → render.

One place (:func:`main`) maps errors to exit codes (DESIGN.md §2): 0 feed written (ok/degraded),
3 feed written but failed, 1 no feed, 2 bad arguments/settings or a refused key, 130 Ctrl-C.
Logs go to stderr; results go to stdout.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from quantpro.errors import AuthenticationError, ConfigError, FeedWriteError, QuantProError

log = logging.getLogger("quantpro.cli")

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


class NotBuiltError(QuantProError):
    """A command whose implementation has not landed yet."""


def _not_built(command: str) -> NotBuiltError:
    return NotBuiltError(f"`quantpro {command}` is not built yet")


@app.callback()
def _global(
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Debug logging on stderr.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Warnings and errors only.")] = False,
) -> None:
    from quantpro.logs import configure_logging

    _STATE["verbosity"] = 1 if verbose else -1 if quiet else 0
    configure_logging(_STATE["verbosity"])


_STATE: dict[str, int] = {"verbosity": 0}

CacheDirOption = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Where coinalyze_symbols.json and coinalyze_cache/ live."),
]


@app.command()
def scan(
    data_dir: Annotated[Path, typer.Argument(help="Directory of candle files.")],
    strategy: Annotated[
        str, typer.Option("--strategy", help="`all` or a comma-separated list of strategy names.")
    ] = "all",
    output: Annotated[
        Path | None, typer.Option("--output", help="Feed path (default DATA_DIR/master_feed.json).")
    ] = None,
    ltf: Annotated[str, typer.Option("--ltf", help="Lower timeframe.")] = "15m",
    htf: Annotated[str, typer.Option("--htf", help="Higher timeframe.")] = "4h",
    cache_dir: CacheDirOption = None,
) -> int:
    """Load every market in DATA_DIR, fetch its derivatives data, run the strategies, write the feed."""
    raise _not_built("scan")


@app.command()
def demo(
    markets: Annotated[int, typer.Option("--markets", min=1, help="How many sample markets.")] = 40,
    directory: Annotated[Path, typer.Option("--dir", help="Where the sample candles go.")] = Path(
        "quantpro-demo"
    ),
) -> int:
    """Generate sample candles, start the simulator in-process and run a full scan against it."""
    raise _not_built("demo")


@app.command()
def simulate(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8787,
    calls: Annotated[int, typer.Option("--calls", min=1, help="Quota units per window.")] = 40,
    period: Annotated[float, typer.Option("--period", min=0.001, help="Window in seconds.")] = 60.0,
    api_key: Annotated[
        list[str] | None, typer.Option("--api-key", help="Accept only these keys (repeatable).")
    ] = None,
    fault_rate: Annotated[float, typer.Option("--fault-rate", min=0.0, max=1.0)] = 0.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> int:
    """Run the Coinalyze simulator until stopped; prints its base URL."""
    raise _not_built("simulate")


@app.command()
def resolve(
    symbol: Annotated[str, typer.Argument(help="Local symbol, e.g. BTCUSDT or XBTUSDTM.")],
    exchange: Annotated[str, typer.Argument(help="Venue, e.g. MEXC.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    cache_dir: CacheDirOption = None,
) -> int:
    """Print the Coinalyze symbol and status for one market."""
    raise _not_built("resolve")


@symbols_app.command("refresh")
def symbols_refresh(cache_dir: CacheDirOption = None) -> int:
    """Force a refresh of the symbol cache."""
    raise _not_built("symbols refresh")


@app.command()
def download(
    data_dir: Annotated[Path, typer.Argument(help="Directory to fill with candle files.")],
    exchange: Annotated[
        str, typer.Option("--exchange", help="Comma-separated venues.")
    ] = "BINANCE,BYBIT,OKX,BITGET,MEXC,KUCOIN,HYPERLIQUID",
    top: Annotated[int | None, typer.Option("--top", min=1, help="N largest by 24 h quote volume.")] = None,
    symbols: Annotated[str | None, typer.Option("--symbols", help="Comma-separated symbols.")] = None,
    ltf: Annotated[str, typer.Option("--ltf")] = "15m",
    htf: Annotated[str, typer.Option("--htf")] = "4h",
    candles: Annotated[int, typer.Option("--candles", min=50)] = 500,
) -> int:
    """Download candles from the exchanges' public APIs (through ccxt) into DATA_DIR."""
    raise _not_built("download")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and map every outcome to an exit code."""
    try:
        result = app(args=argv, prog_name="quantpro", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, …
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"Error: {exc.format_message()}", file=sys.stderr)
        return EXIT_USAGE if exc.exit_code == EXIT_USAGE else int(exc.exit_code)
    except KeyboardInterrupt:
        log.error("interrupted; nothing half-written was left behind")
        return EXIT_INTERRUPTED
    except NotBuiltError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except AuthenticationError as exc:
        log.error(
            "the Coinalyze API refused the key (%s); check COINALYZE_API_KEY (environment or .env). "
            "No feed was written; the previous feed is untouched.",
            exc,
        )
        return EXIT_USAGE
    except ConfigError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except FeedWriteError as exc:
        log.error("%s", exc)
        return EXIT_NO_FEED
    return result if isinstance(result, int) else EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
