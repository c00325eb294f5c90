"""Settings precedence, symbol normalisation, atomic storage, the clock and the CLI shell."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quantpro.cli import main
from quantpro.clock import FakeClock, SystemClock
from quantpro.errors import ConfigError
from quantpro.settings import load_settings
from quantpro.store.atomic import atomic_write_json, read_json, set_crash_hook
from quantpro.symbols import canonical_coin, parse_local_symbol, split_quote

# -- settings -------------------------------------------------------------------------------------


def test_defaults_match_design() -> None:
    s = load_settings()
    assert s.base_url == "https://api.coinalyze.net/v1"
    assert (s.rate_limit_calls, s.rate_limit_period, s.http_timeout) == (40, 60.0, 30.0)
    assert (s.symbols_ttl_hours, s.response_ttl_minutes) == (24.0, 15.0)
    assert s.reference_exchanges == ("Binance", "Bybit", "OKX")
    assert s.cache_dir is None and s.log_file is None and not s.has_api_key


def test_precedence_flag_over_env_over_toml(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("quantpro.toml").write_text("rate_limit_calls = 7\nrate_limit_period = 11\nhttp_timeout = 3\n")
    monkeypatch.setenv("QUANTPRO_RATE_LIMIT_PERIOD", "12")
    monkeypatch.setenv("QUANTPRO_RATE_LIMIT_CALLS", "8")
    s = load_settings(rate_limit_calls=9)
    assert s.rate_limit_calls == 9  # flag
    assert s.rate_limit_period == 12.0  # environment over toml
    assert s.http_timeout == 3.0  # toml over default


def test_reference_exchanges_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUANTPRO_REFERENCE_EXCHANGES", " OKX , Bybit ")
    assert load_settings().reference_exchanges == ("OKX", "Bybit")


def test_key_from_dotenv_and_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("COINALYZE_API_KEY=sekrit-key-123\n")
    s = load_settings()
    assert s.api_key_value() == "sekrit-key-123"
    assert "sekrit" not in repr(s) and "sekrit" not in str(s.model_dump())


def test_key_in_toml_is_refused() -> None:
    Path("quantpro.toml").write_text('api_key = "abc"\n')
    with pytest.raises(ConfigError, match=r"never read from quantpro\.toml"):
        load_settings()


def test_unknown_toml_setting_is_named() -> None:
    Path("quantpro.toml").write_text("rate_limit_call = 4\n")
    with pytest.raises(ConfigError, match="unknown setting 'rate_limit_call'"):
        load_settings()


def test_invalid_value_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUANTPRO_RATE_LIMIT_CALLS", "lots")
    with pytest.raises(ConfigError, match="QUANTPRO_RATE_LIMIT_CALLS"):
        load_settings()


def test_missing_key_message_says_what_to_do() -> None:
    with pytest.raises(ConfigError, match="COINALYZE_API_KEY"):
        load_settings().api_key_value()


def test_batch_size_shrinks_with_small_quota() -> None:
    assert load_settings().batch_size == 20
    assert load_settings(rate_limit_calls=7).batch_size == 7


def test_cache_path_precedence(tmp_path: Path) -> None:
    assert load_settings().cache_path() == Path("data")
    assert load_settings().cache_path(tmp_path) == tmp_path
    assert load_settings(cache_dir=tmp_path / "c").cache_path(tmp_path) == tmp_path / "c"


# -- symbols --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "base", "quote", "coin"),
    [
        ("BTCUSDT", "BTC", "USDT", "BTC"),
        ("XBTUSDTM", "XBT", "USDT", "BTC"),
        ("ETHUSDCM", "ETH", "USDC", "ETH"),
        ("kPEPEUSDT", "kPEPE", "USDT", "PEPE"),
        ("1000PEPEUSDT", "1000PEPE", "USDT", "PEPE"),
        ("1000000MOGUSDT", "1000000MOG", "USDT", "MOG"),
        ("10000LADYSUSDT", "10000LADYS", "USDT", "LADYS"),
        ("1MBABYDOGEUSDT", "1MBABYDOGE", "USDT", "BABYDOGE"),
        ("0GUSDT", "0G", "USDT", "0G"),
        ("2ZUSDT", "2Z", "USDT", "2Z"),
        ("4USDT", "4", "USDT", "4"),
        ("114514USDT", "114514", "USDT", "114514"),
        ("9BITUSDT", "9BIT", "USDT", "9BIT"),
        ("1INCHUSDT", "1INCH", "USDT", "1INCH"),
        ("BTCFDUSD", "BTC", "FDUSD", "BTC"),
        ("ETHBUSD", "ETH", "BUSD", "ETH"),
        ("BTCUSD", "BTC", "USD", "BTC"),
        ("USDCUSDT", "USDC", "USDT", "USDC"),
        ("BTC", "BTC", "", "BTC"),
        ("KAVAUSDT", "KAVA", "USDT", "KAVA"),
    ],
)
def test_parse_local_symbol(symbol: str, base: str, quote: str, coin: str) -> None:
    parsed = parse_local_symbol(symbol)
    assert (parsed.base, parsed.quote, parsed.coin) == (base, quote, coin)
    assert parsed.normalized == coin + quote


def test_catalogue_bases_normalise_to_the_same_coin() -> None:
    assert {canonical_coin(b) for b in ("1000PEPE", "kPEPE", "PEPE")} == {"PEPE"}
    assert split_quote("USDT") == ("USDT", "")


# -- storage --------------------------------------------------------------------------------------


def test_atomic_write_and_tolerant_read(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "x.json"
    atomic_write_json(target, {"a": float("nan"), "b": [1, 2]})
    assert read_json(target) == {"a": None, "b": [1, 2]}
    target.write_bytes(b'{"torn": ')
    assert read_json(target) is None
    assert read_json(tmp_path / "missing.json") is None


@pytest.mark.parametrize("moment", ["before_replace", "after_replace"])
def test_crash_around_replace_leaves_old_or_new(tmp_path: Path, moment: str) -> None:
    target = tmp_path / "out" / "feed.json"
    atomic_write_json(target, {"v": 1})

    def crash(when: str, path: Path) -> None:
        if when == moment:
            raise KeyboardInterrupt

    set_crash_hook(crash)
    try:
        with pytest.raises(KeyboardInterrupt):
            atomic_write_json(target, {"v": 2})
    finally:
        set_crash_hook(None)
    assert read_json(target) == ({"v": 1} if moment == "before_replace" else {"v": 2})
    assert [p.name for p in target.parent.iterdir()] == ["feed.json"]  # no temp file left


# -- clock ----------------------------------------------------------------------------------------


def test_fake_clock_sleep_advances() -> None:
    c = FakeClock(100.0)
    c.sleep(2.5)
    c.sleep(-1)
    assert c.now() == 102.5 and c.sleeps == [2.5, -1]
    assert abs(SystemClock().now() - __import__("time").time()) < 1


# -- CLI shell ------------------------------------------------------------------------------------


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("scan", "demo", "simulate", "resolve", "symbols", "download"):
        assert command in out


def test_unknown_command_is_exit_2() -> None:
    assert main(["no-such-command"]) == 2


def test_module_entry_point_runs() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "quantpro", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0 and "simulate" in done.stdout
