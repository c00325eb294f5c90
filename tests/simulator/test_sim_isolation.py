"""The simulator stands alone: no import from the rest of QuantPro, and a CLI that serves it."""

from __future__ import annotations

import signal
import subprocess
import sys

from quantpro.clock import FakeClock, SystemClock
from quantpro.simulator import SimClock


def test_importing_the_simulator_pulls_in_no_other_quantpro_module() -> None:
    code = (
        "import sys, quantpro.simulator\n"
        "bad = sorted(m for m in sys.modules if m.startswith('quantpro') "
        "and m != 'quantpro' and not m.startswith('quantpro.simulator'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


def test_the_project_clocks_fit_the_simulators_protocol() -> None:
    assert isinstance(FakeClock(), SimClock)
    assert isinstance(SystemClock(), SimClock)


def test_simulate_command_prints_its_base_url_and_stops_on_interrupt() -> None:
    command = [sys.executable, "-m", "quantpro", "simulate", "--port", "0", "--calls", "5", "--api-key", "a"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            proc.send_signal(signal.SIGINT)
            rest, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0
    assert line.startswith("http://127.0.0.1:") and line.endswith("/v1")
    assert rest == ""  # one line on stdout, nothing else
