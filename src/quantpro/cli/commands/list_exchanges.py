"""``quantpro list-exchanges``: the venues QuantPro downloads from, their ccxt ids, and whether
Coinalyze covers them (docs/design.md §16).

Read-only and offline: coverage comes from the symbol cache when one is there (the exchange list and
the perpetual stable-margined markets Coinalyze had when it was fetched), else from the built-in 2025
exchange list. Nothing is fetched, written or created.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from quantpro.cli.app import EXIT_OK, CacheDirOption, app, settings_for


def exchange_rows(cache_dir: Any) -> tuple[list[dict[str, Any]], str]:
    """One row per venue of the venue table, and where the coverage came from."""
    from quantpro.sources.coinalyze.catalogue import (
        builtin_exchanges,
        exchange_codes,
        exchange_key,
        parse_market,
    )
    from quantpro.sources.coinalyze.symbol_index import parse_cache
    from quantpro.store.atomic import read_json
    from quantpro.store.layout import SYMBOLS_FILE
    from quantpro.venues import VENUES

    path = cache_dir / SYMBOLS_FILE
    cached = parse_cache(read_json(path, what="symbol cache"), path) if path.is_file() else None
    if cached is not None:
        catalogue = cached[0]
        exchanges, source = catalogue.exchanges, f"the symbol cache {path}"
        markets = [
            m for m in (parse_market(row) for row in catalogue.markets) if m is not None and m.candidate
        ]
    else:
        exchanges, source, markets = builtin_exchanges(), "the built-in 2025 exchange list", []
    codes = exchange_codes(exchanges)
    names = {exchange_key(row["name"]): row["name"] for row in exchanges}
    rows = []
    for venue, spec in VENUES.items():
        key = exchange_key(venue.value)
        code = codes.get(key)
        rows.append(
            {
                "exchange": venue.value,
                "ccxt_id": spec.ccxt_id,
                "coinalyze": code is not None,
                "coinalyze_name": names.get(key),
                "coinalyze_code": code,
                "coinalyze_markets": sum(1 for m in markets if m.exchange == code)
                if code and markets
                else None,
            }
        )
    return rows, source


@app.command("list-exchanges")
def list_exchanges(
    cache_dir: CacheDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per exchange.")] = False,
) -> int:
    """List the seven venues, their ccxt ids, and whether Coinalyze covers them.

    A venue Coinalyze does not cover still gets derivatives data through its coin's reference market
    (status "aggregated").
    """
    import orjson

    settings = settings_for(cache_dir=cache_dir)
    rows, source = exchange_rows(settings.cache_path(None))
    if as_json:
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return EXIT_OK
    for row in rows:
        if row["coinalyze"]:
            markets = (
                f", {row['coinalyze_markets']} perpetuals" if row["coinalyze_markets"] is not None else ""
            )
            covered = f"yes ({row['coinalyze_name']}, code {row['coinalyze_code']}{markets})"
        else:
            covered = "no: its markets use a reference market (aggregated)"
        print(f"{row['exchange']:<12} ccxt {row['ccxt_id']:<14} Coinalyze: {covered}")
    print(f"Coinalyze coverage from {source}.")
    return EXIT_OK
