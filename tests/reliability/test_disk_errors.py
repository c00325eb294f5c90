"""Issue 16 §7: a disk or a path that says no is one clear line and the documented exit code, never a
traceback; with only the cache unusable, the scan still writes its feed (caches are an optimisation).

The tests run as whatever user the machine gives (often root, whom ``chmod`` does not stop), so the
refusals are ones no user escapes: a file where a directory must be, a directory where a file must be,
and ``RLIMIT_FSIZE`` for a full disk.
"""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

from quantpro.simulator import RunningSimulator

from .conftest import FEED, assert_valid_feed, child_env, quantpro_command, run_cli


def _one_error_line(stderr: str, needle: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if needle in line]
    assert len(lines) == 1, stderr
    return lines[0]


def test_an_unusable_cache_dir_costs_the_caches_not_the_feed(
    tmp_path: Path, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    in_the_way = tmp_path / "cache"
    in_the_way.write_text("not a directory")
    result = run_cli(child_env(live_sim, in_the_way), "scan", str(live_data_dir))
    assert result.returncode == 0, result.stderr
    line = _one_error_line(result.stderr, "cache directory")
    assert str(in_the_way) in line and "WARNING" in line
    assert_valid_feed(live_data_dir / FEED)
    assert in_the_way.read_text() == "not a directory"


def test_an_unusable_log_file_is_exit_2_with_one_line(tmp_path: Path, live_sim: RunningSimulator) -> None:
    log_dir = tmp_path / "a-directory"
    log_dir.mkdir()
    env = child_env(live_sim, tmp_path / "cache", QUANTPRO_LOG_FILE=str(log_dir))
    result = run_cli(env, "scan", str(tmp_path))
    assert result.returncode == 2
    assert str(log_dir) in _one_error_line(result.stderr, "log file")


def test_an_unusable_demo_dir_is_exit_2_with_one_line(tmp_path: Path, live_sim: RunningSimulator) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    result = run_cli(child_env(live_sim, tmp_path / "cache"), "demo", "--dir", str(blocker / "demo"))
    assert result.returncode == 2
    assert "--dir" in _one_error_line(result.stderr, "demo")


def test_a_full_disk_is_exit_1_and_the_previous_feed_is_whole(
    tmp_path: Path, live_sim: RunningSimulator, live_data_dir: Path
) -> None:
    env = child_env(live_sim, tmp_path / "cache")
    assert run_cli(env, "scan", str(live_data_dir)).returncode == 0
    before = (live_data_dir / FEED).read_bytes()
    (tmp_path / "cache" / "coinalyze_symbols.json").unlink()  # the next scan must write it again

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16_384, 16_384))

    result = subprocess.run(
        quantpro_command("scan", str(live_data_dir)),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=small_disk,
        check=False,
    )
    assert result.returncode == 1
    assert str(live_data_dir / FEED) in _one_error_line(result.stderr, "could not write the feed")
    assert (live_data_dir / FEED).read_bytes() == before
    assert not list(live_data_dir.glob(".*.tmp"))
