"""Issue 16 §10, the small ones: each is one clear line and the right exit code, never a traceback."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
import orjson
import pytest

from quantpro.simulator import RunningSimulator

from .conftest import FEED, assert_valid_feed, child_env, quantpro_command, run_cli, start_scan, temp_files


def _one_line(stderr: str, needle: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if needle in line]
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_failing_stdout_costs_the_summary_not_the_exit_code(
    tmp_path: Path, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    with open("/dev/full", "w") as full:  # every write: ENOSPC
        result = subprocess.run(
            quantpro_command("scan", str(live_data_dir)),
            env=child_env(live_sim, tmp_path / "cache"),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "the feed was written" in _one_line(result.stderr, "could not print the summary")
    assert "no feed" not in result.stderr
    assert_valid_feed(live_data_dir / FEED)


@pytest.mark.parametrize(
    ("setting", "value", "needle"),
    [
        ("QUANTPRO_HTTP_TIMEOUT", "inf", "QUANTPRO_HTTP_TIMEOUT"),
        ("QUANTPRO_RATE_LIMIT_PERIOD", "inf", "QUANTPRO_RATE_LIMIT_PERIOD"),
        ("QUANTPRO_HTTP_TIMEOUT", "nan", "QUANTPRO_HTTP_TIMEOUT"),
        ("COINALYZE_BASE_URL", "http://", "needs a host"),
        ("COINALYZE_API_KEY", "kéy-with-accent", "printable ASCII"),
        ("COINALYZE_API_KEY", "key-with\nnewline", "printable ASCII"),
    ],
)
def test_a_hostile_setting_is_exit_2_at_once(
    setting: str, value: str, needle: str, tmp_path: Path, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    env = child_env(live_sim, tmp_path / "cache", **{setting: value})
    started = time.monotonic()
    result = run_cli(env, "scan", str(live_data_dir))
    assert result.returncode == 2, result.stderr
    assert time.monotonic() - started < 10  # refused before anything is sent, not after retries
    _one_line(result.stderr, needle)
    assert not live_sim.log  # nothing left the machine, nothing was "spent"
    assert not (live_data_dir / FEED).exists()


def test_an_env_file_that_is_not_utf8_is_exit_2(
    tmp_path: Path, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    env = child_env(live_sim, tmp_path / "cache", key=None)
    work = tmp_path / "work"
    work.mkdir()
    (work / ".env").write_bytes(b"COINALYZE_API_KEY=abc\xff\xfedef\n")
    result = subprocess.run(
        quantpro_command("scan", str(live_data_dir)),
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    _one_line(result.stderr, "not valid UTF-8")


def test_a_newline_in_a_file_name_forges_no_log_line(
    tmp_path: Path, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    (live_data_dir / "BINANCE_EVIL\n2026-01-01T00:00:00Z ERROR   [SCAN] forged_15m.json").write_text("[]")
    result = run_cli(child_env(live_sim, tmp_path / "cache"), "scan", str(live_data_dir))
    assert result.returncode == 0, result.stderr
    assert not any(line.startswith("2026-01-01T00:00:00Z") for line in result.stderr.splitlines())
    assert not any(line.startswith("2026-01-01T00:00:00Z") for line in result.stdout.splitlines())


def test_a_symlink_out_of_data_dir_is_not_followed_nor_quoted(
    tmp_path: Path, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    outside = tmp_path / "private.txt"
    outside.write_text("TOP-SECRET-CONTENT that must never be quoted anywhere")
    (live_data_dir / "BINANCE_LEAKUSDT_15m.json").symlink_to(outside)
    result = run_cli(child_env(live_sim, tmp_path / "cache"), "scan", str(live_data_dir))
    assert result.returncode == 0, result.stderr
    feed = assert_valid_feed(live_data_dir / FEED)
    skipped = {s["file"]: s["reason"] for s in feed["run"]["skipped_files"]}
    assert "out of DATA_DIR" in skipped["BINANCE_LEAKUSDT_15m.json"]
    for text in (result.stdout, result.stderr, (live_data_dir / FEED).read_text()):
        assert "TOP-SECRET" not in text


def test_a_value_in_a_candle_file_is_never_quoted(
    tmp_path: Path, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    row = [1, 2, 3, 4, "SECRET-LOOKING-WORDS-FROM-A-FILE", 6]
    (live_data_dir / "BINANCE_WORDSUSDT_15m.json").write_bytes(orjson.dumps([row] * 3))
    result = run_cli(child_env(live_sim, tmp_path / "cache"), "scan", str(live_data_dir))
    feed = (live_data_dir / FEED).read_text()
    assert "non-numeric close" in feed
    assert "SECRET-LOOKING" not in feed + result.stderr + result.stdout


def test_the_simulator_answers_400_to_from_inf(live_sim: RunningSimulator) -> None:
    answer = httpx.get(
        f"{live_sim.base_url}/open-interest-history",
        params={"symbols": "BTCUSDT_PERP.A", "interval": "15min", "from": "inf", "to": "1"},
        headers={"api_key": "reliability-test-key"},
    )
    assert answer.status_code == 400


def test_the_simulator_refuses_port_70000_with_one_line() -> None:
    result = subprocess.run(
        quantpro_command("simulate", "--port", "70000"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    _one_line(result.stderr, "--port")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_exit_cleanly_with_a_message(
    signum: signal.Signals, tmp_path: Path, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    env = child_env(
        live_sim, tmp_path / "cache", QUANTPRO_RATE_LIMIT_CALLS="20", QUANTPRO_RATE_LIMIT_PERIOD="30"
    )
    child = start_scan(live_data_dir, env)
    assert child.stderr is not None
    for line in child.stderr:  # wait until the scan is waiting for quota: mid-run
        if b"Fetching batch" in line:
            break
    time.sleep(0.3)
    child.send_signal(signum)
    _, err = child.communicate(timeout=60)
    stderr = err.decode()
    assert child.returncode == (0 if signum == signal.SIGTERM else 128 + signum)  # §14: SIGTERM is exit 0
    assert signum.name in _one_line(stderr, "nothing half-written")
    assert temp_files(live_data_dir, tmp_path / "cache") == []
    assert not (live_data_dir / FEED).exists()
