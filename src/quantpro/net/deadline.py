"""A total deadline and a size cap for one HTTP answer, whatever the library (issue 16 §3, §6).

An HTTP library's timeout bounds each *read*: a server trickling a byte a second never trips it, and a
request can last forever. A gzip bomb of 1 MB decodes to gigabytes. So every request QuantPro sends —
Coinalyze (httpx), the venues (ccxt over requests), alerts — reads its body through
:func:`read_bounded`: chunk by chunk, decoded, counting bytes against ``max_bytes`` and the clock
against a :class:`Deadline` started before the request went out. Either bound breaks the read with
:class:`AnswerTooSlow` or :class:`AnswerTooLarge`, which each boundary turns into its own temporary
error (``TransportError`` / ``ResponseShapeError``).

Usage, for any streaming client::

    deadline = Deadline(seconds)
    with client.stream("GET", url, timeout=deadline.read_timeout()) as response:
        body = read_bounded(response.iter_bytes(), deadline=deadline, max_bytes=MAX_ANSWER_BYTES)

The per-read timeout still bounds a single stalled read, so a request ends at the latest one read
timeout after its deadline. Deadlines use the real monotonic clock: sockets wait in real time.

For a library that sends its own requests and exposes no session (Apprise's plugins call ``requests``
themselves), :func:`run_with_deadline` is the watchdog: the call runs in a daemon thread and the caller
gets :class:`AnswerTooSlow` at the deadline, whatever the library is doing (the thread is abandoned and
ends when its socket does)::

    run_with_deadline(lambda: apobj.notify(body=text), seconds=settings.http_timeout, what="alert")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

__all__ = [
    "MAX_ANSWER_BYTES",
    "AnswerTooLarge",
    "AnswerTooSlow",
    "Deadline",
    "read_bounded",
    "run_with_deadline",
]

T = TypeVar("T")

#: The largest decoded answer any source may send (the biggest venue catalogue is ~20 MB). With the
#: JSON it parses into, one answer stays well inside the 1 GiB bound of docs/design.md §10.
MAX_ANSWER_BYTES = 64 * 1024 * 1024


class AnswerTooSlow(Exception):
    """The whole answer did not arrive within its deadline."""


class AnswerTooLarge(Exception):
    """The decoded answer is larger than its cap."""


class Deadline:
    """A wall-clock deadline ``seconds`` from now (monotonic)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self.started = time.monotonic()
        self.ends = self.started + self.seconds

    def remaining(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.ends

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def read_timeout(self, floor: float = 0.05) -> float:
        """A per-read timeout that never outlives the deadline by much."""
        return max(floor, self.remaining())

    def check(self, what: str = "the answer") -> None:
        if self.expired():
            raise AnswerTooSlow(f"{what} took longer than {self.seconds:g}s in all")


def read_bounded(chunks: Iterable[bytes], *, deadline: Deadline, max_bytes: int = MAX_ANSWER_BYTES) -> bytes:
    """Join ``chunks`` (decoded bytes) unless they exceed ``max_bytes`` or outlast ``deadline``."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise AnswerTooLarge(f"the answer exceeds {max_bytes // (1024 * 1024)} MiB decoded")
        parts.append(chunk)
        deadline.check()
    return b"".join(parts)


def run_with_deadline(call: Callable[[], T], *, seconds: float, what: str = "the request") -> T:
    """``call()``'s result, or :class:`AnswerTooSlow` once ``seconds`` have passed (its exception, if it
    raised one in time). The call keeps running in its abandoned daemon thread until it ends."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=target, name=f"deadline: {what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise AnswerTooSlow(f"{what} took longer than {seconds:g}s in all")
    if failure:
        raise failure[0]
    return outcome[0]
