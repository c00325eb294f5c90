"""Alert channels: the Apprise URLs of ``QUANTPRO_ALERT_URLS`` and sending through them (§14).

A URL holds secrets (a bot token, a webhook key), so it is never logged, written or shown: a channel
is named by its scheme and a short hash of its URL (``tgram#3fa2c1d0``), stable across restarts, which
is what the deduplication rows and the status file carry. Apprise's own logger is kept quiet (it
logs request URLs at debug level); a failure is reported as the HTTP status or "connection failed",
never as Apprise's text.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from quantpro.net.deadline import AnswerTooSlow, run_with_deadline

__all__ = ["ALERT_DEADLINE_S", "Channel", "Sender", "apprise_send", "parse_channels"]

log = logging.getLogger(__name__)

#: Sends one message (title, body) to one URL; ``None`` when delivered, else the reason it was not.
Sender = Callable[[str, str, str], "str | None"]

#: The whole delivery of one message to one channel, connection and answer included.
ALERT_DEADLINE_S = 30.0

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True, slots=True)
class Channel:
    """One alert URL, named without its secrets."""

    position: int  # 1-based, in QUANTPRO_ALERT_URLS
    scheme: str
    url: str = field(repr=False)
    valid: bool = True

    @property
    def name(self) -> str:
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:8]
        return f"{self.scheme}#{digest}"

    @property
    def described(self) -> str:
        return f"alert URL {self.position} ({self.name})"


def _scheme(url: str) -> str:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else "unknown"


def parse_channels(urls: Sequence[str]) -> list[Channel]:
    """A channel per URL; one Apprise does not understand is kept with ``valid=False`` (named in the
    status file and the log, never sent to)."""
    channels = []
    for position, url in enumerate(urls, start=1):
        channel = Channel(position, _scheme(url), url, _is_valid(url))
        if not channel.valid:
            log.error(
                "%s is not a valid Apprise URL; it is skipped (check QUANTPRO_ALERT_URLS)", channel.described
            )
        channels.append(channel)
    return channels


def _is_valid(url: str) -> bool:
    import apprise

    with _quiet_apprise():
        return bool(apprise.Apprise().add(url))


class _Capture(logging.Handler):
    """Keeps only what is safe of Apprise's warnings: an HTTP status, or that it could not connect."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reason: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        status = re.search(r"error=(\d{3})", text)
        if status:
            self.reason = f"HTTP {status.group(1)}"
        elif "connection" in text.lower() or "socket" in text.lower():
            self.reason = "connection failed"


@contextmanager
def _quiet_apprise() -> Iterator[_Capture]:
    logger = logging.getLogger("apprise")
    capture = _Capture()
    saved = (logger.level, logger.propagate, list(logger.handlers))
    for handler in saved[2]:
        logger.removeHandler(handler)
    logger.addHandler(capture)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield capture
    finally:
        logger.removeHandler(capture)
        for handler in saved[2]:
            logger.addHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = False  # Apprise never logs through QuantPro's handlers


def apprise_send(url: str, title: str, body: str, *, deadline_s: float = ALERT_DEADLINE_S) -> str | None:
    """Deliver one message through Apprise within ``deadline_s`` in all (a channel that trickles or
    hangs must not hold the watch loop); ``None`` when delivered, else a reason without secrets."""
    try:
        return run_with_deadline(lambda: _apprise_send(url, title, body), seconds=deadline_s, what="an alert")
    except AnswerTooSlow:
        return f"no answer within {deadline_s:g} s"


def _apprise_send(url: str, title: str, body: str) -> str | None:
    import apprise

    with _quiet_apprise() as capture:
        sender = apprise.Apprise()
        if not sender.add(url):
            return "not a valid Apprise URL"
        try:
            delivered = sender.notify(title=title, body=body)
        except Exception as exc:  # a plug-in's bug must not stop the loop
            return f"Apprise raised {type(exc).__name__}"
    return None if delivered else (capture.reason or "not delivered")
