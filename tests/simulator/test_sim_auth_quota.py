"""Auth and quota, against the running server (docs/coinalyze_api.md §1–§2, §9)."""

from __future__ import annotations

import logging

import httpx
import pytest

from quantpro.clock import FakeClock
from quantpro.simulator import RunningSimulator, SimulatorConfig, start_simulator

from .conftest import KEY

UNAUTHORIZED = {"message": "Invalid/Missing API key"}


def _symbols(n: int, start: int = 0) -> str:
    """n distinct known symbols (costs n units)."""
    from quantpro.simulator import build_catalogue

    rows = [r["symbol"] for r in build_catalogue().future_markets if r["exchange"] == "A"]
    return ",".join(str(s) for s in rows[start : start + n])


def _oi(client: httpx.Client, symbols: str, **headers: str) -> httpx.Response:
    return client.get("open-interest", params={"symbols": symbols}, headers=headers)


# -- auth --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"api_key": ""}])
def test_missing_or_empty_key_is_401_with_the_exact_body(
    sim: RunningSimulator, headers: dict[str, str]
) -> None:
    r = httpx.get(f"{sim.base_url}/exchanges", headers=headers)
    assert r.status_code == 401
    assert r.json() == UNAUTHORIZED
    assert r.content == b'{"message":"Invalid/Missing API key"}'


def test_key_in_query_parameter_is_accepted(sim: RunningSimulator) -> None:
    r = httpx.get(f"{sim.base_url}/exchanges", params={"api_key": "anything"})
    assert r.status_code == 200
    assert sim.log[-1].key_fingerprint is not None
    assert "anything" not in sim.log[-1].key_fingerprint


def test_restricted_keys_refuse_others(clock: FakeClock) -> None:
    with start_simulator(SimulatorConfig(api_keys=frozenset({"good"})), clock=clock) as sim:
        assert httpx.get(f"{sim.base_url}/exchanges", headers={"api_key": "good"}).status_code == 200
        bad = httpx.get(f"{sim.base_url}/exchanges", headers={"api_key": "bad"})
        assert (bad.status_code, bad.json()) == (401, UNAUTHORIZED)


def test_revoked_key_gets_401_from_then_on(sim: RunningSimulator, http: httpx.Client) -> None:
    assert http.get("exchanges").status_code == 200
    sim.revoke_key(KEY)
    r = http.get("exchanges")
    assert (r.status_code, r.json()) == (401, UNAUTHORIZED)
    assert httpx.get(f"{sim.base_url}/exchanges", headers={"api_key": "other"}).status_code == 200


def test_unknown_path_is_404_with_a_message(http: httpx.Client, sim: RunningSimulator) -> None:
    r = http.get("open-interest-histories")
    assert r.status_code == 404 and "message" in r.json()
    assert (
        httpx.get(sim.base_url.removesuffix("/v1") + "/exchanges", headers={"api_key": KEY}).status_code
        == 404
    )


def test_set_down_gives_503_everywhere_uncharged(sim: RunningSimulator, http: httpx.Client) -> None:
    sim.set_down(True)
    assert http.get("exchanges").status_code == 503
    assert _oi(http, _symbols(3)).status_code == 503
    sim.set_down(False)
    assert http.get("exchanges").status_code == 200
    assert sim.simulator.units_used(KEY) == 1


# -- quota -------------------------------------------------------------------------------------------


def test_window_is_weighted_by_symbols_and_retry_after_is_exact(
    sim: RunningSimulator, http: httpx.Client, clock: FakeClock
) -> None:
    assert _oi(http, _symbols(20)).status_code == 200
    clock.advance(11.2)
    assert _oi(http, _symbols(20, 20)).status_code == 200
    r = _oi(http, _symbols(1, 40))
    assert r.status_code == 429
    assert r.json() == {"message": "Too many requests"}
    wait = float(r.headers["Retry-After"])
    assert r.headers["Retry-After"] == f"{wait:.3f}"
    assert 0 < wait <= 60.0
    assert wait == pytest.approx(60.0 - 11.2, abs=0.002)  # the oldest 20 units free first
    clock.advance(wait)
    assert _oi(http, _symbols(1, 40)).status_code == 200


