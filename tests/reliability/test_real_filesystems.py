"""Issue 16 §7 on real filesystems: a read-only mount (which stops root too) and a small tmpfs that fills
up mid-scan. Needs permission to mount tmpfs (root in a container); skipped elsewhere.

Every mount is made under the test's tmp_path and unmounted at teardown, whatever happened.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from quantpro.simulator import RunningSimulator

from .conftest import FEED, assert_valid_feed, child_env, demo_universe, run_cli

Mount = Callable[[str, int], Path]


def _sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Mount]:
    mounted: list[Path] = []

    def mount(name: str, size_kib: int) -> Path:
        point = tmp_path / name
        point.mkdir()
        if _sh("mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(point)).returncode:
            pytest.skip("cannot mount a tmpfs here (needs root in a container)")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        _sh("umount", "-l", str(point))


def _read_only(point: Path) -> None:
    assert _sh("mount", "-o", "remount,ro", str(point)).returncode == 0


def _one_line(stderr: str, needle: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if needle in line]
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_read_only_data_dir_is_exit_1_with_one_line(
    mount_tmpfs: Mount, tmp_path: Path, live_sim: RunningSimulator
) -> None:
    data_dir = demo_universe(mount_tmpfs("data", 65536) / "data", 15, at_ms=int(time.time() * 1000))
    _read_only(data_dir.parent)
    result = run_cli(child_env(live_sim, data_dir), "scan", str(data_dir))  # the cache is DATA_DIR too
    assert result.returncode == 1
    line = _one_line(result.stderr, "could not write the feed")
    assert "Read-only file system" in line
    _one_line(result.stderr, "cache directory")  # warned once, the scan went on without its caches
    assert not (data_dir / FEED).exists()


def test_a_read_only_cache_dir_still_writes_the_feed(
    mount_tmpfs: Mount, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    cache = mount_tmpfs("cache", 1024)
    _read_only(cache)
    result = run_cli(child_env(live_sim, cache), "scan", str(live_data_dir))
    assert result.returncode == 0, result.stderr
    assert "Read-only file system" in _one_line(result.stderr, "cache directory")
    assert_valid_feed(live_data_dir / FEED)


def test_a_cache_disk_that_fills_mid_scan_costs_only_the_caches(
    mount_tmpfs: Mount, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    cache = mount_tmpfs("cache", 64)  # room for the probe and the small state, not the symbol cache
    result = run_cli(child_env(live_sim, cache), "scan", str(live_data_dir))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "No space left on device" in result.stderr
    assert_valid_feed(live_data_dir / FEED)
    assert not list(cache.rglob(".*.tmp"))
