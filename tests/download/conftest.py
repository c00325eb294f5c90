"""Fixtures: loopback fakes of Bybit, OKX and Hyperliquid on one fake clock, and a run helper."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quantpro.clock import FakeClock
from quantpro.download import DownloadReport, DownloadRequest, Venue, download

from .fakes import FakeBybit, FakeHyperliquid, FakeKuCoin, FakeMarket, FakeOKX, FakeVenue

BYBIT_MARKETS = [
    FakeMarket("BTCUSDT", "BTC", "BTCUSDT", 90_000, 5e9),
    FakeMarket("1000PEPEUSDT", "PEPE", "1000PEPEUSDT", 0.01, 3e8, {"base": "1000PEPE"}),
    FakeMarket("ETHPERP", "ETH", "ETHUSDC", 3_000, 2e8, {"base": "ETH", "quote": "USDC"}),
    FakeMarket("SOLUSDT", "SOL", "SOLUSDT", 150, 1e8),
    # excluded: a dated future and a market not trading
    FakeMarket(
        "BTCUSDT-27MAR26",
        "BTC",
        "",
        90_000,
        1e9,
        {"base": "BTC", "contractType": "LinearFutures", "deliveryTime": "1774598400000"},
    ),
    FakeMarket("OLDUSDT", "OLD", "", 1, 1e9, {"base": "OLD", "status": "Closed"}),
]
OKX_MARKETS = [
    FakeMarket("BTC-USDT-SWAP", "BTC", "BTCUSDT", 90_000, 4e9, {"ctVal": "0.01"}),
    FakeMarket("PEPE-USDT-SWAP", "PEPE", "PEPEUSDT", 0.00001, 2e8, {"ctVal": "10000000"}),
    FakeMarket("ETH-USDC-SWAP", "ETH", "ETHUSDC", 3_000, 1e8, {"ctVal": "0.001"}),
    FakeMarket("BTC-USD-SWAP", "BTC", "", 90_000, 9e9, {"ctVal": "100"}),  # coin-margined: excluded
]
HL_MARKETS = [
    FakeMarket("BTC", "BTC", "BTCUSDT", 90_000, 2e9),
    FakeMarket("kPEPE", "PEPE", "kPEPEUSDT", 0.01, 5e7),
    FakeMarket("HYPE", "HYPE", "HYPEUSDT", 30, 3e8),
    FakeMarket("MKR", "MKR", "", 1_500, 1e6, {"isDelisted": True}),  # delisted: excluded
]
KUCOIN_MARKETS = [
    FakeMarket("XBTUSDTM", "BTC", "XBTUSDTM", 90_000, 3e9, {"base": "XBT"}),
    FakeMarket("1000PEPEUSDTM", "PEPE", "1000PEPEUSDTM", 0.01, 1e8, {"base": "1000PEPE"}),
    FakeMarket(
        "XBTUSDM",
        "BTC",
        "",
        90_000,
        9e9,  # coin-margined: excluded
        {"base": "XBT", "quoteCurrency": "USD", "settleCurrency": "XBT", "isInverse": True},
    ),
]


def expected_markets(fake: FakeVenue) -> list[FakeMarket]:
    return [m for m in fake.markets if m.expected_local]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # 2026-01-19 17:00 UTC: a 15m candle opens right now (forming)


@pytest.fixture
def bybit(clock: FakeClock) -> Iterator[FakeBybit]:
    with FakeBybit(clock, list(BYBIT_MARKETS)).running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def okx(clock: FakeClock) -> Iterator[FakeOKX]:
    with FakeOKX(clock, list(OKX_MARKETS)).running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def hyperliquid(clock: FakeClock) -> Iterator[FakeHyperliquid]:
    with FakeHyperliquid(clock, list(HL_MARKETS)).running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def kucoin(clock: FakeClock) -> Iterator[FakeKuCoin]:
    with FakeKuCoin(clock, list(KUCOIN_MARKETS)).running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(clock: FakeClock, data_dir: Path, *fakes: FakeVenue, **options: object) -> DownloadReport:
    """One download against the given fakes (each fake's ``name`` is its venue)."""
    urls = {Venue(f.name): f.url for f in fakes}
    request = DownloadRequest(
        data_dir,
        [Venue(f.name) for f in fakes],
        url_overrides=urls,
        timeout_s=5,
        **options,  # type: ignore[arg-type]
    )
    return download(request, clock)


@pytest.fixture(autouse=True)
def _no_url_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a developer's QUANTPRO_EXCHANGE_URL_* (it would redirect the CLI tests)."""
    for venue in Venue:
        monkeypatch.delenv(f"QUANTPRO_EXCHANGE_URL_{venue.value}", raising=False)