def test_retry_after_in_whole_seconds_when_configured(clock: FakeClock) -> None:
    with (
        start_simulator(SimulatorConfig(retry_after_decimals=0), clock=clock) as whole,
        httpx.Client(base_url=whole.base_url + "/", headers={"api_key": KEY}, timeout=10) as http,
    ):
        assert _oi(http, _symbols(20)).status_code == 200
        assert _oi(http, _symbols(20, 20)).status_code == 200
        clock.advance(11.2)
        r = _oi(http, _symbols(1, 40))
        assert r.status_code == 429 and r.headers["Retry-After"] == "49"  # 48.8 rounded up
        clock.advance(49)
        assert _oi(http, _symbols(1, 40)).status_code == 200


def test_429_and_refusals_are_not_charged(sim: RunningSimulator, http: httpx.Client) -> None:
    assert _oi(http, _symbols(20)).status_code == 200
    assert _oi(http, _symbols(21)).status_code == 400  # too many symbols: not charged
    assert _oi(http, _symbols(20, 20)).status_code == 200
    assert _oi(http, _symbols(5)).status_code == 429
    assert httpx.get(f"{sim.base_url}/open-interest", params={"symbols": "X.A"}).status_code == 401
    assert sim.simulator.units_used(KEY) == 40
    charged = [(rec.status, rec.units_charged) for rec in sim.log]
    assert charged == [(200, 20), (400, 0), (200, 20), (429, 0), (401, 0)]


def test_window_is_per_key(sim: RunningSimulator, http: httpx.Client) -> None:
    assert _oi(http, _symbols(20)).status_code == 200
    assert _oi(http, _symbols(20, 20)).status_code == 200
    assert _oi(http, _symbols(1)).status_code == 429
    assert _oi(http, _symbols(1), api_key="another").status_code == 200


def test_catalogue_costs_one_and_unknown_symbols_cost_too(sim: RunningSimulator, http: httpx.Client) -> None:
    assert http.get("future-markets").status_code == 200
    r = _oi(http, "NOPE.A,ALSO_NOPE.6,BTCUSDT_PERP.A")
    assert [item["symbol"] for item in r.json()] == ["BTCUSDT_PERP.A"]
    assert sim.simulator.units_used(KEY) == 1 + 3


def test_no_rate_limit_headers_on_200(http: httpx.Client) -> None:
    r = _oi(http, _symbols(2))
    assert r.status_code == 200
    assert not [h for h in r.headers if "ratelimit" in h.lower() or h.lower() == "retry-after"]


def test_over_20_symbols_is_400_and_configurable(clock: FakeClock, http: httpx.Client) -> None:
    r = _oi(http, _symbols(21))
    assert r.status_code == 400 and "20" in r.json()["message"]
    with start_simulator(SimulatorConfig(max_symbols=None), clock=clock) as lax:
        r = httpx.get(
            f"{lax.base_url}/open-interest", params={"symbols": _symbols(40)}, headers={"api_key": KEY}
        )
        assert r.status_code == 200 and len(r.json()) == 40
        assert lax.simulator.units_used(KEY) == 40
        again = httpx.get(f"{lax.base_url}/exchanges", headers={"api_key": KEY})
        assert again.status_code == 429


def test_requests_are_logged_without_the_key(
    sim: RunningSimulator, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="quantpro.simulator"):
        _oi(http, _symbols(2))
        httpx.get(f"{sim.base_url}/exchanges", params={"api_key": "secret-in-url"})
    text = caplog.text
    assert "/open-interest" in text
    assert KEY not in text and "secret-in-url" not in text
    assert sim.log[-1].raw_query == "api_key=secret-in-url"  # recorded exactly, for the client's tests
