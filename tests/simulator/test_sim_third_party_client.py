"""A client nobody here wrote — PyPI ``coinalyze`` 0.1.1 — talks to the simulator (docs/design.md §9).

It has its own real-time limiter (40 units per minute), so the simulator runs on the real clock here and
the whole test spends 14 units.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

coinalyze = pytest.importorskip("coinalyze")
from coinalyze import CoinalyzeClient, HistoryEndpoint  # noqa: E402
from coinalyze.util.pandas import history_response_to_df, response_to_df  # noqa: E402

from quantpro.simulator import RunningSimulator, start_simulator  # noqa: E402

BTC = "BTCUSDT_PERP.A"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CoinalyzeClient, RunningSimulator]]:
    with start_simulator() as sim:  # real clock: the package's limiter runs on real time
        # Its constant ends with "/" and is bound into the client module by `from ... import`.
        monkeypatch.setattr("coinalyze.client.BASE_API_URL", sim.base_url + "/")
        yield CoinalyzeClient(api_key="pypi-client-key"), sim


def test_catalogue_methods(client: tuple[CoinalyzeClient, RunningSimulator]) -> None:
    api, sim = client
    exchanges = api.get_exchanges()
    assert {"name": "Binance", "code": "A"} in exchanges and len(exchanges) == 26
    futures = api.get_future_markets()
    assert len(futures) >= 2000
    frame = response_to_df(futures)
    assert frame.loc[frame["symbol"] == "BTCUSDT_260327.A", "expire_at"].iloc[0].year == 2026
    spots = api.get("spot-markets")
    assert any(s["symbol"] == "BTCUSD.A" for s in spots)
    assert all(r.key_fingerprint and "pypi-client-key" not in r.raw_query for r in sim.log)


def test_current_methods(client: tuple[CoinalyzeClient, RunningSimulator]) -> None:
    api, sim = client
    oi = api.get_current_open_interest([BTC, "BTC.H"])
    assert [item["symbol"] for item in oi] == [BTC, "BTC.H"]
    funding = api.get_current_funding_rate(BTC)
    predicted = api.get_current_predicted_funding_rate(BTC)
    for items in (funding, predicted):
        assert abs(items[0]["value"]) < 0.1 and items[0]["update"] > 1e12
    assert response_to_df(funding)["update"].iloc[0].year >= 2025
    assert [r.units_charged for r in sim.log] == [2, 1, 1]
    assert sim.log[0].raw_query == "symbols=BTCUSDT_PERP.A%2CBTC.H"


@pytest.mark.parametrize("endpoint", list(HistoryEndpoint))
def test_history_methods(client: tuple[CoinalyzeClient, RunningSimulator], endpoint: HistoryEndpoint) -> None:
    api, sim = client
    end = dt.datetime.now(dt.UTC)
    usd = True if endpoint in (HistoryEndpoint.OI, HistoryEndpoint.LIQUIDATION) else None
    response = api.get_history(endpoint, BTC, "1hour", end - dt.timedelta(hours=12), end, usd)
    assert [item["symbol"] for item in response] == [BTC]
    frame = history_response_to_df(response, endpoint)
    assert not frame.empty and frame["timestamp"].is_monotonic_increasing
    assert sim.log[-1].path == f"/{endpoint}" and sim.log[-1].status == 200
