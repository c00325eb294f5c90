"""``quantpro download``: fill a data directory with candle files from seven venues through ccxt.

The use case only: :mod:`.fetch` decides what to ask for (universe, windows, pages) and :mod:`.runner`
runs the venues in parallel and reports. The ccxt boundary (venue table, exchange construction, error
translation, retries) is :mod:`quantpro.venues`, shared with the exchange derivatives source; pacing is
:mod:`quantpro.net.pacing`; candle files are :mod:`quantpro.store.candles`.
"""

from __future__ import annotations

from quantpro.download.runner import DownloadReport, DownloadRequest, ProgressSink, VenueReport, download

__all__ = ["DownloadReport", "DownloadRequest", "ProgressSink", "VenueReport", "download"]
