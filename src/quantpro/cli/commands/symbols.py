"""``quantpro symbols refresh``: refetch the Coinalyze catalogue."""

from __future__ import annotations

from quantpro.cli.app import EXIT_NO_FEED, EXIT_OK, CacheDirOption, log, settings_for, symbols_app
from quantpro.errors import AuthenticationError


@symbols_app.command("refresh")
def symbols_refresh(cache_dir: CacheDirOption = None) -> int:
    """Refetch the Coinalyze catalogue (2 units) and rewrite the symbol cache."""
    from quantpro.errors import CoinalyzeError
    from quantpro.sources.coinalyze.resolver import get_resolver

    settings = settings_for(cache_dir=cache_dir)
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
