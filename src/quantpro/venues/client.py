"""Building ccxt exchanges and talking to them: URL overrides, pacing, error translation, retries.

This is the only module that touches ccxt's exceptions. Every request goes through
:meth:`VenueClient.call`: wait for the venue's budget, send, translate a failure into
:mod:`quantpro.errors`, and retry the temporary ones a bounded number of times on the
injected clock (honouring ``Retry-After`` on a 429). A 429 or 418 also pushes the venue's pacing
back, for every process sharing it (``pacing_dir``); a ``Retry-After`` longer than
:data:`MAX_RETRY_AFTER_S` (a ban) is not waited out: the call fails at once with the wait in the error.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import ccxt
import requests
import urllib3
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from quantpro.clock import Clock, format_duration
from quantpro.errors import (
    BadRequestError,
    ConfigError,
    RateLimitError,
    RemoteError,
    ServerError,
    TemporaryError,
    TransportError,
)
from quantpro.net.deadline import MAX_ANSWER_BYTES, AnswerTooLarge, AnswerTooSlow, Deadline, read_bounded
from quantpro.net.pacing import Pacer
from quantpro.net.retry import parse_retry_after as _parse_retry_after
from quantpro.net.retry import venue_retry_delay
from quantpro.settings import Settings
from quantpro.venues.table import Venue, VenueSpec

log = logging.getLogger(__name__)

T = TypeVar("T")

URL_ENV_PREFIX = "QUANTPRO_EXCHANGE_URL_"
#: Longest wait we accept from a ``Retry-After`` header before retrying anyway.
MAX_RETRY_AFTER_S = 120.0
#: Longest ban we believe from a ``Retry-After`` header (Binance's 418 says how long, up to days).
MAX_BAN_S = 6 * 3600.0


def exchange_url_overrides(environ: Mapping[str, str]) -> dict[Venue, str]:
    """``QUANTPRO_EXCHANGE_URL_<VENUE>=http://host:port`` for each venue that has one.

    Called by the CLI with ``os.environ``. A bad URL or an unknown venue is a ConfigError, so a typo
    does not silently send the download to the real venue.
    """
    overrides: dict[Venue, str] = {}
    for key, value in environ.items():
        if not key.upper().startswith(URL_ENV_PREFIX) or not value.strip():
            continue
        name = key[len(URL_ENV_PREFIX) :].upper()
        try:
            venue = Venue(name)
        except ValueError:
            valid = ", ".join(v.value for v in Venue)
            raise ConfigError(f"{key}: unknown exchange {name!r}; valid exchanges are {valid}") from None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"{key} must be an http(s) URL such as http://127.0.0.1:9001, got {value!r}")
        overrides[venue] = value.strip().rstrip("/")
    return overrides


def venue_urls(settings: Settings) -> dict[Venue, str]:
    """The settings' ``QUANTPRO_EXCHANGE_URL_<VENUE>`` overrides, by venue (unknown venues refused)."""
    return exchange_url_overrides(
        {URL_ENV_PREFIX + name: url for name, url in settings.exchange_urls.items()}
    )


def rebase_url(url: str, base: str) -> str:
    """Replace the scheme and host of ``url`` with ``base`` (and its path prefix), keeping the path."""
    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return base.rstrip("/") + tail


def rebase_urls(value: Any, base: str) -> Any:
    """Rebase every URL string in a (possibly nested) ccxt ``urls['api']`` value."""
    if isinstance(value, str):
        return rebase_url(value, base)
    if isinstance(value, dict):
        return {key: rebase_urls(item, base) for key, item in value.items()}
    return value


def build_exchange(spec: VenueSpec, *, base_url: str | None = None, timeout_s: float = 30.0) -> Any:
    """A ccxt exchange for a public download: its own throttle off (we pace), nothing private loaded.

    The rebased ``urls['api']`` is assigned after construction because ccxt deep-merges a ``urls``
    given to the constructor with its defaults, which would keep the real hosts for unnamed keys.
    """
    exchange_class = getattr(ccxt, spec.ccxt_id)
    exchange = exchange_class(
        {"enableRateLimit": False, "timeout": int(timeout_s * 1000), "options": copy.deepcopy(spec.options)}
    )
    exchange.has["fetchCurrencies"] = False
    exchange.session = BoundedSession()
    if base_url is not None:
        exchange.urls["api"] = rebase_urls(copy.deepcopy(exchange.urls["api"]), base_url)
    return exchange


def _body_chunks(response: requests.Response) -> Iterator[bytes]:
    """The decoded body as it arrives: ``read1`` returns whatever one read brought (``iter_content``
    would block until a whole chunk of 64 KiB is in, however slowly it trickles)."""
    raw = response.raw
    if raw.chunked:
        yield from response.iter_content(64 * 1024)
        return
    while data := raw.read1(64 * 1024, decode_content=True):
        yield data


