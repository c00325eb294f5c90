"""Logging set-up for the command line: stderr for people, an optional debug file, secrets redacted.

Library modules only do ``log = logging.getLogger(__name__)`` with %-style arguments. This module is
called by the CLI (docs/design.md §2, §16):

- on a terminal, lines are ``[TAG] message`` (rich, no time: a person is watching); anywhere else
  (cron, journald, a pipe, a file) every line starts with its UTC time and level;
- ``--log-file PATH`` / ``QUANTPRO_LOG_FILE`` also writes every line at debug level, with times;
- every handler carries a filter that replaces registered secrets with ``***`` (a second line of
  defence: no code should log a secret in the first place) and escapes control characters, so a
  newline in a candle file's name cannot forge a log line.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

from quantpro.errors import ConfigError
from quantpro.secrets import redact, register_secret, registered

__all__ = ["TAGS", "configure_logging", "escape_controls", "stderr_console"]

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

#: ``2026-01-19T16:23:58.123Z INFO    [SCAN] …``: ISO 8601 in UTC, sortable, what journald and cron mail keep.
_TIMED_FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)-7s [%(tag)s] %(message)s"
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
_FILE_FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)-7s [%(tag)s] %(name)s: %(message)s"

# C0 controls, DEL, C1 controls and the Unicode line and paragraph separators: anything a terminal or
# a log reader might take for the end of a line or a cursor movement.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROLS.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def escape_controls(text: str) -> str:
    """``text`` with every control character written as an escape (``\\n``, ``\\x1b``): one line, inert."""
    return text.translate(_CONTROLS)


def _tag(name: str) -> str:
    for prefix, tag in TAGS.items():
        if name == prefix or name.startswith(prefix + "."):
            return tag
    return name.rsplit(".", 1)[-1].upper()


class _SafeLineFilter(logging.Filter):
    """Redacts secrets, escapes control characters and adds the ``tag`` field, once per record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "_quantpro_safe", False):
            message = record.getMessage()
            if registered():
                message = redact(message)
            record.msg, record.args = escape_controls(message), None
            record._quantpro_safe = True
            record.tag = _tag(record.name)
        return True


def _utc_formatter(fmt: str) -> logging.Formatter:
    formatter = logging.Formatter(fmt, datefmt=_DATE_FORMAT)
    formatter.converter = time.gmtime
    return formatter


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
        handler.setFormatter(_utc_formatter(_TIMED_FORMAT))
    handler.setLevel(level)
    handler.addFilter(_SafeLineFilter())
    root.addHandler(handler)
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            file_handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot use the log file {log_file} (QUANTPRO_LOG_FILE): {exc.strerror or exc}"
            ) from None
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(_utc_formatter(_FILE_FORMAT))
        file_handler.addFilter(_SafeLineFilter())
        root.addHandler(file_handler)
