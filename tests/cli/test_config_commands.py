"""``--version``, ``show-config`` and ``list-exchanges`` (docs/design.md §16): values and their sources
right, secrets never printed, the seven venues with their ccxt ids and Coinalyze coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from quantpro import __version__
from quantpro.cli import main
from quantpro.settings import ENV_NAMES, EXCHANGE_URL_PREFIX, SECRET_ENV_NAMES, Settings
from quantpro.venues import VENUES

from .conftest import streams

KEY_CANARY = "canary-key-0123456789abcdef"
DOTENV_KEY_CANARY = "canary-dotenv-key-fedcba9876"
ALERT_CANARY = "tgram://123456:canary-alert-token/987"
TOKEN_CANARY = "canary-serve-token-5555"


@pytest.fixture(autouse=True)
def _no_quantpro_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [*ENV_NAMES, *SECRET_ENV_NAMES]:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.upper().startswith(EXCHANGE_URL_PREFIX):
            monkeypatch.delenv(name)


def _run(*argv: str) -> tuple[int, str, str]:
    with streams() as (out, err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_version() -> None:
    code, out, err = _run("--version")
    assert code == 0 and out == f"quantpro {__version__}\n" and err == ""


def test_show_config_names_every_setting_with_the_right_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    Path(".env").write_text(
        f"COINALYZE_API_KEY={DOTENV_KEY_CANARY}\nQUANTPRO_HTTP_TIMEOUT=12\n", encoding="utf-8"
    )
    Path("quantpro.toml").write_text(
        "rate_limit_calls = 30\nhttp_timeout = 99\nfee_pct = 0.07\n", encoding="utf-8"
    )
    monkeypatch.setenv("QUANTPRO_FEE_PCT", "0.1")  # env beats quantpro.toml
    monkeypatch.setenv("QUANTPRO_WATCHLIST", "binance:BTCUSDT")
    monkeypatch.setenv("COINALYZE_BASE_URL", "https://user:canary-pass@proxy.example/v1")
    monkeypatch.setenv("QUANTPRO_EXCHANGE_URL_BYBIT", "http://127.0.0.1:9001")
    log_file = tmp_path / "q.log"
    code, out, err = _run("--log-file", str(log_file), "show-config", "--cache-dir", str(tmp_path), "--json")
    assert code == 0, err
    rows = {row["setting"]: row for row in json.loads(out)}
    assert set(rows) == set(Settings.model_fields)
    expected = {
        "cache_dir": ("flag", str(tmp_path)),
        "log_file": ("flag", str(log_file)),
        "api_key": (".env", "*** (set)"),
        "http_timeout": (".env", "12"),  # .env beats quantpro.toml
        "rate_limit_calls": ("quantpro.toml", "30"),
        "fee_pct": ("env", "0.1"),
        "watchlist": ("env", "BINANCE:BTCUSDT"),
        "base_url": ("env", "https://***@proxy.example/v1"),
        "exchange_urls": ("env", "BYBIT=http://127.0.0.1:9001"),
        "rate_limit_period": ("default", "60"),
        "alert_urls": ("default", "(not set)"),
        "derivatives": ("default", "auto"),
    }
    for name, (source, value) in expected.items():
        assert (rows[name]["source"], rows[name]["value"]) == (source, value), name
    assert rows["fee_pct"]["env"] == "QUANTPRO_FEE_PCT" and rows["api_key"]["env"] == "COINALYZE_API_KEY"
    assert DOTENV_KEY_CANARY not in out + err and "canary-pass" not in out + err


def test_show_config_never_prints_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINALYZE_API_KEY", KEY_CANARY)
    monkeypatch.setenv("QUANTPRO_ALERT_URLS", ALERT_CANARY)
    monkeypatch.setenv("QUANTPRO_SERVE_TOKEN", TOKEN_CANARY)
    for argv in (["show-config"], ["show-config", "--json"], ["-v", "show-config"]):
        code, out, err = _run(*argv)
        assert code == 0, err
        for canary in (KEY_CANARY, ALERT_CANARY, "canary-alert-token", TOKEN_CANARY):
            assert canary not in out and canary not in err, (argv, canary)
    code, out, _ = _run("show-config", "--json")
    rows = {row["setting"]: row for row in json.loads(out)}
    assert all(rows[name]["value"] == "*** (set)" for name in ("api_key", "alert_urls", "serve_token"))
    assert all(rows[name]["source"] == "env" for name in ("api_key", "alert_urls", "serve_token"))
    code, table, _ = _run("show-config")
    assert "COINALYZE_API_KEY" in table and "*** (set)" in table and "Precedence: flag > env" in table


def test_list_exchanges_from_the_built_in_list(tmp_path: Path) -> None:
    code, out, err = _run("list-exchanges", "--json", "--cache-dir", str(tmp_path / "nothing-here"))
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["exchange"], r["ccxt_id"]) for r in rows] == [(v.value, s.ccxt_id) for v, s in VENUES.items()]
    assert len(rows) == 7
    covered = {r["exchange"]: r["coinalyze_code"] for r in rows if r["coinalyze"]}
    assert covered == {"BINANCE": "A", "BYBIT": "6", "OKX": "3", "HYPERLIQUID": "H"}
    assert not (tmp_path / "nothing-here").exists()
    code, text, _ = _run("list-exchanges", "--cache-dir", str(tmp_path / "nothing-here"))
    assert "KUCOIN" in text and "kucoinfutures" in text and "built-in 2025 exchange list" in text


def test_list_exchanges_from_the_symbol_cache(cli_sim: Any, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert main(["symbols", "refresh", "--cache-dir", str(cache)]) == 0
    catalogue = json.loads((cache / "coinalyze_symbols.json").read_text())
    code, out, err = _run("list-exchanges", "--json", "--cache-dir", str(cache))
    assert code == 0, err
    rows = {r["exchange"]: r for r in json.loads(out)}
    codes = {row["name"].lower(): row["code"] for row in catalogue["exchanges"]}
    for name, row in rows.items():
        assert row["coinalyze"] == (name.lower() in codes), name
        if row["coinalyze"]:
            code_ = codes[name.lower()]
            perpetual = [
                m
                for m in catalogue["markets"]
                if m.get("exchange") == code_ and m.get("is_perpetual") and m.get("margined") == "STABLE"
            ]
            assert row["coinalyze_markets"] == len(perpetual) > 0, name
    _, text, _ = _run("list-exchanges", "--cache-dir", str(cache))
    assert "the symbol cache" in text
