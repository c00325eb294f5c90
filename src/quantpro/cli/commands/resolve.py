"""``quantpro resolve``: the Coinalyze symbol and status of one market."""

from __future__ import annotations

from typing import Annotated

import typer

from quantpro.cli.app import EXIT_NO_FEED, EXIT_OK, CacheDirOption, app, log, settings_for
from quantpro.errors import AuthenticationError


@app.command()
def resolve(
    symbol: Annotated[str, typer.Argument(help="Local symbol, e.g. BTCUSDT or XBTUSDTM.")],
    exchange: Annotated[str, typer.Argument(help="Venue, e.g. MEXC.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    cache_dir: CacheDirOption = None,
) -> int:
    """Print the Coinalyze symbol and status for one market."""
    import orjson

    from quantpro.errors import CoinalyzeError
    from quantpro.sources.coinalyze.resolver import get_resolver

    settings = settings_for(cache_dir=cache_dir)
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
