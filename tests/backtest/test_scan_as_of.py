"""``scan --as-of TIME``: candles closed by TIME only, stale judged against it, no Coinalyze."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantpro.clock import FakeClock
from quantpro.errors import ConfigError
from quantpro.runs.asof import NO_STORE_REASON, parse_as_of
from quantpro.runs.scan import run_scan
from quantpro.settings import Settings

from .conftest import DEMO_NOW_MS, LTF_MS


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("1768842000000", 1_768_842_000_000),
        ("2026-01-19T17:00:00Z", 1_768_842_000_000),
        ("2026-01-19T17:00", 1_768_842_000_000),
        ("2026-01-19T18:00:00+01:00", 1_768_842_000_000),
        ("2026-01-19", 1_768_780_800_000),
    ],
)
def test_parse_as_of(text: str, ms: int) -> None:
    assert parse_as_of(text) == ms


@pytest.mark.parametrize("text", ["yesterday", "12:00", "", "2026-13-01"])
def test_parse_as_of_rejects(text: str) -> None:
    with pytest.raises(ConfigError, match="ISO 8601"):
        parse_as_of(text)


def test_as_of_uses_only_candles_closed_by_then_and_no_api(demo_dir: Path, tmp_path: Path) -> None:
    at = DEMO_NOW_MS - 30 * LTF_MS + 123  # between two closes
    outcome = run_scan(Settings(), demo_dir, output=tmp_path / "feed.json", as_of_ms=at, clock=FakeClock())
    last_closed_open = (at // LTF_MS) * LTF_MS - LTF_MS
    assert {s["calculated_at"] for s in outcome.signals} == {last_closed_open}
    assert outcome.run.units_spent == 0 and outcome.run.requests == 0
    assert outcome.run.derivatives["mode"] == "store"
    assert {s["oi_metadata"]["reason"] for s in outcome.signals} == {NO_STORE_REASON}
    assert outcome.run_id is None  # a replay of the past is not recorded in the history (§14)


def test_stale_is_judged_against_the_as_of_time(demo_dir: Path, tmp_path: Path) -> None:
    late = DEMO_NOW_MS + 2 * 86_400_000  # two days after the newest candle
    outcome = run_scan(Settings(), demo_dir, output=tmp_path / "feed.json", as_of_ms=late, clock=FakeClock())
    assert outcome.exit_code == 4 and outcome.run.status == "stale"
    assert {s["details"]["reason"] for s in outcome.signals} == {"stale candles"}
    fresh = run_scan(
        Settings(), demo_dir, output=tmp_path / "f2.json", as_of_ms=DEMO_NOW_MS, clock=FakeClock()
    )
    assert fresh.run.status != "stale"


def test_cli_as_of_needs_no_api_key(demo_dir: Path, tmp_path: Path) -> None:
    from quantpro import cli

    out = tmp_path / "feed.json"
    code = cli.main(["scan", str(demo_dir), "--as-of", "2026-01-19T12:00Z", "--output", str(out)])
    assert code == 0
    feed = json.loads(out.read_text())
    assert max(s["calculated_at"] for s in feed["signals"]) == parse_as_of("2026-01-19T11:45Z")
    assert cli.main(["scan", str(demo_dir), "--as-of", "soon"]) == 2
