"""The Coinalyze batch client: the only code that sends HTTP requests to the API (docs/design.md §2, §5, §6).

Every request goes through the same path: the limiter reserves one unit per symbol (one for a
catalogue call) → one GET with the key in the ``api_key`` header → the status is translated into the
exception tree *once*, here (:func:`error_for_status`) → the reservation is settled at the answer's
arrival, or released when the API did not charge (400/401/403/429) → the body is parsed, a wrong shape
being a temporary error like a truncated body. tenacity re-sends temporary failures a bounded number of
times, sleeping on the injected clock: 429s wait ``Retry-After`` (or a full window) through the
limiter; 5xx, timeouts, connection errors and malformed bodies back off 1, 2, 4 s. A 401/403 stops at
once. The key never appears in a URL, a log line or an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
import tenacity

from quantpro.clock import Clock, SystemClock, format_duration
from quantpro.errors import (
    AuthenticationError,
    CoinalyzeError,
    RateLimitError,
    TemporaryError,
)
from quantpro.models import Liquidations, OIPoint
from quantpro.net.deadline import (
    MAX_ANSWER_BYTES,
    AnswerTooLarge,
    AnswerTooSlow,
    Deadline,
    read_bounded,
)
from quantpro.net.ratelimit import RateLimiter, Reservation, key_fingerprint
from quantpro.secrets import register_secret
from quantpro.settings import Settings, load_settings
from quantpro.sources.base import SourceStats, StatsSink
from quantpro.sources.coinalyze.cache import ResponseCache, cache_table
from quantpro.sources.coinalyze.endpoints import (
    DEFAULT_HOURS,
    EXCHANGES_PATH,
    FUTURE_MARKETS_PATH,
    MAX_SYMBOLS_PER_REQUEST,
    PATHS,
    DataType,
    empty_value,
    parse_catalogue,
    parse_response,
    query_string,
    request_params,
)
from quantpro.sources.coinalyze.responses import (
    UNCHARGED_STATUSES,
    RetryPolicy,
    bounded_error,
    decode,
    error_for_status,
    error_message,
    transport_error,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_EXCHANGE_KEYS = ("name", "code")
_MARKET_KEYS = ("symbol", "exchange")


@dataclass
class ChunkOutcome:
    """The result of one data request.

    ``data`` maps every symbol asked to its parsed value (the empty value where the API had nothing or
    dropped the symbol); when the request failed after its retries, ``data`` is empty and ``failed``
    says why. ``units`` is what the API charged for it, retries included.
    """

    data: dict[str, Any]
    failed: str | None
    units: int


def chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


# -- the client ----------------------------------------------------------------------------------------


class CoinalyzeBatchClient:
    """Batches of ≤ 20 symbols, charged per symbol to a shared limiter, cached per (data type, symbol)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
        cache: ResponseCache | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.cache_dir = Path(cache_dir) if cache_dir is not None else self.settings.cache_path()
        self._owns_http = http is None
        self.http = http if http is not None else httpx.Client(timeout=self.settings.http_timeout)
        self.limiter = limiter if limiter is not None else self._default_limiter()
        self.cache = cache if cache is not None else self._default_cache()
        self._sink = StatsSink()
        #: Every request this client sent, over its lifetime (the reference design's counters).
        self.stats: SourceStats = self._sink.total
        #: (data type, symbol) → why its data could not be fetched, for the last fetch_data_type call.
        self.last_failures: dict[str, str] = {}
        if self.settings.has_api_key:
            register_secret(self.settings.api_key_value())

    def _default_limiter(self) -> RateLimiter:
        name = key_fingerprint(self.settings.api_key_value()) if self.settings.has_api_key else "no-key"
        return RateLimiter(
            self.settings.rate_limit_calls,
            self.settings.rate_limit_period,
            clock=self.clock,
            state_dir=self.cache_dir,
            name=name,
        )

    def _default_cache(self) -> ResponseCache:
        ttl = self.settings.response_ttl_minutes * 60.0
        return ResponseCache.in_cache_dir(self.cache_dir, ttl, clock=self.clock)

    @property
    def batch_size(self) -> int:
        """Symbols per request: ≤ 20 and ≤ what the limiter's window holds."""
        return max(1, min(MAX_SYMBOLS_PER_REQUEST, self.settings.batch_size, self.limiter.calls))

    def recording(self, record: SourceStats) -> AbstractContextManager[SourceStats]:
        """Count this client's requests, units, 429s and retries into ``record`` too, while it runs."""
        return self._sink.recording(record)

    # -- lifecycle ----------------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> CoinalyzeBatchClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- catalogue ----------------------------------------------------------------------------------

    def get_exchanges(self) -> list[dict[str, Any]]:
        """``/exchanges`` (1 unit). Raises a :class:`CoinalyzeError` after bounded retries."""
        return self._send(
            EXCHANGES_PATH, lambda _now: "", 1, lambda body: parse_catalogue(body, required=_EXCHANGE_KEYS)
        )

    def get_future_markets(self) -> list[dict[str, Any]]:
        """``/future-markets`` (1 unit). Raises a :class:`CoinalyzeError` after bounded retries."""
        return self._send(
            FUTURE_MARKETS_PATH, lambda _now: "", 1, lambda body: parse_catalogue(body, required=_MARKET_KEYS)
        )

    # -- data ---------------------------------------------------------------------------------------

    def fetch_chunk(
        self, data_type: DataType, symbols: Sequence[str], *, hours: int = DEFAULT_HOURS
    ) -> ChunkOutcome:
        """ONE request for ≤ ``batch_size`` symbols, retried within bounds. Nothing is cached here:
        whoever planned the request owns the cache (the batch processor, :meth:`fetch_data_type`).

        :class:`AuthenticationError` (and a missing key's ``ConfigError``) propagate: the API phase must
        stop. Any other failure comes back as ``failed`` so the caller degrades those markets and goes on.
        """
        wanted = list(dict.fromkeys(symbols))
        if not wanted:
            return ChunkOutcome({}, None, 0)
        if len(wanted) > self.batch_size:
            raise ValueError(f"{len(wanted)} symbols in one request; the limit is {self.batch_size}")
        policy = RetryPolicy()
        spent = SourceStats()
        with self._sink.recording(spent):
            try:
                data = self._send(
                    PATHS[data_type],
                    lambda now: query_string(wanted, request_params(data_type, now=now, hours=hours)),
                    len(wanted),
                    lambda body: parse_response(data_type, body, wanted),
                    policy=policy,
                )
            except AuthenticationError:
                raise
            except CoinalyzeError as exc:
                reason = f"{exc} after {policy.retries} retries" if policy.retries else str(exc)
                log.warning("%s: %d symbols failed: %s", data_type.value, len(wanted), reason)
                return ChunkOutcome({}, reason, spent.units_spent)
        return ChunkOutcome(data, None, spent.units_spent)

    def fetch_data_type(
        self, data_type: DataType, symbols: Sequence[str], *, hours: int = DEFAULT_HOURS
    ) -> dict[str, Any]:
        """Cached symbols from the cache, the rest fetched in chunks and cached; failed symbols are left
        out (why they failed is in :attr:`last_failures`, symbol → reason, until the next call)."""
        wanted = list(dict.fromkeys(symbols))
        table = cache_table(data_type, hours)
        result: dict[str, Any] = {}
        missing: list[str] = []
        for symbol in wanted:
            hit, value = self.cache.get(table, symbol)
            if hit:
                result[symbol] = value
            else:
                missing.append(symbol)
        self.last_failures = {}
        log.debug("%s: %d cached, %d to fetch", data_type.value, len(result), len(missing))
        for chunk in chunks(missing, self.batch_size):
            outcome = self.fetch_chunk(data_type, chunk, hours=hours)
            if outcome.failed is not None:
                self.last_failures.update(dict.fromkeys(chunk, outcome.failed))
                continue
            self.cache.put_many(table, outcome.data)
            result.update(outcome.data)
        return result

    def _filled(
        self, data_type: DataType, symbols: Sequence[str], hours: int = DEFAULT_HOURS
    ) -> dict[str, Any]:
        fetched = self.fetch_data_type(data_type, symbols, hours=hours)
        return {symbol: fetched.get(symbol, empty_value(data_type)) for symbol in dict.fromkeys(symbols)}

    def get_open_interest_history_batch(
        self, symbols: Sequence[str], hours: int = DEFAULT_HOURS
    ) -> dict[str, list[OIPoint]]:
        """15-minute OI closes over the last ``hours``, ascending; ``[]`` where nothing came back."""
        return self._filled(DataType.OI_HISTORY, symbols, hours)

    def get_funding_rate_batch(self, symbols: Sequence[str]) -> dict[str, float | None]:
        """Current funding in percent as the API gives it; ``None`` where nothing came back."""
        return self._filled(DataType.FUNDING_RATE, symbols)

    def get_ls_ratio_batch(self, symbols: Sequence[str]) -> dict[str, float | None]:
        """The newest 5-minute long/short ratio of the last hour; ``None`` where there is none."""
        return self._filled(DataType.LS_RATIO, symbols)

    def get_liquidations_batch(
        self, symbols: Sequence[str], hours: int = DEFAULT_HOURS
    ) -> dict[str, Liquidations | None]:
        """Σ long and short liquidations in USD; 0/0 for a known quiet market, ``None`` when dropped."""
        return self._filled(DataType.LIQUIDATIONS, symbols, hours)

    def fetch_all_data_batch(self, symbols: Sequence[str]) -> dict[str, dict[str, Any]]:
        """An entry for every symbol asked, with the four fields (empty/None where nothing came back)."""
        by_type = {data_type: self._filled(data_type, symbols) for data_type in DataType}
        return {
            symbol: {data_type.value: by_type[data_type][symbol] for data_type in DataType}
            for symbol in dict.fromkeys(symbols)
        }

    # -- one request, with retries ------------------------------------------------------------------

    def _send(
        self,
        path: str,
        build_query: Callable[[float], str],
        units: int,
        parse: Callable[[Any], T],
        *,
        policy: RetryPolicy | None = None,
    ) -> T:
        """Send until a parsed answer, a rejection, or the retry budget is spent (then re-raise)."""
        policy = policy if policy is not None else RetryPolicy()

        def attempt() -> T:
            policy.attempts += 1
            try:
                return parse(self._request(path, build_query, units))
            except TemporaryError as exc:
                policy.record(exc)
                raise

        retrying = tenacity.Retrying(
            sleep=self.clock.sleep,
            stop=policy.stop,
            wait=policy.wait,
            retry=tenacity.retry_if_exception_type(TemporaryError),
            before_sleep=self._before_retry(path, units),
            reraise=True,
        )
        return retrying(attempt)

    def _before_retry(self, path: str, units: int) -> Callable[[tenacity.RetryCallState], None]:
        def hook(state: tenacity.RetryCallState) -> None:
            self._sink.count("retries")
            exc = state.outcome.exception() if state.outcome is not None else None
            delay = state.next_action.sleep if state.next_action is not None else 0.0
            log.warning(
                "retry %d of %s (%d units) after %s; backing off %s",
                state.attempt_number,
                path,
                units,
                exc,
                format_duration(delay),
            )

        return hook

    def _request(self, path: str, build_query: Callable[[float], str], units: int) -> Any:
        """One HTTP request: reserve → GET → translate → settle or release → decoded JSON body."""
        key = self.settings.api_key_value()
        reservation = self.limiter.reserve(units)
        query = build_query(self.clock.now())
        url = f"{self.settings.base_url}{path}" + (f"?{query}" if query else "")
        self._sink.count("requests")
        deadline = Deadline(self.settings.http_timeout)
        try:
            status, headers, content = self._get(url, key, deadline)
        except httpx.TransportError as exc:
            charged = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            self._account(path, reservation, charged)
            log.debug(
                "GET %s units=%d failed: %s (waited %s)",
                path,
                units,
                type(exc).__name__,
                format_duration(reservation.waited),
            )
            raise transport_error(exc, path, self.settings.http_timeout) from exc
        except (AnswerTooSlow, AnswerTooLarge) as exc:
            self._account(path, reservation, True)
            log.debug("GET %s units=%d broken off: %s", path, units, exc)
            raise bounded_error(exc, path) from None
        self._account(path, reservation, status not in UNCHARGED_STATUSES)
        log.debug(
            "GET %s units=%d status=%d waited=%s", path, units, status, format_duration(reservation.waited)
        )
        error = error_for_status(
            status,
            endpoint=path,
            retry_after=headers.get("retry-after"),
            message=error_message(content, key) if status >= 400 else "",
        )
        if isinstance(error, RateLimitError):
            self._on_rate_limited(error)
        if error is not None:
            raise error
        return decode(content, path)

    def _get(self, url: str, key: str, deadline: Deadline) -> tuple[int, httpx.Headers, bytes]:
        """One GET, its body read within the total deadline and the size cap (issue 16 §3, §6)."""
        timeout = httpx.Timeout(deadline.read_timeout())
        with self.http.stream("GET", url, headers={"api_key": key}, timeout=timeout) as response:
            content = read_bounded(response.iter_bytes(), deadline=deadline, max_bytes=MAX_ANSWER_BYTES)
            return response.status_code, response.headers, content

    def _account(self, path: str, reservation: Reservation, charged: bool) -> None:
        """Settle a charged request at the answer's arrival, or give back units the API did not take."""
        if not charged:
            self.limiter.release(reservation)
            return
        self.limiter.settle(reservation, self.clock.now())
        catalogue = path in (EXCHANGES_PATH, FUTURE_MARKETS_PATH)
        self._sink.count("catalogue_units" if catalogue else "units_spent", reservation.units)

    def _on_rate_limited(self, error: RateLimitError) -> None:
        self._sink.count("http_429")
        wait = error.retry_after if error.retry_after is not None else self.limiter.period
        why = "no Retry-After: one window" if error.retry_after is None else "as its Retry-After says"
        log.warning("HTTP 429 on %s: waiting %s (%s)", error.endpoint, format_duration(wait), why)
        self.limiter.block_until(self.clock.now() + wait)


def get_batch_client(settings: Settings | None = None, **kwargs: Any) -> CoinalyzeBatchClient:
    """The reference design's factory: settings from the environment and ``quantpro.toml`` when omitted."""
    return CoinalyzeBatchClient(settings if settings is not None else load_settings(), **kwargs)
