"""SIGTERM and SIGINT for ``watch`` (docs/design.md §14): finish the current write, then stop.

Outside a critical section a signal raises :class:`Stopped` at once (a download or a scan waiting for
quota stops now; every file they write is atomic, so what is on disk stays whole). Inside one (the
feed, the history, an alert and its deduplication row, the status file) the signal is remembered and
raised when the section ends, so that write completes. SIGTERM means exit 0, SIGINT exit 130.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["EXIT_FOR_SIGNAL", "StopGate", "Stopped"]

#: What each signal makes the watcher exit with.
EXIT_FOR_SIGNAL = {signal.SIGTERM: 0, signal.SIGINT: 130}


class Stopped(BaseException):
    """A stop signal arrived; ``exit_code`` is what the watcher exits with."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = EXIT_FOR_SIGNAL.get(signal.Signals(signum), 0)


class StopGate:
    """Installs the handlers (main thread only) and defers them inside :meth:`critical`."""

    def __init__(self) -> None:
        self.requested: int | None = None
        self._depth = 0
        self._previous: dict[int, Any] = {}
        self._settled = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals only reach the main thread; a watcher in a thread is stopped by its owner
        for signum in EXIT_FOR_SIGNAL:
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def settle(self) -> None:
        """The watcher is stopping: later signals change nothing (the final status write completes)."""
        self._settled = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._settled:
            return
        if self.requested is None:
            self.requested = signum
        if self._depth == 0:
            raise Stopped(self.requested)

    def check(self) -> None:
        """Raise :class:`Stopped` if a signal is waiting."""
        if self.requested is not None and self._depth == 0 and not self._settled:
            raise Stopped(self.requested)

    @contextmanager
    def critical(self) -> Iterator[None]:
        """A block a signal does not interrupt; a signal that arrived during it is raised after it."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        self.check()

    def run_critical(self, fn: Callable[[], Any]) -> Any:
        with self.critical():
            return fn()
