"""The ccxt boundary, shared by ``download`` and the exchange derivatives source.

:mod:`.table` is everything venue-specific in one typed table; :mod:`.client` builds ccxt exchanges
(loopback URL overrides, our own pacing), translates ccxt's failures into :mod:`quantpro.errors` once,
and retries the temporary ones on the injected clock.
"""

from __future__ import annotations

from quantpro.venues.client import (
    VenueClient,
    build_exchange,
    exchange_url_overrides,
    translate_error,
    venue_urls,
)
from quantpro.venues.table import VENUES, Venue, VenueSpec, local_symbol, parse_venues

__all__ = [
    "VENUES",
    "Venue",
    "VenueClient",
    "VenueSpec",
    "build_exchange",
    "exchange_url_overrides",
    "local_symbol",
    "parse_venues",
    "translate_error",
    "venue_urls",
]
