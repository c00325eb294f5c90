"""Shared fixtures: a fake clock, isolated working directories, the real-data folder."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantpro.clock import FakeClock

REPO = Path(__file__).resolve().parent.parent
#: The real January sample beside the repository; QUANTPRO_REAL_CANDLES points elsewhere (a worktree).
REAL_CANDLES = Path(
    os.environ.get("QUANTPRO_REAL_CANDLES")
    or REPO.parent / "shared" / "data" / "quantopro-2026-01" / "candles"
)

# Every environment variable QuantPro reads; tests start with none of them set.
_QUANTPRO_ENV = (
    "COINALYZE_API_KEY",
    "COINALYZE_BASE_URL",
    "QUANTPRO_RATE_LIMIT_CALLS",
    "QUANTPRO_RATE_LIMIT_PERIOD",
    "QUANTPRO_HTTP_TIMEOUT",
    "QUANTPRO_SYMBOLS_TTL_HOURS",
    "QUANTPRO_RESPONSE_TTL_MINUTES",
    "QUANTPRO_CACHE_DIR",
    "QUANTPRO_REFERENCE_EXCHANGES",
    "QUANTPRO_LOG_FILE",
    "QUANTPRO_MIN_STOP_PCT",
    "QUANTPRO_MAX_STOP_PCT",
    "QUANTPRO_MAX_TARGET_PCT",
    "QUANTPRO_FEE_PCT",
    "QUANTPRO_ALLOW_STALE",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's settings, .env or quantpro.toml: each runs in its own directory."""
    for name in _QUANTPRO_ENV:
        monkeypatch.delenv(name, raising=False)
    # part one's tests run part one; the §11 tests choose ``--derivatives`` themselves
    monkeypatch.setenv("QUANTPRO_DERIVATIVES", "coinalyze")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    yield


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A command run in-process installs its log handlers on the ``quantpro`` logger, writing to the
    stderr of that moment (pytest's capture buffer); they are taken off after each test, so no later
    test logs into an earlier test's buffer (a 500-cycle soak measured that as memory growth)."""
    logger = logging.getLogger("quantpro")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    for handler in list(logger.handlers):
        if handler not in handlers:
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def real_candles() -> Path:
    if not REAL_CANDLES.is_dir():
        pytest.skip(f"real candle sample not present at {REAL_CANDLES}")
    return REAL_CANDLES


@pytest.fixture(autouse=True)
def _plain_quantpro_logger() -> Iterator[None]:
    """The CLI gives the ``quantpro`` logger its own handlers and stops propagation; every test starts
    and ends with it plain, so caplog sees its records whatever ran before."""
    logger = logging.getLogger("quantpro")

    def reset() -> None:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)

    reset()
    yield
    reset()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog, recording QuantPro's debug lines too."""
    caplog.set_level(logging.DEBUG, logger="quantpro")
    return caplog
