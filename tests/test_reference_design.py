"""The reference design's Tests 1–3, run as written there, against the simulator (docs/design.md §2).

The scripts are read from ``reference-design-batch-processing-v3.md`` itself. Only what docs/design.md §1
corrects changes: the imports name ``quantpro``, Test 3 asks for real symbols (``BTCUSDT_PERP.A``, not
the invented ``BTCUSDT.4``), and the expected outputs are the corrected ones (``BTCUSDT`` + ``MEXC`` is
``BTCUSDT_PERP.A (aggregated)``: MEXC is not on Coinalyze and ``.A`` is Binance).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantpro.simulator import SimulatorConfig, start_simulator

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference-design.md"
KEY = "reference-design-key"

#: What docs/design.md §1 corrects in the scripts: module names and invented symbols.
CORRECTIONS = (
    ("from coinalyze_resolver import get_resolver", "from quantpro import get_resolver"),
    ("from coinalyze_batch_client import get_batch_client", "from quantpro import get_batch_client"),
    ("['BTCUSDT.4', 'ETHUSDT.4']", "['BTCUSDT_PERP.A', 'ETHUSDT_PERP.A']"),
)


def reference_script(number: int) -> str:
    """The ``python3 -c "…"`` body of the reference design's Test ``number``, corrected."""
    if not REFERENCE.is_file():
        pytest.skip(f"reference design not present at {REFERENCE}")
    text = REFERENCE.read_text(encoding="utf-8")
    pattern = rf"### \*\*Test {number}:.*?```bash\npython3 -c \"\n(.*?)\n\"\n```"
    match = re.search(pattern, text, re.S)
    assert match is not None, f"Test {number} not found in the reference design"
    script = match.group(1).replace('\\"', '"')  # the shell's escaping inside "…"
    for old, new in CORRECTIONS:
        script = script.replace(old, new)
    assert "coinalyze_resolver" not in script and "coinalyze_batch_client" not in script
    return script


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    """A simulator on the real clock: the scripts run in their own processes."""
    with start_simulator(SimulatorConfig(calls=400, period=60.0), port=0) as server:
        yield server


def run_script(script: str, sim: Any, cache_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COINALYZE_API_KEY": KEY,
        "COINALYZE_BASE_URL": sim.base_url,
        "QUANTPRO_CACHE_DIR": str(cache_dir),
        "PYTHONIOENCODING": "utf-8",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert KEY not in result.stdout + result.stderr
    return result


def test_1_resolver_initialisation_then_2_symbol_resolution(sim: Any, tmp_path: Path) -> None:
    out = run_script(reference_script(1), sim, tmp_path / "data", tmp_path).stdout
    loaded = re.search(r"^Symbols loaded: (\d+)$", out, re.M)
    aggregated = re.search(r"^Aggregated: (\d+)$", out, re.M)
    assert loaded is not None and int(loaded.group(1)) >= 2000, out
    assert aggregated is not None and int(aggregated.group(1)) >= 500, out
    assert (tmp_path / "data" / "coinalyze_symbols.json").is_file()

    before = len(sim.log)
    out = run_script(reference_script(2), sim, tmp_path / "data", tmp_path).stdout
    assert out.splitlines() == [
        "BTCUSDT + MEXC → BTCUSDT_PERP.A (aggregated)",
        "MAVUSDT + MEXC → MAVUSDT_PERP.A (aggregated)",
    ]
    assert len(sim.log) == before  # Test 2 was answered by the 24 h symbol cache: no unit spent


def test_1_logs_the_reference_lines_when_logging_is_on(sim: Any, tmp_path: Path) -> None:
    script = "import logging\nlogging.basicConfig(level=logging.INFO, format='[RESOLVER] %(message)s')\n"
    err = run_script(script + reference_script(1), sim, tmp_path / "data", tmp_path).stderr
    assert f"[RESOLVER] Fetching symbols from {sim.base_url}/future-markets" in err
    assert re.search(r"^\[RESOLVER\] Received \d{4,} markets from API$", err, re.M), err
    assert re.search(r"^\[RESOLVER\] Processed \d{3,} aggregated symbols$", err, re.M), err


def test_3_batch_client(sim: Any, tmp_path: Path) -> None:
    out = run_script(reference_script(3), sim, tmp_path / "data", tmp_path).stdout
    lines = out.splitlines()
    assert lines[0] == "Fetched data for 2 symbols"
    rows = {}
    for line in lines[1:]:
        match = re.fullmatch(r"(\S+): OI points=(\d+), Funding=(\S+)", line)
        assert match is not None, line
        rows[match.group(1)] = (int(match.group(2)), match.group(3))
    assert set(rows) == {"BTCUSDT_PERP.A", "ETHUSDT_PERP.A"}
    for points, funding in rows.values():
        assert points > 0
        float(funding)  # a number, not None
