"""A venue down or rate-limiting degrades into ``VenueSnapshot.error`` with a reason, never an exception;
Binance's per-symbol OI honours ``oi_symbols`` and ``max_requests`` (docs/design.md §11). Fake clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from quantpro.clock import FakeClock
from quantpro.simulator.venues import RunningFakes, VenueWorld
from quantpro.venues import Venue, VenueClient, snapshot_venue

Make = Callable[..., VenueClient]
ALL = [v.value for v in Venue]


@pytest.mark.parametrize("venue", ALL)
def test_a_venue_down_is_an_error_with_a_reason(client: Make, fakes: RunningFakes, venue: str) -> None:
    fakes[venue].set_down()
    snap = snapshot_venue(client(venue))
    assert snap.perps == [] and snap.error is not None
    assert snap.error.startswith("unreachable") and venue in snap.error
    assert snap.requests == 4  # the bounded retries, then it gives up
    assert snap.finished_ms >= snap.started_ms


@pytest.mark.parametrize("venue", ALL)
def test_a_proxy_answering_502_is_a_server_error(client: Make, fakes: RunningFakes, venue: str) -> None:
    fakes[venue].set_down(status=502)
    snap = snapshot_venue(client(venue, attempts=2))
    assert snap.perps == [] and snap.error is not None and snap.error.startswith("server error (HTTP 502)")
    assert snap.requests == 2


def _bulk_path(venue: str) -> Callable[[object], bool]:
    paths = {
        "BINANCE": "/fapi/v1/premiumIndex",
        "BYBIT": "/v5/market/tickers",
        "OKX": "/api/v5/public/open-interest",
        "BITGET": "/api/v2/mix/market/tickers",
        "MEXC": "/api/v1/contract/ticker",
        "KUCOIN": "/api/v1/contracts/active",
        "HYPERLIQUID": "/info",
    }
    return lambda r: getattr(r, "path", None) == paths[venue]


@pytest.mark.parametrize("venue", ALL)
def test_a_429_with_retry_after_is_waited_out_and_counted(
    client: Make, fakes: RunningFakes, world: VenueWorld, clock: FakeClock, venue: str
) -> None:
    fakes[venue].fail(_bulk_path(venue), 429, retry_after="7", body={"code": 429, "msg": "Too many requests"})
    start = clock.now()
    snap = snapshot_venue(client(venue))
    assert snap.error is None and snap.http_429 == 1
    assert {p.venue_id for p in snap.perps} == {m.venue_id for m in world.perpetuals(venue, start)}
    assert 7.0 in clock.sleeps  # the venue's Retry-After, on the injected clock


@pytest.mark.parametrize("venue", ["BYBIT", "OKX", "HYPERLIQUID"])
def test_a_venue_that_keeps_rate_limiting_degrades(client: Make, fakes: RunningFakes, venue: str) -> None:
    fakes[venue].fail(_bulk_path(venue), 429, times=100)  # no Retry-After: our own backoff
    venue_client = client(venue)
    snap = snapshot_venue(venue_client)
    assert snap.perps == [] and snap.error is not None and snap.error.startswith("rate-limited (HTTP 429)")
    assert snap.http_429 == venue_client.attempts


def test_a_418_ban_is_not_waited_out_and_holds_every_later_request(
    client: Make, fakes: RunningFakes, clock: FakeClock
) -> None:
    binance = client("BINANCE")
    snapshot_venue(binance)  # warm: markets and funding intervals loaded
    fakes["BINANCE"].fail(
        "/fapi/v1/premiumIndex", 418, retry_after="3600", body={"code": -1003, "msg": "banned"}
    )
    sent = len(fakes["BINANCE"].log)
    snap = snapshot_venue(binance)
    assert snap.error is not None and "HTTP 418" in snap.error and "Retry-After 3600" in snap.error
    assert len(fakes["BINANCE"].log) == sent + 1  # not retried into a ban
    again = snapshot_venue(binance)  # the pacing holds: nothing is sent during the ban
    assert again.error is not None and again.error.startswith("rate-limited") and again.requests == 0
    assert len(fakes["BINANCE"].log) == sent + 1
    clock.advance(3600)
    assert snapshot_venue(binance).error is None


def test_binance_oi_follows_oi_symbols_in_order_within_max_requests(
    client: Make, fakes: RunningFakes, world: VenueWorld
) -> None:
    binance = client("BINANCE")
    snapshot_venue(binance, max_requests=0)  # warm up: markets, intervals and funding only
    sent = len(fakes["BINANCE"].log)
    wanted = ["SOL/USDT:USDT", "NOPE/USDT:USDT", "BTC/USDT:USDT", "ETH/USDT:USDT", "1000PEPE/USDT:USDT"]
    snap = snapshot_venue(binance, oi_symbols=wanted, max_requests=3)
    asked = [r.params["symbol"] for r in fakes["BINANCE"].log[sent:] if r.path == "/fapi/v1/openInterest"]
    assert asked == ["SOLUSDT", "BTCUSDT"]  # the unknown symbol is not asked; 1 + 2 = max_requests
    assert snap.requests == 3 and snap.error is None
    with_oi = {p.venue_id for p in snap.perps if p.oi_base is not None}
    assert with_oi == {"SOLUSDT", "BTCUSDT"}
    assert len(snap.perps) == len(world.perpetuals("BINANCE", snap.started_ms / 1000))  # funding for all
    assert all(p.funding_rate is not None for p in snap.perps)


def test_binance_oi_of_every_perpetual_when_no_list_is_given(client: Make, world: VenueWorld) -> None:
    binance = client("BINANCE")
    snapshot_venue(binance, max_requests=0)
    snap = snapshot_venue(binance)
    n = len(world.perpetuals("BINANCE", snap.started_ms / 1000))
    assert snap.requests == 1 + n and all(p.oi_base is not None for p in snap.perps)


def test_binance_rate_limit_mid_loop_keeps_what_arrived(
    client: Make, fakes: RunningFakes, clock: FakeClock
) -> None:
    binance = client("BINANCE", attempts=2)
    snapshot_venue(binance, max_requests=0)
    seen: list[str] = []

    def third_and_later(request: object) -> bool:
        if getattr(request, "path", None) != "/fapi/v1/openInterest":
            return False
        seen.append(str(getattr(request, "params", {}).get("symbol")))
        return len(seen) >= 3

    fakes["BINANCE"].fail(third_and_later, 429, times=100)
    snap = snapshot_venue(binance)
    assert snap.error is not None and snap.error.startswith("open interest stopped after 2 of 5 symbols")
    assert "rate-limited" in snap.error and snap.http_429 == 2
    assert sum(p.oi_base is not None for p in snap.perps) == 2 and len(snap.perps) == 5
    assert len(seen) == 2 + 2  # two answered, then the third asked twice (attempts=2); the rest never


def test_binance_a_refused_symbol_is_skipped(client: Make, fakes: RunningFakes) -> None:
    binance = client("BINANCE")
    snapshot_venue(binance, max_requests=0)
    fakes["BINANCE"].fail(
        lambda r: r.path == "/fapi/v1/openInterest" and r.params.get("symbol") == "ETHUSDT",
        400,
        body={"code": -1121, "msg": "Invalid symbol."},
    )
    snap = snapshot_venue(binance)
    assert snap.error is None
    missing = [p.venue_id for p in snap.perps if p.oi_base is None]
    assert missing == ["ETHUSDT"]


def test_a_garbled_answer_is_an_error_not_an_exception(client: Make, fakes: RunningFakes) -> None:
    fakes["MEXC"].fail("/api/v1/contract/ticker", 200, body="<html>maintenance</html>")
    snap = snapshot_venue(client("MEXC"))
    assert snap.perps == [] and snap.error is not None
