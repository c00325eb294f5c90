"""The ccxt boundary, shared by ``download`` and the exchange derivatives source.

:mod:`.table` is everything venue-specific in one typed table; :mod:`.client` builds ccxt exchanges
(loopback URL overrides, our own pacing), translates ccxt's failures into :mod:`quantpro.errors` once,
and retries the temporary ones on the injected clock; :mod:`.derivatives` reads open interest, funding
and the long/short ratio of every perpetual in the fewest calls (docs/design.md §11).
"""

from __future__ import annotations

from quantpro.venues.client import (
    VenueClient,
    build_exchange,
    exchange_url_overrides,
    translate_error,
    venue_urls,
)
from quantpro.venues.derivatives import (
    PerpSnapshot,
    VenueSnapshot,
    ls_ratio,
    oi_history,
    snapshot_venue,
)
from quantpro.venues.table import VENUES, Venue, VenueSpec, local_symbol, parse_venues

__all__ = [
    "VENUES",
    "PerpSnapshot",
    "Venue",
    "VenueClient",
    "VenueSnapshot",
    "VenueSpec",
    "build_exchange",
    "exchange_url_overrides",
    "local_symbol",
    "ls_ratio",
    "oi_history",
    "parse_venues",
    "snapshot_venue",
    "translate_error",
    "venue_urls",
]
