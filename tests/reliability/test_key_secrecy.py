"""The API key is never written anywhere (docs/design.md §3): a full debug scan with faults, then a run
whose key is refused, and the key is found in no output, no log, no file and no URL the API received.
"""

from __future__ import annotations

from pathlib import Path

from quantpro.simulator import Fault, SimulatorConfig, start_simulator
from quantpro.simulator.app import fingerprint

from .conftest import FEED, child_env, run_cli

SECRET = "QPK-7f3a9c1e5b2d-SECRET"
#: Parts of the key distinctive enough that a partial leak (a truncated header dump, say) shows too.
NEEDLES = (SECRET, "7f3a9c1e5b2d", SECRET.lower())


def _leaks(text: str | bytes) -> list[str]:
    haystack = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return [needle for needle in NEEDLES if needle in haystack or needle in haystack.lower()]


def test_the_key_is_nowhere_after_a_debug_scan_with_faults_and_a_refusal(tmp_path: Path) -> None:
    from .conftest import demo_universe

    data_dir = demo_universe(tmp_path / "data", 15, at_ms=_now_ms())
    cache_dir = tmp_path / "cache"
    log_file = tmp_path / "logs" / "quantpro.log"
    config = SimulatorConfig(
        calls=4000, period=10.0, api_keys=frozenset({SECRET}), fault_rate=0.15, seed=11, slow_seconds=1.0
    )
    with start_simulator(config, port=0) as sim:
        # every kind of fault at least once, on top of the 15 % drawn at random
        sim.script(Fault.SERVER_ERROR, path="/open-interest-history")
        sim.script(Fault.HTML_502, path="/funding-rate")
        sim.script(Fault.RATE_LIMIT_NO_RETRY_AFTER, Fault.TRUNCATED, path="/long-short-ratio-history")
        sim.script(Fault.SLOW, Fault.DROP_SYMBOLS, path="/liquidation-history")
        env = child_env(
            sim,
            cache_dir,
            key=SECRET,
            QUANTPRO_LOG_FILE=str(log_file),
            QUANTPRO_HTTP_TIMEOUT="0.5",
            QUANTPRO_RATE_LIMIT_PERIOD="0.2",  # the 429's full-window wait stays short
        )
        scanned = run_cli(env, "-v", "scan", str(data_dir))
        assert scanned.returncode == 0, scanned.stderr
        sim.revoke_key(SECRET)
        env["QUANTPRO_RESPONSE_TTL_MINUTES"] = "0"  # nothing served from the cache: a request is refused
        refused = run_cli(env, "-v", "scan", str(data_dir), "--output", str(tmp_path / "other.json"))
        assert refused.returncode == 2
        records = sim.log

    assert {r.fault for r in records if r.fault} == set(Fault)  # the faults really happened
    assert {r.key_fingerprint for r in records} == {fingerprint(SECRET)}  # the key was really sent
    assert "DEBUG" in log_file.read_text()  # debug logging really ran
    assert (data_dir / FEED).exists()

    for result in (scanned, refused):
        assert _leaks(result.stdout) == [] and _leaks(result.stderr) == []
    files = [p for d in (data_dir, cache_dir, log_file.parent) for p in sorted(d.rglob("*")) if p.is_file()]
    assert log_file in files and any(p.name == "coinalyze_ratelimit.json" for p in files)
    for path in files:
        assert _leaks(path.read_bytes()) == [], path
        assert _leaks(path.name) == [], path
    for record in records:
        assert _leaks(record.path) == [] and _leaks(record.raw_query) == [], record


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)
