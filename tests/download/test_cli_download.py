"""``quantpro download`` end to end through the CLI, against a loopback fake on the real clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantpro.cli import main
from quantpro.clock import SystemClock
from quantpro.simulator.venues import Answer, FakeBybit, FakeVenue, Request

from .conftest import BYBIT_MARKETS


class Refusing(FakeVenue):
    """A venue that answers 404 to everything (a wrong proxy, say): rejected at once, not retried."""

    name = "OKX"

    def is_ohlcv(self, request: Request) -> bool:
        return False

    def route(self, request: Request) -> Answer:
        return 404, {}, "no such route"


@pytest.fixture
def live_bybit() -> Iterator[FakeBybit]:
    with FakeBybit(SystemClock(), list(BYBIT_MARKETS)).running() as fake:
        yield fake  # type: ignore[misc]


def test_download_writes_files_and_prints_the_summary(
    live_bybit: FakeBybit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUANTPRO_EXCHANGE_URL_BYBIT", live_bybit.url)
    data = tmp_path / "data"
    code = main(
        ["download", str(data), "--exchange", "bybit", "--symbols", "BTCUSDT,ETHUSDC", "--candles", "60"]
    )
    out = capsys.readouterr().out
    assert code == 0
    # the candle files (the venue pacing state sits beside them in DATA_DIR, the default cache dir)
    assert sorted(p.name for p in data.glob("BYBIT_*.json")) == [
        "BYBIT_BTCUSDT_15m.json",
        "BYBIT_BTCUSDT_4h.json",
        "BYBIT_ETHUSDC_15m.json",
        "BYBIT_ETHUSDC_4h.json",
    ]
    assert all(len(json.loads(p.read_text())) == 60 for p in data.glob("BYBIT_*.json"))
    assert "BYBIT" in out and "240" in out  # 4 files × 60 candles added
    assert {r.path for r in live_bybit.log} == {"/v5/market/instruments-info", "/v5/market/kline"}


def test_exit_1_when_every_venue_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Refusing(SystemClock(), []).running() as fake:
        monkeypatch.setenv("QUANTPRO_EXCHANGE_URL_OKX", fake.url)
        code = main(["download", str(tmp_path / "d"), "--exchange", "OKX"])
        assert len(fake.log) == 1  # a 404 is not retried
    assert code == 1
    out = capsys.readouterr().out
    assert "OKX" in out and "venue" in out and "failed" in out


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--exchange", "KRAKEN"], {}),
        (["--ltf", "7m"], {}),
        (["--top", "5", "--symbols", "BTCUSDT"], {}),
        ([], {"QUANTPRO_EXCHANGE_URL_BYBIT": "not a url"}),
    ],
)
def test_bad_arguments_exit_2_before_any_request(
    argv: list[str], env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["download", str(tmp_path / "d"), *argv]) == 2
    assert not (tmp_path / "d").exists()
