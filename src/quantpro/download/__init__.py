"""``quantpro download``: fill a data directory with candle files from seven venues through ccxt.

The layers, lowest first: :mod:`.venues` (the venue table), :mod:`.pacing` (per-venue budgets on an
injected clock), :mod:`.client` (ccxt construction, URL overrides, error translation, retries),
:mod:`.files` (candle files), :mod:`.fetch` (universe, windows, pages) and :mod:`.runner` (venues in
parallel, reports).
"""

from __future__ import annotations

from quantpro.download.client import build_exchange, exchange_url_overrides
from quantpro.download.errors import VenueError, VenueRateLimitError, VenueRejectedError, VenueTemporaryError
from quantpro.download.runner import DownloadReport, DownloadRequest, ProgressSink, VenueReport, download
from quantpro.download.venues import VENUES, Venue, VenueSpec, parse_venues

__all__ = [
    "VENUES",
    "DownloadReport",
    "DownloadRequest",
    "ProgressSink",
    "Venue",
    "VenueError",
    "VenueRateLimitError",
    "VenueRejectedError",
    "VenueReport",
    "VenueSpec",
    "VenueTemporaryError",
    "build_exchange",
    "download",
    "exchange_url_overrides",
    "parse_venues",
]
