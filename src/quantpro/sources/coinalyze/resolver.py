"""Local market → Coinalyze symbol (docs/design.md §4), with the 24 h symbol cache.

The catalogue is ``/exchanges`` plus ``/future-markets`` (one unit each). It is kept in
``coinalyze_symbols.json`` in the reference design's format, plus the raw rows, so every derived map
can be recomputed locally — when the reference preference changes, say — without spending a unit.

Resolution, in order: **resolved** (a candidate on the market's own exchange), **aggregated** (the
coin's reference market elsewhere: a proxy, not a sum), **neutral** (the coin is nowhere).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quantpro.clock import Clock, SystemClock, now_ms
from quantpro.errors import AuthenticationError, CoinalyzeError, ResponseShapeError
from quantpro.models import OIStatus
from quantpro.settings import Settings, load_settings
from quantpro.sources.coinalyze.catalogue import (
    best_market,
    builtin_exchanges,
    candidate_rows,
    exchange_key,
    valid_exchange_rows,
)
from quantpro.sources.coinalyze.symbol_index import (
    SCHEMA_VERSION,
    Catalogue,
    Index,
    aggregated_symbols,
    build_index,
    exchange_symbols,
    parse_cache,
    symbol_map,
)
from quantpro.store.atomic import atomic_write_json, read_json
from quantpro.store.layout import SYMBOLS_FILE
from quantpro.symbols import parse_local_symbol

if TYPE_CHECKING:
    from quantpro.sources.coinalyze.client import CoinalyzeBatchClient

log = logging.getLogger(__name__)

Resolution = tuple[str | None, str]


class CoinalyzeResolver:
    """Resolves local markets to Coinalyze symbols; loads its catalogue on first use.

    Reading :attr:`symbol_map`, :attr:`aggregated_symbols` or :attr:`exchange_symbols`, or calling
    :meth:`resolve`, initialises it (reference Test 1 reads ``symbol_map`` straight away).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: CoinalyzeBatchClient | None = None,
        clock: Clock | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.settings, self.clock = defaults_from_client(settings, client, clock)
        self._client = client
        self._owns_client = False
        self.cache_dir = Path(cache_dir) if cache_dir is not None else self.settings.cache_path()
        self._lock = threading.RLock()
        self._catalogue: Catalogue | None = None
        self._index: Index | None = None
        self._symbol_map: dict[str, dict[str, str]] = {}
        self._aggregated: dict[str, str] = {}
        self._exchange_symbols: dict[str, dict[str, str]] = {}

    # -- public views ---------------------------------------------------------------------------

    @property
    def cache_file(self) -> Path:
        return self.cache_dir / SYMBOLS_FILE

    @property
    def client(self) -> CoinalyzeBatchClient:
        """The API client, built on first need (a fresh cache needs none)."""
        if self._client is None:
            from quantpro.sources.coinalyze.client import get_batch_client

            self._client = get_batch_client(self.settings, clock=self.clock, cache_dir=self.cache_dir)
            self._owns_client = True
        return self._client

    def close(self) -> None:
        """Close the HTTP client this resolver built for itself, if it did."""
        if self._owns_client and self._client is not None:
            self._client.close()

    @property
    def symbol_map(self) -> dict[str, dict[str, str]]:
        self.ensure_initialized()
        return self._symbol_map

    @property
    def aggregated_symbols(self) -> dict[str, str]:
        self.ensure_initialized()
        return self._aggregated

    @property
    def exchange_symbols(self) -> dict[str, dict[str, str]]:
        self.ensure_initialized()
        return self._exchange_symbols

    @property
    def exchanges(self) -> list[dict[str, str]]:
        """The ``/exchanges`` list in use (from the API, the cache or the built-in fallback)."""
        self.ensure_initialized()
        assert self._catalogue is not None
        return list(self._catalogue.exchanges)

    @property
    def catalogue_timestamp(self) -> int | None:
        """When the catalogue in use was fetched (ms), or ``None`` before initialisation."""
        return self._catalogue.timestamp if self._catalogue is not None else None

    def market_info(self, coinalyze_symbol: str) -> dict[str, Any] | None:
        """The raw ``/future-markets`` row of a symbol (``has_long_short_ratio_data`` and all)."""
        return self._ready_index().rows.get(coinalyze_symbol)

    def candidate_count(self) -> int:
        """How many perpetual, stable-margined markets the catalogue holds."""
        return sum(self._ready_index().venue_sizes.values())

    # -- loading ----------------------------------------------------------------------------------

    def ensure_initialized(self) -> None:
        """Load the symbol cache when fresh, else fetch the catalogue (2 units)."""
        if self._index is not None:
            return
        with self._lock:
            if self._index is not None:
                return
            cached = self._read_cache()
            if cached is not None and self._is_fresh(cached[0]):
                log.debug("symbol cache %s is fresh; %d markets", self.cache_file, len(cached[0].markets))
                self._install(cached[0], stored_reference=cached[1])
                return
            self._refresh(stale=cached[0] if cached is not None else None)

    def fetch_symbols(self) -> None:
        """Fetch ``/exchanges`` and ``/future-markets`` now and rewrite the symbol cache (2 units)."""
        with self._lock:
            cached = self._read_cache()
            stale = self._catalogue or (cached[0] if cached is not None else None)
            catalogue = self._fetch_catalogue(stale)
            self._install(catalogue, stored_reference=None)

    def _refresh(self, stale: Catalogue | None) -> None:
        """Fetch; if the API cannot give the markets, fall back to a stale cache rather than nothing."""
        try:
            catalogue = self._fetch_catalogue(stale)
        except AuthenticationError:
            raise
        except CoinalyzeError as exc:
            if stale is None:
                raise
            log.warning("could not refresh the symbol catalogue (%s); using the stale cache", exc)
            self._install(stale, stored_reference=None, write=False)
            return
        self._install(catalogue, stored_reference=None)

    def _fetch_catalogue(self, stale: Catalogue | None) -> Catalogue:
        exchanges = self._fetch_exchanges(stale)
        log.info("Fetching symbols from %s/future-markets", self.settings.base_url)
        rows = self.client.get_future_markets()
        log.info("Received %d markets from API", len(rows))
        check_plausible(rows, stale)
        return Catalogue(
            timestamp=now_ms(self.clock),
            base_url=self.settings.base_url,
            exchanges=exchanges,
            markets=[row for row in rows if isinstance(row, dict)],
        )

    def _fetch_exchanges(self, stale: Catalogue | None) -> list[dict[str, str]]:
        """``/exchanges`` from the API; else the cache's copy; else the built-in 2025 list (warned)."""
        try:
            rows = valid_exchange_rows(self.client.get_exchanges())
            if rows is not None:
                return rows
            problem = "an empty or malformed list"
        except AuthenticationError:
            raise
        except CoinalyzeError as exc:
            problem = str(exc)
        if stale is not None:
            log.warning("/exchanges failed (%s); using the exchange list from the symbol cache", problem)
            return stale.exchanges
        log.warning("/exchanges failed (%s); using the built-in 2025 exchange list", problem)
        return builtin_exchanges()

    def _read_cache(self) -> tuple[Catalogue, tuple[str, ...]] | None:
        cached = parse_cache(read_json(self.cache_file, what="symbol cache"), self.cache_file)
        if cached is not None and cached[0].base_url != self.settings.base_url:
            log.info(
                "symbol cache %s was built from another API (%s); refetching",
                self.cache_file,
                cached[0].base_url,
            )
            return None
        return cached

    def _is_fresh(self, catalogue: Catalogue) -> bool:
        age_ms = now_ms(self.clock) - catalogue.timestamp
        return 0 <= age_ms < self.settings.symbols_ttl_hours * 3_600_000

    def _install(
        self, catalogue: Catalogue, *, stored_reference: tuple[str, ...] | None, write: bool = True
    ) -> None:
        """Derive every map; write the cache when freshly fetched or when the preference changed."""
        reference = tuple(self.settings.reference_exchanges)
        index = build_index(catalogue, reference)
        self._symbol_map = symbol_map(index)
        self._aggregated = aggregated_symbols(index)
        self._exchange_symbols = exchange_symbols(index)
        self._catalogue, self._index = catalogue, index
        if stored_reference is None:
            log.info("Processed %d aggregated symbols", len(self._aggregated))
        elif stored_reference != reference:
            log.info(
                "reference exchanges changed (%s → %s); recomputed %d aggregated symbols without refetching",
                ",".join(stored_reference),
                ",".join(reference),
                len(self._aggregated),
            )
        else:
            write = False
        if write:
            self._write_cache()

    def _write_cache(self) -> None:
        assert self._catalogue is not None
        catalogue = self._catalogue
        document = {
            "schema_version": SCHEMA_VERSION,
            "timestamp": catalogue.timestamp,
            "base_url": catalogue.base_url,
            "reference_exchanges": list(self.settings.reference_exchanges),
            "symbol_map": self._symbol_map,
            "aggregated_symbols": self._aggregated,
            "exchange_symbols": self._exchange_symbols,
            "exchanges": catalogue.exchanges,
            "markets": catalogue.markets,
        }
        try:
            atomic_write_json(self.cache_file, document)
        except OSError as exc:
            log.warning(
                "could not write the symbol cache %s (%s); continuing without it", self.cache_file, exc
            )

    def _ready_index(self) -> Index:
        self.ensure_initialized()
        assert self._index is not None
        return self._index

    # -- resolution -------------------------------------------------------------------------------

    def resolve(self, symbol: str, exchange: str) -> Resolution:
        """``(coinalyze_symbol, status)``; status is ``resolved``, ``aggregated`` or ``neutral``."""
        index = self._ready_index()
        local = parse_local_symbol(symbol.strip())
        venues = index.by_coin.get(local.coin)
        if not venues:
            log.debug("%s %s: coin %s is not on Coinalyze → neutral", symbol, exchange, local.coin)
            return None, OIStatus.NEUTRAL.value
        code = index.codes.get(exchange_key(exchange))
        if code is not None and code in venues:
            own = best_market(venues[code], quote=local.quote, base=local.base)
            assert own is not None
            log.debug("%s %s → %s (resolved on its own exchange %s)", symbol, exchange, own.symbol, code)
            return own.symbol, OIStatus.RESOLVED.value
        reference = index.reference_venue(local.coin)
        assert reference is not None
        proxy = best_market(venues[reference], quote=local.quote, base=local.base)
        assert proxy is not None
        why = "exchange not covered" if code is None else "coin not listed there"
        log.debug(
            "%s %s → %s (aggregated: %s; reference venue %s)", symbol, exchange, proxy.symbol, why, reference
        )
        return proxy.symbol, OIStatus.AGGREGATED.value

    def resolve_batch(self, markets: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Resolution]:
        """Resolve many markets; keyed by the ``(symbol, exchange)`` pairs given (duplicates once)."""
        return {(symbol, exchange): self.resolve(symbol, exchange) for symbol, exchange in markets}