class BoundedSession(requests.Session):
    """ccxt's HTTP session with a total deadline and a decoded-size cap per answer (issue 16 §3, §6).

    ccxt's sync client calls ``session.request(..., timeout=seconds)``, which bounds each read only. Here
    the body is streamed through :func:`~quantpro.net.deadline.read_bounded` against a deadline of that
    same timeout, counted from the send; a trickle raises ``ReadTimeout`` (ccxt: ``RequestTimeout``),
    a bomb a "Connection broken" error (ccxt: ``NetworkError``).
    """

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        timeout = kwargs.get("timeout")
        deadline = Deadline(float(timeout) if isinstance(timeout, int | float) else 30.0)
        kwargs["stream"] = True
        response = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
        try:
            body = read_bounded(_body_chunks(response), deadline=deadline, max_bytes=MAX_ANSWER_BYTES)
        except AnswerTooSlow as exc:
            raise requests.exceptions.ReadTimeout(f"Read timed out: {exc}") from None
        except (AnswerTooLarge, urllib3.exceptions.HTTPError) as exc:
            raise requests.exceptions.ChunkedEncodingError(f"Connection broken: {exc}") from None
        finally:
            response.close()
        response._content = body
        return response


def parse_retry_after(value: str | None) -> float | None:
    """The seconds in a venue's ``Retry-After`` header, capped lower than Coinalyze's (see ratelimit)."""
    return _parse_retry_after(value, cap=MAX_RETRY_AFTER_S)


retry_delay = venue_retry_delay


def _worth_retrying(error: BaseException) -> bool:
    """Temporary failures, except a rate limit whose ``Retry-After`` is longer than we wait (a ban)."""
    if isinstance(error, RateLimitError) and error.retry_after is not None:
        return error.retry_after <= MAX_RETRY_AFTER_S
    return isinstance(error, TemporaryError)


@dataclass
class _LastResponse:
    """What the last HTTP answer was, recorded by a hook on ccxt's ``on_rest_response``."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    sent: int = 0


def _record_responses(exchange: Any) -> _LastResponse:
    """Hook ccxt's HTTP layer: count every request sent (a markets call may be several) and keep the
    last answer's status and headers."""
    state = _LastResponse()
    original = exchange.on_rest_response
    send = exchange.fetch

    def counting_fetch(*args: Any, **kwargs: Any) -> Any:
        state.sent += 1
        return send(*args, **kwargs)

    exchange.fetch = counting_fetch

    def recorder(code: int, reason: str, url: str, method: str, headers: Any, body: str, *rest: Any) -> Any:
        state.status = int(code)
        state.headers = {str(k).lower(): str(v) for k, v in dict(headers).items()}
        return original(code, reason, url, method, headers, body, *rest)

    exchange.on_rest_response = recorder
    return state


def translate_error(
    exc: Exception, status: int | None, headers: Mapping[str, str], venue: str
) -> RemoteError:
    """One linear mapping from a ccxt failure (and the HTTP status, if any) to the shared error tree."""
    message = f"{venue}: {type(exc).__name__}: {str(exc)[:300]}"
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection) or status in {418, 429}:
        retry_after = parse_retry_after(headers.get("retry-after"))
        return RateLimitError(message, source=venue, retry_after=retry_after, status_code=status or 429)
    if status is not None and (status >= 500 or status == 408):
        return ServerError(message, source=venue, status_code=status)
    if isinstance(exc, ccxt.RequestTimeout):
        return TransportError(message, source=venue, status_code=status)
    if status is not None and 400 <= status < 500:
        return BadRequestError(message, source=venue, status_code=status)
    if isinstance(exc, ccxt.NetworkError | ccxt.BadResponse):
        return TransportError(message, source=venue, status_code=status)
    return BadRequestError(message, source=venue, status_code=status)


