"""Issue 16 §5: the key can come back from the server. An error message that echoes it after 190
characters (cut at 200 *after* redaction, not before), a number replaced by the key, and credentials in
``COINALYZE_BASE_URL``: none of them reaches the feed, a cache, the log file, stdout or stderr."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from quantpro.simulator import SimulatorConfig, start_simulator

from .conftest import FEED, child_env, demo_universe, run_cli
from .hostile import Override, answer, hostile_api, tampered

SECRET = "QPK-echo-9d41c7a2e6f0-SECRET"
PASSWORD = "pw-5b8e2f71c3d9"
NEEDLES = (SECRET, "9d41c7a2e6f0", "QPK-echo", PASSWORD, "5b8e2f71c3d9")


def _leaks(blob: bytes | str) -> list[str]:
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    return [n for n in NEEDLES if n in text]


def _echo_in_message() -> Override:
    return answer(400, orjson.dumps({"message": "x" * 190 + SECRET}))


def _echo_as_number() -> Override:
    def change(body: list[dict[str, object]]) -> list[dict[str, object]]:
        for item in body:
            item["value"] = SECRET
        return body

    return tampered(change)


@pytest.mark.parametrize("echo", [_echo_in_message, _echo_as_number], ids=["message", "number"])
def test_an_echoed_key_or_url_password_is_nowhere(echo: Callable[[], Override], tmp_path: Path) -> None:
    data_dir = demo_universe(tmp_path / "data", 15, at_ms=int(time.time() * 1000))
    cache_dir, log_file = tmp_path / "cache", tmp_path / "logs" / "quantpro.log"
    config = SimulatorConfig(calls=4000, period=10.0, api_keys=frozenset({SECRET}))
    with (
        start_simulator(config, port=0) as sim,
        hostile_api(sim.base_url, {"/funding-rate": echo()}) as (
            url,
            seen,
        ),
    ):
        with_password = url.replace("http://", f"http://quant:{PASSWORD}@")
        env = child_env(
            sim, cache_dir, key=SECRET, COINALYZE_BASE_URL=with_password, QUANTPRO_LOG_FILE=str(log_file)
        )
        result = run_cli(env, "-v", "scan", str(data_dir))
    assert "/funding-rate" in seen
    assert result.returncode in (0, 3), result.stderr
    assert "Traceback" not in result.stderr
    assert _leaks(result.stdout) == [] and _leaks(result.stderr) == []
    files = [p for d in (data_dir, cache_dir, log_file.parent) for p in sorted(d.rglob("*")) if p.is_file()]
    assert (data_dir / FEED) in files and (cache_dir / "coinalyze_symbols.json") in files
    for path in files:
        assert _leaks(path.read_bytes()) == [], path
    orjson.loads((data_dir / FEED).read_bytes())  # masks keep the feed valid JSON
