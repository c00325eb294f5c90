"""``quantpro resolve``: the Coinalyze symbol and status of one market (docs/design.md §2, §16).

The symbol may be written in any case or in ccxt's form (``btcusdt``, ``BTC/USDT:USDT``); the
exchange must be one QuantPro or Coinalyze knows (exit 2 listing them otherwise). ``resolve`` is
read-only: it uses the symbol cache of an existing cache directory and never creates one (without
one, the catalogue it fetches lives in a temporary directory for the run).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from quantpro.cli.app import EXIT_NO_FEED, EXIT_OK, CacheDirOption, app, log, settings_for
from quantpro.errors import AuthenticationError, ConfigError

if TYPE_CHECKING:
    from quantpro.settings import Settings
    from quantpro.sources.coinalyze.resolver import CoinalyzeResolver


def local_form(symbol: str) -> str:
    """ccxt's ``BASE/QUOTE:SETTLE`` (or ``BASE/QUOTE``) as the local ``BASEQUOTE``; others unchanged."""
    text = symbol.strip()
    if "/" in text:
        base, _, rest = text.partition("/")
        quote = rest.partition(":")[0]
        return f"{base.strip()}{quote.strip()}"
    return text


def spellings(symbol: str) -> list[str]:
    """The spellings to try, in order: as written, upper-case, and Hyperliquid's ``k`` prefix
    (``kpepeusdt`` → ``kPEPEUSDT``)."""
    text = local_form(symbol)
    found = [text, text.upper()]
    if text[:1] in ("k", "K") and len(text) > 1:
        found.append("k" + text[1:].upper())
    return list(dict.fromkeys(found))


def check_exchange(exchange: str, resolver: CoinalyzeResolver | None) -> None:
    """Refuse an exchange neither QuantPro's venues nor Coinalyze's list (the catalogue in use, else
    the built-in 2025 list) names; ``resolver=None`` checks offline only and never refuses."""
    from quantpro.sources.coinalyze.catalogue import builtin_exchanges, exchange_key
    from quantpro.venues import Venue

    key = exchange_key(exchange)
    venues = [v.value for v in Venue]
    offline = {exchange_key(v) for v in venues} | {exchange_key(r["name"]) for r in builtin_exchanges()}
    if key in offline or resolver is None:
        return
    names = [row["name"] for row in resolver.exchanges]
    if key not in {exchange_key(name) for name in names}:
        raise ConfigError(
            f"unknown exchange {exchange!r}; known exchanges are {', '.join(venues)} (QuantPro's venues) "
            f"and Coinalyze's {', '.join(sorted(names, key=str.lower))}"
        )


@contextmanager
def read_only_cache(settings: Settings) -> Iterator[Settings]:
    """``settings`` when their cache directory exists, else a copy whose caches live in a temporary
    directory removed afterwards: a read-only command creates no directory (docs/design.md §16)."""
    import tempfile
    from pathlib import Path

    if settings.cache_path(None).is_dir():
        yield settings
        return
    with tempfile.TemporaryDirectory(prefix="quantpro-resolve-") as tmp:
        log.debug(
            "%s does not exist: the catalogue is kept in %s for this run", settings.cache_path(None), tmp
        )
        yield settings.model_copy(update={"cache_dir": Path(tmp)})


@app.command()
def resolve(
    symbol: Annotated[
        str, typer.Argument(help="Local symbol in any case, e.g. BTCUSDT, xbtusdtm, or ccxt's BTC/USDT:USDT.")
    ],
    exchange: Annotated[
        str, typer.Argument(help="Venue in any case, e.g. MEXC (see quantpro list-exchanges).")
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help='Print one JSON object {"symbol", "exchange", "coinalyze_symbol", "status"}.'
        ),
    ] = False,
    cache_dir: CacheDirOption = None,
) -> int:
    """Print the Coinalyze symbol and status for one market."""
    import orjson

    from quantpro.errors import CoinalyzeError
    from quantpro.sources.coinalyze.resolver import get_resolver

    settings = settings_for(cache_dir=cache_dir)
    settings.api_key_value()  # no key → exit 2 before any request
    exchange = exchange.strip().upper()
    with read_only_cache(settings) as usable:
        resolver = get_resolver(usable)
        try:
            resolver.ensure_initialized()
            check_exchange(exchange, resolver)
            local, (coinalyze_symbol, status) = _first_resolved(resolver, symbol, exchange)
        except (AuthenticationError, ConfigError):
            raise
        except CoinalyzeError as exc:
            log.error("could not load the Coinalyze symbol catalogue: %s", exc)
            return EXIT_NO_FEED
    if as_json:
        payload = {
            "symbol": local,
            "exchange": exchange,
            "coinalyze_symbol": coinalyze_symbol,
            "status": status,
        }
        print(orjson.dumps(payload).decode())
    else:
        print(f"{local} {exchange} → {coinalyze_symbol} ({status})")
    return EXIT_OK


def _first_resolved(
    resolver: CoinalyzeResolver, symbol: str, exchange: str
) -> tuple[str, tuple[str | None, str]]:
    """The first spelling that is on Coinalyze; else the upper-case spelling, neutral."""
    tried = spellings(symbol)
    for spelling in tried:
        result = resolver.resolve(spelling, exchange)
        if result[0] is not None:
            return spelling, result
    fallback = tried[1] if len(tried) > 1 else tried[0]
    return fallback, resolver.resolve(fallback, exchange)
