"""Logging set-up for the command line: stderr for people, an optional debug file, secrets redacted.

Library modules only do ``log = logging.getLogger(__name__)`` with %-style arguments. This module is
called once by the CLI. Every handler carries a filter that replaces registered secrets (the API key)
with ``***``, as a second line of defence: no code should log the key in the first place.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

from quantpro.secrets import redact, register_secret, registered

#: Short tags in front of log lines, as in the reference design (``[BATCH] Resolved: …``).
TAGS = {
    "quantpro.sources.coinalyze.processor": "BATCH",
    "quantpro.sources.coinalyze.resolver": "RESOLVER",
    "quantpro.sources.coinalyze.client": "CLIENT",
    "quantpro.net.ratelimit": "LIMITER",
    "quantpro.runs.scan": "SCAN",
    "quantpro.store.markets": "DATA",
    "quantpro.feed.build": "FEED",
    "quantpro.simulator": "SIM",
    "quantpro.download": "DOWNLOAD",
}


def _tag(name: str) -> str:
    for prefix, tag in TAGS.items():
        if name == prefix or name.startswith(prefix + "."):
            return tag
    return name.rsplit(".", 1)[-1].upper()


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if registered():
            message = redact(record.getMessage())
            record.msg, record.args = message, None
        record.tag = _tag(record.name)
        return True


def stderr_console() -> Console:
    """The console shared by log lines and progress displays, so they do not garble each other."""
    return _CONSOLE


_CONSOLE = Console(stderr=True, highlight=False, soft_wrap=True)


def configure_logging(verbosity: int = 0, log_file: Path | None = None, secrets: Iterable[str] = ()) -> None:
    """``verbosity``: -1 warnings only (``-q``), 0 info, 1 debug (``-v``)."""
    for secret in secrets:
        register_secret(secret)
    root = logging.getLogger("quantpro")
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.setLevel(logging.DEBUG)
    root.propagate = False
    level = logging.WARNING if verbosity < 0 else logging.DEBUG if verbosity > 0 else logging.INFO
    handler: logging.Handler
    if _CONSOLE.is_terminal:
        handler = RichHandler(
            console=_CONSOLE, show_time=False, show_path=False, markup=False, rich_tracebacks=False
        )
        handler.setFormatter(logging.Formatter("[%(tag)s] %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)-7s [%(tag)s] %(message)s"))
    handler.setLevel(level)
    handler.addFilter(_RedactingFilter())
    root.addHandler(handler)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s [%(tag)s] %(name)s: %(message)s")
        )
        file_handler.addFilter(_RedactingFilter())
        root.addHandler(file_handler)
