"""One watcher per data directory (docs/design.md §14): ``DATA_DIR/watch.lock``.

The lock is an ``flock`` on the file, which the kernel releases when its holder dies however it dies
(SIGKILL, power loss), so a dead watcher's lock is simply taken over; the file also holds the
holder's pid, so a second watcher can say who holds it. A lock file whose pid is not running is
reported as taken over. After locking, the file is checked to still be the one at the path (a holder
that unlinked it on exit while we waited would otherwise leave two watchers on two files).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from types import TracebackType

from quantpro.errors import ConfigError
from quantpro.store.layout import WATCH_LOCK

__all__ = ["WatchLock", "WatchLockedError", "pid_alive"]

log = logging.getLogger(__name__)


class WatchLockedError(ConfigError):
    """Another watcher holds the data directory's lock (exit 2)."""

    def __init__(self, message: str, pid: int | None) -> None:
        super().__init__(message)
        self.pid = pid


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one we may not signal still exists)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode("ascii", "replace").strip()
        return int(text.split()[0]) if text else None
    return None


class WatchLock:
    """The lock of one data directory; :meth:`acquire` raises :class:`WatchLockedError` when held."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / WATCH_LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        for _ in range(10):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = _read_pid(fd)
                os.close(fd)
                who = f"pid {pid}" if pid is not None else "another process"
                raise WatchLockedError(
                    f"another quantpro watch ({who}) is watching {self.path.parent} "
                    f"(it holds {self.path}); stop it first, or watch another directory",
                    pid,
                ) from None
            if not self._same_file(fd):
                os.close(fd)
                continue
            self._take(fd)
            return
        raise ConfigError(f"could not lock {self.path}: it keeps being replaced")

    def _same_file(self, fd: int) -> bool:
        try:
            mine, there = os.fstat(fd), os.stat(self.path)
        except FileNotFoundError:
            return False
        return (mine.st_dev, mine.st_ino) == (there.st_dev, there.st_ino)

    def _take(self, fd: int) -> None:
        previous = _read_pid(fd)
        if previous is not None and previous != os.getpid():
            state = "still running but not holding it" if pid_alive(previous) else "no longer running"
            log.warning("took over %s left by pid %d (%s)", self.path, previous, state)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        """Remove the file and let go (the unlink first: a waiter then sees a replaced file)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if self._same_file(self._fd):
                self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> WatchLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
