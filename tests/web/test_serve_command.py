"""``quantpro serve`` as a person runs it: a process on loopback that serves the feed and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from quantpro.store.layout import FEED_NAME


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_shows_the_demo_feed_and_stops_on_ctrl_c(demo_dir: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUANTPRO_", "COINALYZE_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "quantpro", "serve", str(demo_dir), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/feed", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "quantpro serve did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.content == (demo_dir / FEED_NAME).read_bytes()
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode in (0, 130), err.decode()
    assert b"Traceback" not in err
    assert f"http://127.0.0.1:{port}/".encode() in err


def test_serve_help_names_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "quantpro", "serve", "--help"], capture_output=True, text=True, check=True
    )
    for option in ("--host", "--port", "DATA_DIR", "QUANTPRO_SERVE_TOKEN", "SSH tunnel"):
        assert option in result.stdout, option


def test_a_port_in_use_is_exit_2_naming_it(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from quantpro.cli.main import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(demo_dir), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err and "Traceback" not in err
