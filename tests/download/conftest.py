"""Fixtures: loopback fakes of the seven venues on one fake clock, and a run helper."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quantpro.clock import FakeClock
from quantpro.download import DownloadReport, DownloadRequest, download
from quantpro.simulator.venues import (
    FakeBinance,
    FakeBitget,
    FakeBybit,
    FakeHyperliquid,
    FakeKuCoin,
    FakeMarket,
    FakeMEXC,
    FakeOKX,
    FakeVenue,
)
from quantpro.venues import Venue

BYBIT_MARKETS = [
    FakeMarket("BTCUSDT", "BTC", "BTCUSDT", 90_000, 5e9),
    FakeMarket("1000PEPEUSDT", "PEPE", "1000PEPEUSDT", 0.01, 3e8, base="1000PEPE"),
    FakeMarket("ETHPERP", "ETH", "ETHUSDC", 3_000, 2e8, quote="USDC"),
    FakeMarket("SOLUSDT", "SOL", "SOLUSDT", 150, 1e8),
    # excluded: a dated future and a market not trading
    FakeMarket(
        "BTCUSDT-27MAR26",
        "BTC",
        "",
        90_000,
        1e9,
        {"contractType": "LinearFutures", "deliveryTime": "1774598400000"},
    ),
    FakeMarket("OLDUSDT", "OLD", "", 1, 1e9, {"status": "Closed"}),
]
OKX_MARKETS = [
    FakeMarket("BTC-USDT-SWAP", "BTC", "BTCUSDT", 90_000, 4e9, contract_size=0.01),
    FakeMarket("PEPE-USDT-SWAP", "PEPE", "PEPEUSDT", 0.00001, 2e8, contract_size=10_000_000),
    FakeMarket("ETH-USDC-SWAP", "ETH", "ETHUSDC", 3_000, 1e8, contract_size=0.001, quote="USDC"),
    FakeMarket(
        "BTC-USD-SWAP", "BTC", "", 90_000, 9e9, contract_size=100, quote="USD"
    ),  # coin-margined: excluded
]
HL_MARKETS = [
    FakeMarket("BTC", "BTC", "BTCUSDT", 90_000, 2e9),
    FakeMarket("kPEPE", "PEPE", "kPEPEUSDT", 0.01, 5e7, base="kPEPE"),
    FakeMarket("HYPE", "HYPE", "HYPEUSDT", 30, 3e8),
    FakeMarket("MKR", "MKR", "", 1_500, 1e6, {"isDelisted": True}),  # delisted: excluded
]
KUCOIN_MARKETS = [
    FakeMarket("XBTUSDTM", "BTC", "XBTUSDTM", 90_000, 3e9, base="XBT", contract_size=0.001),
    FakeMarket("1000PEPEUSDTM", "PEPE", "1000PEPEUSDTM", 0.01, 1e8, base="1000PEPE", contract_size=0.001),
    FakeMarket(
        "XBTUSDM",
        "BTC",
        "",
        90_000,
        9e9,  # coin-margined: excluded
        {"quoteCurrency": "USD", "settleCurrency": "XBT", "isInverse": True},
        base="XBT",
        contract_size=0.001,
    ),
]

BINANCE_MARKETS = [
    FakeMarket("BTCUSDT", "BTC", "BTCUSDT", 90_000, 9e9),
    FakeMarket("1000PEPEUSDT", "PEPE", "1000PEPEUSDT", 0.01, 6e8, base="1000PEPE"),
    FakeMarket("BTCUSDC", "BTC", "BTCUSDC", 90_000, 1e9, quote="USDC"),
    # excluded: a quarterly future and a market being settled
    FakeMarket(
        "BTCUSDT_260327",
        "BTC",
        "",
        90_000,
        2e10,
        {"contractType": "CURRENT_QUARTER", "deliveryDate": 1774598400000},
    ),
    FakeMarket("OLDUSDT", "OLD", "", 1, 1e10, {"status": "SETTLING"}),
]
BITGET_MARKETS = [
    FakeMarket("BTCUSDT", "BTC", "BTCUSDT", 90_000, 5e9),
    FakeMarket("1MBABYDOGEUSDT", "BABYDOGE", "1MBABYDOGEUSDT", 0.001, 1e8, {"baseCoin": "1MBABYDOGE"}),
    FakeMarket(
        "ETHPERP",
        "ETH",
        "ETHUSDC",
        3_000,
        2e9,
        {"productType": "USDC-FUTURES", "baseCoin": "ETH", "quoteCoin": "USDC"},
    ),
    # excluded: coin-margined, demo-trading, a dated future, a market switched off
    FakeMarket(
        "BTCUSD",
        "BTC",
        "",
        90_000,
        9e9,
        {
            "productType": "COIN-FUTURES",
            "baseCoin": "BTC",
            "quoteCoin": "USD",
            "supportMarginCoins": ["BTC", "ETH", "USDC"],
        },
    ),
    FakeMarket(
        "SBTCSUSDT",
        "BTC",
        "",
        90_000,
        9e9,
        {"productType": "SUSDT-FUTURES", "baseCoin": "SBTC", "quoteCoin": "SUSDT"},
    ),
    FakeMarket(
        "BTCUSDT_260327",
        "BTC",
        "",
        90_000,
        9e9,
        {"baseCoin": "BTC", "symbolType": "delivery", "deliveryTime": "1774598400000"},
    ),
    FakeMarket("OLDUSDT", "OLD", "", 1, 9e9, {"symbolStatus": "off"}),
]
MEXC_MARKETS = [
    FakeMarket("BTC_USDT", "BTC", "BTCUSDT", 90_000, 8e9, contract_size=0.0001),
    FakeMarket("PEPE_USDT", "PEPE", "PEPEUSDT", 0.00001, 5e8, contract_size=100_000),
    FakeMarket("BTC_USDC", "BTC", "BTCUSDC", 90_000, 2e8, contract_size=0.0001, quote="USDC"),
    FakeMarket("0G_USDT", "0G", "0GUSDT", 1.2, 1e8, contract_size=1),
    # excluded: coin-margined, offline
    FakeMarket("BTC_USD", "BTC", "", 90_000, 9e9, {"settleCoin": "BTC"}, contract_size=100),
    FakeMarket("OLD_USDT", "OLD", "", 1, 9e9, {"state": 3}, contract_size=0.0001),
]
MEXC_SPOT = ["BTCUSDT", "ETHUSDT"]  # ccxt's mexc loads the spot list too; none of it is downloaded


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
def binance(clock: FakeClock) -> Iterator[FakeBinance]:
    with FakeBinance(clock, list(BINANCE_MARKETS)).running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def bitget(clock: FakeClock) -> Iterator[FakeBitget]:
    with FakeBitget(clock, list(BITGET_MARKETS)).running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def mexc(clock: FakeClock) -> Iterator[FakeMEXC]:
    with FakeMEXC(clock, list(MEXC_MARKETS), list(MEXC_SPOT)).running() as fake:
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
