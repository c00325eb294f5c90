"""File locks with a bounded wait and a named holder (issue 16 §9).

A ``FileLock`` without a timeout waits forever: a scan frozen while holding the shared quota lock (a
stopped process, a hung NFS client) would stall every later scan, silently. :class:`BoundedLock`
waits at most ``timeout`` seconds and then raises :class:`~quantpro.errors.LockTimeoutError` naming the
lock and its holder. The holder is whoever last wrote the lock's sidecar, ``NAME.holder``
(``pid 1234 on host since 2026-01-19T12:00:00Z``), which each acquirer writes once it holds the lock.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from quantpro.errors import LockTimeoutError

__all__ = ["DEFAULT_LOCK_TIMEOUT_S", "BoundedLock", "lock_holder"]

#: Every QuantPro lock is held for milliseconds (read, change, write a small file); half a minute of
#: waiting means the holder is stuck.
DEFAULT_LOCK_TIMEOUT_S = 30.0


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".holder")


def lock_holder(path: Path) -> str:
    """Who holds (or last held) the lock at ``path``, as its sidecar says."""
    try:
        text = _sidecar(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "an unknown process"
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:120] or "an unknown process"


class BoundedLock:
    """A re-entrant process-wide file lock that waits at most ``timeout`` seconds."""

    def __init__(self, path: Path, *, what: str, timeout: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.what = what
        self.timeout = timeout
        self._lock = FileLock(self.path)

    def acquire(self) -> None:
        first = not self._lock.is_locked
        try:
            self._lock.acquire(timeout=self.timeout)
        except Timeout:
            raise LockTimeoutError(
                f"the {self.what} lock {self.path} is held by {lock_holder(self.path)} and was not "
                f"released within {self.timeout:g}s; if that process is stuck, stop it (its locks go with it)"
            ) from None
        if first:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            with contextlib.suppress(OSError):
                _sidecar(self.path).write_text(
                    f"pid {os.getpid()} on {socket.gethostname()} since {stamp}\n", encoding="utf-8"
                )

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> BoundedLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