#: A fresh catalogue with fewer candidates than this share of the previous one is not believed.
MIN_CATALOGUE_SHARE = 0.5


def check_plausible(rows: list[dict[str, Any]], previous: Catalogue | None) -> None:
    """Raise :class:`ResponseShapeError` for a catalogue with no candidate, or one that shrank below
    :data:`MIN_CATALOGUE_SHARE` of the previous one: an API glitch, not a fact to cache for 24 h."""
    fresh = candidate_rows(rows)
    before = candidate_rows(previous.markets) if previous is not None else 0
    if fresh == 0 or fresh < MIN_CATALOGUE_SHARE * before:
        was = f" where the previous catalogue had {before}" if before else ""
        raise ResponseShapeError(
            f"implausible catalogue from /future-markets: {fresh} candidate markets{was}; not cached",
            endpoint="/future-markets",
        )


def defaults_from_client(
    settings: Settings | None, client: CoinalyzeBatchClient | None, clock: Clock | None
) -> tuple[Settings, Clock]:
    """Settings and clock for a component built on ``client``: what was given, else the client's
    (so a resolver or processor on a test's client shares its fake time), else the environment's
    settings and the real clock."""
    if settings is None:
        settings = client.settings if client is not None else load_settings()
    client_clock = getattr(client, "clock", None) if client is not None else None
    return settings, clock or (client_clock if isinstance(client_clock, Clock) else None) or SystemClock()


def get_resolver(settings: Settings | None = None, **kwargs: Any) -> CoinalyzeResolver:
    """A new resolver (no hidden singleton); settings from the environment when not given."""
    return CoinalyzeResolver(settings, **kwargs)
