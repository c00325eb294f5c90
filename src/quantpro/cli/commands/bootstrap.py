"""``quantpro bootstrap``: the last 32 buckets of every stored market from venue history and, for
Hyperliquid, from Coinalyze."""

from __future__ import annotations

from quantpro.cli.app import CacheDirOption, app, settings_for
from quantpro.cli.commands.snapshot import ALL_VENUES, DataDirArgument, ExchangeOption, show_snapshot


@app.command()
def bootstrap(
    data_dir: DataDirArgument, exchange: ExchangeOption = ALL_VENUES, cache_dir: CacheDirOption = None
) -> int:
    """Fill the last 32 buckets of every stored market from venue OI history (Binance, Bybit, OKX,
    KuCoin) and, for Hyperliquid markets, from Coinalyze's OI history (needs COINALYZE_API_KEY; 1 unit a
    market, once); history that disagrees with live data by more than 5 % is discarded with a reason.

    Run `quantpro snapshot` first: only markets already in the store are bootstrapped.
    """
    from quantpro.clock import SystemClock
    from quantpro.runs.snapshot import bootstrap_store
    from quantpro.venues import parse_venues

    settings = settings_for(cache_dir=cache_dir)
    venues = [v.value for v in parse_venues(exchange)]
    outcome = bootstrap_store(settings, data_dir, clock=SystemClock(), exchanges=venues)
    return show_snapshot(outcome, "bootstrap")
