"""The catalogue endpoints (docs/coinalyze_api.md §4–§5, §8.1–§8.3) and its coverage of the real sample."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from quantpro.simulator import build_catalogue, coins_nowhere
from quantpro.simulator.coins import SAMPLE_COINS

MEASURED_EXCHANGES = [
    ("Poloniex", "P"), ("Vertex", "V"), ("Bitforex", "D"), ("Kraken", "K"), ("Bithumb", "U"),
    ("Bitstamp", "B"), ("Hyperliquid", "H"), ("BitFlyer", "L"), ("BtcMarkets", "M"), ("Bit2c", "I"),
    ("MercadoBitcoin", "E"), ("Independent Reserve", "N"), ("Gemini", "G"), ("Gate.io", "Y"),
    ("Deribit", "2"), ("OKX", "3"), ("Coinbase", "C"), ("Bitfinex", "F"), ("Luno", "J"), ("BitMEX", "0"),
    ("Phemex", "7"), ("WOO X", "W"), ("Huobi", "4"), ("dYdX", "8"), ("Bybit", "6"), ("Binance", "A"),
]  # fmt: skip
FUTURE_KEYS = [
    "symbol", "exchange", "symbol_on_exchange", "base_asset", "quote_asset", "expire_at",
    "has_buy_sell_data", "is_perpetual", "margined", "oi_lq_vol_denominated_in",
    "has_long_short_ratio_data", "has_ohlcv_data",
]  # fmt: skip


@pytest.fixture(scope="module")
def futures() -> dict[str, dict[str, object]]:
    return {str(row["symbol"]): dict(row) for row in build_catalogue().future_markets}


def test_exchanges_are_the_measured_26(http: httpx.Client) -> None:
    r = http.get("exchanges")
    assert r.status_code == 200
    assert [(e["name"], e["code"]) for e in r.json()] == MEASURED_EXCHANGES
    names = {e["name"].lower() for e in r.json()}
    assert not names & {"mexc", "kucoin", "bitget"}


def test_future_markets_over_http_have_all_fields_in_order(http: httpx.Client) -> None:
    rows = http.get("future-markets").json()
    assert len(rows) >= 2000
    assert all(list(row) == FUTURE_KEYS for row in rows)
    assert len({row["symbol"] for row in rows}) == len(rows)
    codes = Counter(row["exchange"] for row in rows)
    assert {"A", "6", "3", "H", "4", "Y", "0", "2", "8", "K", "W", "7", "F"} <= set(codes)
    assert set(codes) <= {code for _, code in MEASURED_EXCHANGES}
    assert 150 <= codes["H"] <= 260 and codes["A"] > codes["6"] > codes["3"]


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("BTCUSDT_PERP.A", {"symbol_on_exchange": "BTCUSDT", "quote_asset": "USDT", "margined": "STABLE",
                            "oi_lq_vol_denominated_in": "BASE_ASSET", "has_long_short_ratio_data": True}),
        ("BTCUSDC_PERP.A", {"symbol_on_exchange": "BTCUSDC", "quote_asset": "USDC", "margined": "STABLE"}),
        ("BTCUSD_PERP.A", {"symbol_on_exchange": "BTCUSD_PERP", "quote_asset": "USD", "margined": "COIN",
                           "oi_lq_vol_denominated_in": "QUOTE_ASSET", "is_perpetual": True}),
        ("BTCUSDT_260327.A", {"is_perpetual": False, "expire_at": 1774598400000}),
        ("1000PEPEUSDT_PERP.A", {"base_asset": "1000PEPE", "symbol_on_exchange": "1000PEPEUSDT"}),
        ("MAVUSDT_PERP.A", {"base_asset": "MAV"}),
        ("ETHUSDT_PERP.A", {"base_asset": "ETH"}),
        ("BTCUSDT.6", {"symbol_on_exchange": "BTCUSDT", "quote_asset": "USDT",
                       "has_long_short_ratio_data": True}),
        ("BTCPERP.6", {"quote_asset": "USDC", "margined": "STABLE"}),
        ("BTCUSD.6", {"margined": "COIN", "quote_asset": "USD"}),
        ("BTCUSDH26.6", {"is_perpetual": False, "margined": "COIN"}),
        ("1000PEPEUSDT.6", {"base_asset": "1000PEPE"}),
        ("BTCUSDT_PERP.3", {"quote_asset": "USDT", "margined": "STABLE", "has_long_short_ratio_data": True}),
        ("BTCUSD_PERP.3", {"margined": "COIN"}),
        ("BTCUSDC_PERP.3", {"quote_asset": "USDC"}),
        ("BTC.H", {"symbol_on_exchange": "BTC", "quote_asset": "USD", "margined": "STABLE",
                   "has_long_short_ratio_data": False, "oi_lq_vol_denominated_in": "BASE_ASSET"}),
        ("kPEPE.H", {"base_asset": "kPEPE", "symbol_on_exchange": "kPEPE"}),
        ("kBONK.H", {"base_asset": "kBONK"}),
        ("pf_xbtusd.K", {"base_asset": "XBT", "symbol_on_exchange": "pf_xbtusd", "quote_asset": "USD"}),
        ("BTC-PERPETUAL.2", {"margined": "COIN", "oi_lq_vol_denominated_in": "QUOTE_ASSET"}),
        ("BTC_USDT.Y", {"symbol_on_exchange": "BTC_USDT"}),
        ("PERP_BTC_USDT.W", {"quote_asset": "USDT"}),
        ("BTC-USD.8", {"quote_asset": "USD"}),
        ("BTCUSDT_PERP.4", {"symbol_on_exchange": "BTC-USDT"}),
        ("BTCUSDT_PERP.0", {"symbol_on_exchange": "XBTUSDT"}),
    ],
)  # fmt: skip
def test_venue_formats(
    futures: dict[str, dict[str, object]], symbol: str, expected: dict[str, object]
) -> None:
    row = futures[symbol]
    assert {k: row[k] for k in expected} == expected
    assert row["exchange"] == symbol.rsplit(".", 1)[1]
    assert (row["expire_at"] is None) == row["is_perpetual"]


def test_digit_led_and_multiplier_coins_are_present(futures: dict[str, dict[str, object]]) -> None:
    assert {"0GUSDT_PERP.A", "2ZUSDT_PERP.A", "0G.H"} <= set(futures)
    bases = {row["base_asset"] for row in futures.values()}
    assert {"1000PEPE", "kPEPE", "kBONK"} <= bases
    assert bases & {"1000000MOG", "1MBABYDOGE"}


def test_long_short_flag_by_venue(futures: dict[str, dict[str, object]]) -> None:
    perps = [r for r in futures.values() if r["is_perpetual"]]
    assert all(r["has_long_short_ratio_data"] for r in perps if r["exchange"] in ("A", "6", "3"))
    assert not any(r["has_long_short_ratio_data"] for r in perps if r["exchange"] == "H")


def test_coverage_of_the_real_sample() -> None:
    catalogue = build_catalogue()
    listed = {spec.coin for spec in catalogue.markets.values() if spec.kind == "future"}
    sample = set(SAMPLE_COINS)
    assert len(sample & listed) / len(sample) >= 0.85
    nowhere = set(coins_nowhere())
    assert 0.03 <= len(nowhere) / len(sample) <= 0.08
    assert not nowhere & listed
    assert {"BTC", "ETH", "MAV", "PEPE"}.isdisjoint(nowhere)
    on_binance = {s.coin for s in catalogue.markets.values() if s.exchange == "A" and s.kind == "future"}
    assert len(sample & on_binance) / len(sample) >= 0.75
    only_elsewhere = [c for c in sample if catalogue.venues_of(c) in (("H",), ("Y",))]
    assert catalogue.coins_only_on("H") and catalogue.coins_only_on("Y")
    assert len(only_elsewhere) >= 5


def test_spot_markets_real_shape(http: httpx.Client) -> None:
    rows = http.get("spot-markets").json()
    assert 200 <= len(rows) <= 1000
    assert all(
        list(r)
        == ["symbol", "exchange", "symbol_on_exchange", "base_asset", "quote_asset", "has_buy_sell_data"]
        for r in rows
    )
    btc = next(r for r in rows if r["symbol"] == "BTCUSD.A")
    assert (btc["symbol_on_exchange"], btc["quote_asset"]) == ("BTCUSDT", "USDT")
