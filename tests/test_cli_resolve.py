"""`quantpro resolve` and `quantpro symbols refresh` through ``quantpro.cli.main`` (docs/design.md §2)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantpro.cli import main
from quantpro.simulator import SimulatorConfig, start_simulator

KEY = "cli-resolve-key"


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[Any]:
    """A simulator on the real clock: the CLI builds its own client on the system clock."""
    with start_simulator(SimulatorConfig(calls=400, period=60.0), port=0) as server:
        yield server


@pytest.fixture
def sim(shared_sim: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("COINALYZE_API_KEY", KEY)
    monkeypatch.setenv("COINALYZE_BASE_URL", shared_sim.base_url)
    shared_sim.simulator.clear_log()
    yield shared_sim
    shared_sim.set_down(False)


def catalogue_calls(sim: Any) -> int:
    return sum(1 for r in sim.log if r.path in ("/exchanges", "/future-markets"))


def test_resolve_prints_one_line(sim: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["resolve", "BTCUSDT", "MEXC", "--cache-dir", str(tmp_path)])
    assert code == 0
    assert capsys.readouterr().out == "BTCUSDT MEXC → BTCUSDT_PERP.A (aggregated)\n"
    assert (tmp_path / "coinalyze_symbols.json").is_file()


@pytest.mark.parametrize(
    ("symbol", "exchange", "coinalyze_symbol", "status"),
    [
        ("XBTUSDTM", "KUCOIN", "BTCUSDT_PERP.A", "aggregated"),
        ("1000PEPEUSDT", "BYBIT", "1000PEPEUSDT.6", "resolved"),
        ("BTCUSDT", "HYPERLIQUID", "BTC.H", "resolved"),
    ],
)
def test_resolve_json(
    sim: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    symbol: str,
    exchange: str,
    coinalyze_symbol: str,
    status: str,
) -> None:
    assert main(["resolve", symbol, exchange, "--json", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == {
        "symbol": symbol,
        "exchange": exchange,
        "coinalyze_symbol": coinalyze_symbol,
        "status": status,
    }


def test_resolve_neutral(sim: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    coin = sim.simulator.catalogue.coins_nowhere()[0]
    assert main(["resolve", coin + "USDT", "MEXC", "--json", "--cache-dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["coinalyze_symbol"] is None
    assert main(["resolve", coin + "USDT", "MEXC", "--cache-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"{coin}USDT MEXC → None (neutral)\n"


def test_resolve_reuses_the_symbol_cache(sim: Any, tmp_path: Path) -> None:
    assert main(["resolve", "BTCUSDT", "MEXC", "--cache-dir", str(tmp_path)]) == 0
    assert main(["resolve", "ETHUSDT", "OKX", "--cache-dir", str(tmp_path)]) == 0
    assert catalogue_calls(sim) == 2


def test_cache_dir_comes_from_the_environment_then_defaults_to_data(
    sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # resolve is read-only: it uses these directories when they exist and never creates one (§16)
    assert main(["resolve", "BTCUSDT", "MEXC"]) == 0
    assert not (Path.cwd() / "data").exists()
    (Path.cwd() / "data").mkdir()
    assert main(["resolve", "BTCUSDT", "MEXC"]) == 0
    assert (Path.cwd() / "data" / "coinalyze_symbols.json").is_file()
    (tmp_path / "env").mkdir()
    monkeypatch.setenv("QUANTPRO_CACHE_DIR", str(tmp_path / "env"))
    assert main(["resolve", "BTCUSDT", "MEXC"]) == 0
    assert (tmp_path / "env" / "coinalyze_symbols.json").is_file()
    (tmp_path / "flag").mkdir()
    assert main(["resolve", "BTCUSDT", "MEXC", "--cache-dir", str(tmp_path / "flag")]) == 0
    assert (tmp_path / "flag" / "coinalyze_symbols.json").is_file()
    assert main(["symbols", "refresh", "--cache-dir", str(tmp_path / "new")]) == 0  # a writer creates it
    assert (tmp_path / "new" / "coinalyze_symbols.json").is_file()


def test_symbols_refresh_forces_a_fetch(sim: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["resolve", "BTCUSDT", "MEXC", "--cache-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["symbols", "refresh", "--cache-dir", str(tmp_path)]) == 0
    assert catalogue_calls(sim) == 4
    out = capsys.readouterr().out
    assert str(tmp_path / "coinalyze_symbols.json") in out
    stored = json.loads((tmp_path / "coinalyze_symbols.json").read_text())
    assert f"{len(stored['symbol_map'])} markets" in out
    assert f"{len(stored['exchanges'])} exchanges" in out
    assert f"{len(stored['aggregated_symbols'])} aggregated symbols" in out


def test_commands_need_a_key(
    sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COINALYZE_API_KEY")
    assert main(["resolve", "BTCUSDT", "MEXC", "--cache-dir", str(tmp_path)]) == 2
    assert main(["symbols", "refresh", "--cache-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().out == ""
    assert sim.log == []


def test_refused_key_exits_2(
    sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COINALYZE_API_KEY", "cli-revoked-key")
    sim.revoke_key("cli-revoked-key")
    assert main(["symbols", "refresh", "--cache-dir", str(tmp_path)]) == 2
    assert main(["resolve", "BTCUSDT", "MEXC", "--cache-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().out == ""
    assert [r.status for r in sim.log] == [401, 401]
