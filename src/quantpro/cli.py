"""The command line: a thin shell. Parse → settings → one library call → render.

One place (:func:`main`) maps errors to exit codes (DESIGN.md §2): 0 feed written (ok/degraded),
3 feed written but failed, 1 no feed, 2 bad arguments/settings or a refused key, 130 Ctrl-C.
Logs go to stderr; results go to stdout.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quantpro.errors import AuthenticationError, ConfigError, FeedWriteError, NoMarketsError, QuantProError

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


def _settings(**flags: Any) -> Settings:
    """Resolve settings from the flags given, then set up logging for them: the debug log file
    (``QUANTPRO_LOG_FILE``) and the key registered as a secret every handler redacts."""
    from quantpro.logs import configure_logging
    from quantpro.settings import load_settings

    settings = load_settings(**flags)
    secret = settings.api_key.get_secret_value() if settings.api_key else None
    configure_logging(_STATE["verbosity"], settings.log_file, [secret] if secret else [])
    return settings


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
    settings = _settings(cache_dir=cache_dir)
    return _scan_and_render(settings, data_dir, strategy=strategy, output=output, ltf=ltf, htf=htf)


def _scan_and_render(settings: Settings, data_dir: Path, **options: Any) -> int:
    """Run a scan with a progress display on stderr and the results on stdout."""
    from rich.console import Console

    from quantpro.display import ApiProgress, render_outcome
    from quantpro.logs import stderr_console
    from quantpro.scanner import run_scan

    progress = ApiProgress(stderr_console(), settings.rate_limit_calls, settings.rate_limit_period)
    with progress.running():
        outcome = run_scan(settings, data_dir, progress=progress, **options)
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)  # a pipe or a file: don't fold the table
    render_outcome(outcome, console)
    return outcome.exit_code


@app.command()
def demo(
    markets: Annotated[
        int, typer.Option("--markets", min=1, max=126, help="How many sample markets (1-126).")
    ] = 40,
    directory: Annotated[Path, typer.Option("--dir", help="Where the sample candles go.")] = Path(
        "quantpro-demo"
    ),
) -> int:
    """Generate sample candles, start the simulator in-process and run a full scan against it."""
    from quantpro.clock import SystemClock, now_ms
    from quantpro.demo_data import generate_demo_universe
    from quantpro.simulator import SimulatorConfig, start_simulator

    written = generate_demo_universe(directory, markets, now_ms=now_ms(SystemClock()))
    log.info("wrote %d sample markets into %s", len(written), directory)
    config = SimulatorConfig(calls=DEMO_CALLS, period=DEMO_PERIOD, api_keys=frozenset({DEMO_KEY}))
    with start_simulator(config, port=0) as sim:
        log.info("Coinalyze simulator on %s (%d units per %g s)", sim.base_url, DEMO_CALLS, DEMO_PERIOD)
        settings = _settings(
            api_key=DEMO_KEY,
            base_url=sim.base_url,
            rate_limit_calls=DEMO_CALLS,
            rate_limit_period=DEMO_PERIOD,
            cache_dir=directory,
        )
        return _scan_and_render(settings, directory)


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
    import threading

    from quantpro.simulator import SimulatorConfig, start_simulator

    config = SimulatorConfig(
        calls=calls, period=period, api_keys=frozenset(api_key or ()), fault_rate=fault_rate, seed=seed
    )
    try:
        running = start_simulator(config, host=host, port=port)
    except OSError as exc:
        raise ConfigError(f"the simulator cannot listen on {host}:{port}: {exc}") from exc
    with running:
        try:
            print(running.base_url, flush=True)
            threading.Event().wait()  # serve until Ctrl-C
        except KeyboardInterrupt:
            log.info("simulator stopped")
    return EXIT_OK


@app.command()
def resolve(
    symbol: Annotated[str, typer.Argument(help="Local symbol, e.g. BTCUSDT or XBTUSDTM.")],
    exchange: Annotated[str, typer.Argument(help="Venue, e.g. MEXC.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    cache_dir: CacheDirOption = None,
) -> int:
    """Print the Coinalyze symbol and status for one market."""
    import orjson

    from quantpro.coinalyze.resolver import get_resolver
    from quantpro.errors import CoinalyzeError

    settings = _settings(cache_dir=cache_dir)
    settings.api_key_value()  # no key → exit 2 before any request
    try:
        coinalyze_symbol, status = get_resolver(settings).resolve(symbol, exchange)
    except AuthenticationError:
        raise
    except CoinalyzeError as exc:
        log.error("could not load the Coinalyze symbol catalogue: %s", exc)
        return EXIT_NO_FEED
    if as_json:
        payload = {
            "symbol": symbol,
            "exchange": exchange,
            "coinalyze_symbol": coinalyze_symbol,
            "status": status,
        }
        print(orjson.dumps(payload).decode())
    else:
        print(f"{symbol} {exchange} → {coinalyze_symbol} ({status})")
    return EXIT_OK


@symbols_app.command("refresh")
def symbols_refresh(cache_dir: CacheDirOption = None) -> int:
    """Force a refresh of the symbol cache."""
    from quantpro.coinalyze.resolver import get_resolver
    from quantpro.errors import CoinalyzeError

    settings = _settings(cache_dir=cache_dir)
    settings.api_key_value()  # no key → exit 2 before any request
    resolver = get_resolver(settings)
    try:
        resolver.fetch_symbols()
    except AuthenticationError:
        raise
    except CoinalyzeError as exc:
        log.error("could not refresh the Coinalyze symbol catalogue: %s", exc)
        return EXIT_NO_FEED
    print(
        f"Refreshed {resolver.cache_file}: {len(resolver.symbol_map)} markets on "
        f"{len(resolver.exchanges)} exchanges, {resolver.candidate_count()} perpetual stable-margined "
        f"candidates, {len(resolver.aggregated_symbols)} aggregated symbols"
    )
    return EXIT_OK


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
    import os

    from rich.console import Console

    from quantpro.clock import SystemClock
    from quantpro.download import DownloadRequest, exchange_url_overrides, parse_venues
    from quantpro.download import download as run_download
    from quantpro.download.render import DownloadProgress, summary_table
    from quantpro.logs import stderr_console

    settings = _settings()
    venues = parse_venues(exchange)
    wanted = [s.strip() for s in symbols.split(",") if s.strip()] if symbols else None
    request = DownloadRequest(
        data_dir=data_dir,
        venues=venues,
        timeframes=tuple(dict.fromkeys((ltf, htf))),
        candles=candles,
        top=top,
        symbols=wanted,
        url_overrides=exchange_url_overrides(os.environ),
        timeout_s=settings.http_timeout,
    )
    request.validate()
    progress = DownloadProgress(stderr_console(), venues)
    with progress.running():
        report = run_download(request, SystemClock(), progress=progress)
    Console(highlight=False, soft_wrap=True).print(summary_table(report))
    return EXIT_NO_FEED if report.all_failed else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and map every outcome to an exit code."""
    try:
        result = app(args=argv, prog_name="quantpro", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        return _interrupted()
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, …
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"Error: {exc.format_message()}", file=sys.stderr)
        return EXIT_USAGE if exc.exit_code == EXIT_USAGE else int(exc.exit_code)
    except NotBuiltError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except AuthenticationError as exc:
        log.error(  # the error already says "the Coinalyze API refused the key: …; check COINALYZE_API_KEY"
            "%s (environment or .env). No feed was written; the previous feed is untouched.", exc
        )
        return EXIT_USAGE
    except ConfigError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except (FeedWriteError, NoMarketsError) as exc:
        log.error("%s", exc)
        return EXIT_NO_FEED
    if result == EXIT_INTERRUPTED:  # typer turns Ctrl-C (KeyboardInterrupt) into a return value of 130
        return _interrupted()
    return result if isinstance(result, int) else EXIT_OK


def _interrupted() -> int:
    """Ctrl-C: every write is atomic and temporary files are removed as the stack unwinds."""
    log.error("interrupted; nothing half-written was left behind")
    return EXIT_INTERRUPTED


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
