"""``resolve`` in every spelling, an unknown exchange (exit 2), read-only commands creating no directory,
and files written with the umask's mode (docs/design.md §16)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantpro.cli import main
from quantpro.store.atomic import atomic_write_bytes, atomic_write_json

from .conftest import streams


@pytest.fixture(scope="module")
def catalogue_dir(shared_sim: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A symbol cache fetched once, so the spelling cases do not each fetch the catalogue."""
    from quantpro.settings import load_settings
    from quantpro.sources.coinalyze.resolver import get_resolver

    from .conftest import KEY

    directory = tmp_path_factory.mktemp("catalogue")
    get_resolver(
        load_settings(api_key=KEY, base_url=shared_sim.base_url, cache_dir=directory)
    ).fetch_symbols()
    return directory


def _resolve(*argv: str) -> tuple[int, str, str]:
    with streams() as (out, err):
        code = main(["-q", "resolve", *argv])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("symbol", "exchange", "local", "coinalyze", "status"),
    [
        ("BTCUSDT", "BINANCE", "BTCUSDT", "BTCUSDT_PERP.A", "resolved"),
        ("btcusdt", "BINANCE", "BTCUSDT", "BTCUSDT_PERP.A", "resolved"),
        ("btcusdt", "binance", "BTCUSDT", "BTCUSDT_PERP.A", "resolved"),
        ("BTC/USDT:USDT", "BINANCE", "BTCUSDT", "BTCUSDT_PERP.A", "resolved"),
        ("btc/usdt:usdt", "Bybit", "BTCUSDT", "BTCUSDT.6", "resolved"),
        ("BTC/USDT", "MEXC", "BTCUSDT", "BTCUSDT_PERP.A", "aggregated"),
        ("xbtusdtm", "kucoin", "XBTUSDTM", "BTCUSDT_PERP.A", "aggregated"),
        ("kPEPEUSDT", "HYPERLIQUID", "kPEPEUSDT", "kPEPE.H", "resolved"),
        ("kpepeusdt", "hyperliquid", "kPEPEUSDT", "kPEPE.H", "resolved"),
        ("1000pepeusdt", "bybit", "1000PEPEUSDT", "1000PEPEUSDT.6", "resolved"),
    ],
)
def test_resolve_accepts_any_case_and_ccxt_form(
    cli_sim: Any, catalogue_dir: Path, symbol: str, exchange: str, local: str, coinalyze: str, status: str
) -> None:
    code, out, err = _resolve(symbol, exchange, "--json", "--cache-dir", str(catalogue_dir))
    assert code == 0, err
    assert json.loads(out) == {
        "symbol": local,
        "exchange": exchange.upper(),
        "coinalyze_symbol": coinalyze,
        "status": status,
    }


def test_unknown_exchange_is_exit_2_listing_the_known_ones(cli_sim: Any, catalogue_dir: Path) -> None:
    code, out, err = _resolve("BTCUSDT", "BINANCEE", "--cache-dir", str(catalogue_dir))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    for known in ("BINANCE", "BYBIT", "OKX", "BITGET", "MEXC", "KUCOIN", "HYPERLIQUID", "Deribit"):
        assert known in err
    assert "'BINANCEE'" in err


def test_an_exchange_only_coinalyze_knows_is_accepted(cli_sim: Any, catalogue_dir: Path) -> None:
    code, out, err = _resolve(
        "BTCUSDT", "htx", "--cache-dir", str(catalogue_dir)
    )  # Huobi's new name, matched by alias
    assert code == 0, err
    assert out.startswith("BTCUSDT HTX → ")


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize(
    "argv",
    [
        ["resolve", "BTCUSDT", "BINANCE"],
        ["resolve", "btcusdt", "MEXC", "--json"],
        ["show-config"],
        ["list-exchanges"],
        ["--version"],
        ["--help"],
        ["scan", "--help"],
    ],
)
def test_read_only_commands_create_no_directory(cli_sim: Any, argv: list[str], tmp_path: Path) -> None:
    cwd = Path.cwd()
    before, temp_before = _tree(cwd), set(os.listdir(os.environ.get("TMPDIR", "/tmp")))
    with streams():
        assert main(argv) == 0
    assert _tree(cwd) == before == set()
    assert not (cwd / "data").exists()
    leftovers = set(os.listdir(os.environ.get("TMPDIR", "/tmp"))) - temp_before
    assert not [name for name in leftovers if name.startswith("quantpro-")]


def test_resolve_uses_an_existing_cache_directory(cli_sim: Any) -> None:
    Path("data").mkdir()
    code, _out, err = _resolve("BTCUSDT", "BINANCE")
    assert code == 0, err
    assert (Path("data") / "coinalyze_symbols.json").is_file()  # an existing directory is used


@pytest.fixture
def umask() -> Iterator[Any]:
    old = os.umask(0o022)
    os.umask(old)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_honour_the_umask(umask: Any, mask: int, mode: int, tmp_path: Path) -> None:
    umask(mask)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "feed.json"
    atomic_write_json(target, {"a": 1})
    assert stat.S_IMODE(target.stat().st_mode) == mode
    atomic_write_bytes(target, b"{}")  # a replacement too
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert [p.name for p in target.parent.iterdir()] == ["feed.json"]  # no temporary file left


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_every_file_a_scan_writes_honours_the_umask(
    cli_sim: Any, umask: Any, mask: int, mode: int, tmp_path: Path
) -> None:
    from quantpro.clock import SystemClock, now_ms
    from quantpro.demo.universe import generate_demo_universe

    data = tmp_path / "data"
    generate_demo_universe(data, 4, now_ms=now_ms(SystemClock()))
    candles = {p.name for p in data.iterdir()}
    umask(mask)
    with streams():
        assert main(["scan", str(data)]) == 0
    written = [p for p in data.rglob("*") if p.is_file() and p.name not in candles]
    assert any(p.name == "master_feed.json" for p in written) and len(written) >= 3
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == mode, (path.name, oct(path.stat().st_mode))
