"""Issue 16 §2: ``--output`` replaces only a regular file (or nothing). A device, a FIFO, a symlink or one
of DATA_DIR's own candle files is exit 2 with one clear line, and is left exactly as it was."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from quantpro.simulator import RunningSimulator

from .conftest import child_env, run_cli


def _fifo(tmp: Path, data: Path) -> Path:
    path = tmp / "feed.fifo"
    os.mkfifo(path)
    return path


def _symlink(tmp: Path, data: Path) -> Path:
    target = tmp / "precious.txt"
    target.write_text("keep me")
    path = tmp / "feed.json"
    path.symlink_to(target)
    return path


def _candle_file(tmp: Path, data: Path) -> Path:
    return sorted(data.glob("*_15m.json"))[0]


def _device(tmp: Path, data: Path) -> Path:
    path = tmp / "null-device"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own
    except PermissionError:
        pytest.skip("creating a device node needs root")
    return path


def _fingerprint(path: Path) -> tuple[int, bytes | None]:
    info = os.lstat(path)
    content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
    return info.st_mode, content


@pytest.mark.parametrize("make", [_fifo, _symlink, _candle_file, _device], ids=lambda f: f.__name__[1:])
def test_output_that_is_not_a_regular_file_is_refused(
    make: Callable[[Path, Path], Path], tmp_path: Path, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    target = make(tmp_path, live_data_dir)
    before = _fingerprint(target)
    result = run_cli(
        child_env(live_sim, tmp_path / "cache"), "scan", str(live_data_dir), "--output", str(target)
    )

    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if "regular file" in line]
    assert len(errors) == 1 and str(target) in errors[0]
    assert "Traceback" not in result.stderr
    assert _fingerprint(target) == before
    assert not live_sim.log  # refused before anything was sent