class VenueClient:
    """One venue's ccxt exchange behind a pacer and a bounded retry policy.

    ``pacing_dir`` shares the venue's pacing with every QuantPro process using that directory
    (docs/design.md §11); the statistics endpoints get their own pacer where the venue table gives
    them a pool (``stats_budget``). ``requests`` counts HTTP requests sent (ccxt's markets call is several
    on some venues), ``retries`` and ``http_429`` what went wrong.
    """

    def __init__(
        self,
        spec: VenueSpec,
        exchange: Any,
        clock: Clock,
        *,
        pacer: Pacer | None = None,
        attempts: int = 4,
        pacing_dir: Path | None = None,
    ) -> None:
        self.spec = spec
        self.exchange = exchange
        self.clock = clock
        name = spec.venue.value
        self.pacer = pacer or Pacer(spec.budget, clock, name=name, state_dir=pacing_dir)
        self.stats_pacer = (
            Pacer(spec.stats_budget, clock, name=f"{name}-stats", state_dir=pacing_dir)
            if spec.stats_budget is not None
            else self.pacer
        )
        self.attempts = attempts
        self.retries = 0
        self.http_429 = 0
        self.markets_loaded_at: float | None = None
        #: Small per-client caches of venue facts (Binance's funding intervals), with their load time.
        self.memo: dict[str, tuple[float, Any]] = {}
        self._last = _record_responses(exchange)
        # ccxt decides some requests from its own idea of "now" (Bitget picks its recent or history
        # candle endpoint by the age of ``since``; several cap ``endTime`` at now): give it our clock.
        exchange.milliseconds = lambda: int(clock.now() * 1000)

    @property
    def requests(self) -> int:
        """HTTP requests sent through this client so far."""
        return self._last.sent

    @classmethod
    def connect(
        cls,
        spec: VenueSpec,
        clock: Clock,
        *,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        attempts: int = 4,
        pacing_dir: Path | None = None,
    ) -> VenueClient:
        """A client for ``spec``'s venue (at ``base_url``, e.g. a loopback fake), nothing sent yet."""
        exchange = build_exchange(spec, base_url=base_url, timeout_s=timeout_s)
        return cls(spec, exchange, clock, attempts=attempts, pacing_dir=pacing_dir)

    def load_markets(self, *, reload: bool = False) -> dict[str, Any]:
        """Every market the narrowed ccxt options load (linear perpetuals, mostly); ccxt keeps them,
        so only the first call (or ``reload``) sends requests."""
        if self.exchange.markets and not reload:
            return dict(self.exchange.markets)
        markets: dict[str, Any] = self.call(
            "markets", self.spec.markets_cost, lambda: self.exchange.load_markets(True)
        )
        self.markets_loaded_at = self.clock.now()
        return markets

    def markets_age(self) -> float | None:
        """Seconds since the markets were loaded by this client (None: never)."""
        return None if self.markets_loaded_at is None else self.clock.now() - self.markets_loaded_at

    def fetch_tickers(self) -> dict[str, Any]:
        """The whole venue's tickers: one bulk call (one per product type where the venue splits them)."""
        tickers: dict[str, Any] = {}
        for call in self.spec.tickers_calls:
            part: dict[str, Any] = self.call(
                "tickers",
                self.spec.tickers_cost,
                functools.partial(self.exchange.fetch_tickers, None, dict(call)),
            )
            tickers.update(part)
        return tickers

    def fetch_ohlcv(self, symbol: str, timeframe: str, since: int, limit: int, until: int) -> list[list[Any]]:
        """One page: candles opening from ``since`` (ms) to ``until``, at most ``limit`` of them.

        ``until`` is just before the next page's first open time, so it works whether a venue reads its
        end bound as inclusive (Bybit, Hyperliquid) or exclusive (OKX's ``after``).
        """
        params: dict[str, Any] = {"until": until} if self.spec.supports_until else {}
        rows: list[list[Any]] = self.call(
            f"ohlcv {symbol} {timeframe} since={since} limit={limit}",
            self.spec.candle_cost(limit),
            lambda: self.exchange.fetch_ohlcv(symbol, timeframe, since, limit, params),
        )
        return rows

    def call(self, what: str, cost: float, fn: Callable[[], T], *, stats: bool = False) -> T:
        """Send one ccxt call: paced (``stats``: on the statistics pool), translated, retried."""
        pacer = self.stats_pacer if stats else self.pacer
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(_worth_retrying),
            sleep=self.clock.sleep,
            before_sleep=lambda state: self._before_sleep(what, state),
            reraise=True,
        )
        result: T = retrying(self._attempt, what, cost, fn, pacer)
        return result

    def _attempt(self, what: str, cost: float, fn: Callable[[], T], pacer: Pacer) -> T:
        pacer.acquire(cost, what, max_wait=MAX_RETRY_AFTER_S)
        self._last.status, self._last.headers = None, {}
        try:
            return fn()
        except ccxt.BaseError as exc:
            error = translate_error(exc, self._last.status, self._last.headers, self.spec.venue.value)
            if isinstance(error, RateLimitError):
                self._rate_limited(error, pacer)
            raise error from exc
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # ccxt parsing an unexpected answer
            raise BadRequestError(
                f"{self.spec.venue.value}: unexpected answer to {what}: {exc!r}", source=self.spec.venue.value
            ) from exc

    def _rate_limited(self, error: RateLimitError, pacer: Pacer) -> None:
        """Count the 429/418 and hold the venue's (shared) pacing for as long as it asked."""
        self.http_429 += 1
        told = _parse_retry_after(self._last.headers.get("retry-after"), cap=MAX_BAN_S)
        if told is not None:
            error.retry_after = told
        pacer.penalise(told if told is not None else retry_delay(1, error))

    @staticmethod
    def _wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return retry_delay(state.attempt_number, error)

    def _before_sleep(self, what: str, state: RetryCallState) -> None:
        self.retries += 1
        error = state.outcome.exception() if state.outcome is not None else None
        delay = state.upcoming_sleep
        log.warning(
            "%s: %s failed (%s); retry %d in %s",
            self.spec.venue.value,
            what,
            error,
            state.attempt_number,
            format_duration(delay or 0.0),
        )
