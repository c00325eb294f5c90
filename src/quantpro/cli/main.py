"""``quantpro``'s entry point: run the app and map every outcome to an exit code, in one place.

Exit codes (docs/design.md §2, §12): 0 feed written (ok/degraded), 3 feed written but failed, 4 feed
written but stale (more than half the markets' candles are stale), 1 no feed, 2 bad arguments/settings
or a refused key, 130 Ctrl-C, 0 SIGTERM (§14: systemd and docker stop a service that way; every write
finished or undone), 129 SIGHUP. A lock another process holds too long is exit 1, naming it and its holder.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import Any

import typer

from quantpro.cli.app import EXIT_INTERRUPTED, EXIT_NO_FEED, EXIT_OK, EXIT_USAGE, log
from quantpro.cli.introspect import build_command
from quantpro.errors import AuthenticationError, ConfigError, FeedWriteError, LockTimeoutError, NoMarketsError

__all__ = ["main", "run"]


#: The signal that stopped the run, if one did (SIGTERM, SIGHUP: handled as Ctrl-C is).
_stopped_by: list[int] = []


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    """SIGTERM/SIGHUP unwind the stack like Ctrl-C: every ``finally`` runs, temp files are removed."""
    _stopped_by.append(signum)
    raise KeyboardInterrupt


def _install_stop_signals() -> dict[int, Any]:
    """Handle SIGTERM/SIGHUP for this run; returns the handlers they replaced."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, _on_stop_signal)
    return previous


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and map every outcome to an exit code."""
    _stopped_by.clear()
    previous = _install_stop_signals()
    try:
        return _run(argv)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _run(argv: list[str] | None) -> int:
    try:
        result = build_command().main(args=argv, prog_name="quantpro", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        return _interrupted()
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, …
        return _usage_error(exc)
    except AuthenticationError as exc:
        log.error(  # the error already says "the Coinalyze API refused the key: …; check COINALYZE_API_KEY"
            "%s (environment or .env). No feed was written; the previous feed is untouched.", exc
        )
        return EXIT_USAGE
    except ConfigError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except (FeedWriteError, NoMarketsError, LockTimeoutError) as exc:
        log.error("%s", exc)
        return EXIT_NO_FEED
    except OSError as exc:  # a disk or path the run needed said no: one line, never a traceback
        log.error("%s; no feed was written", describe_os_error(exc))
        return EXIT_NO_FEED
    if result == EXIT_INTERRUPTED:  # typer turns Ctrl-C (KeyboardInterrupt) into a return value of 130
        return _interrupted()
    return result if isinstance(result, int) else EXIT_OK


def describe_os_error(exc: OSError) -> str:
    """``could not use PATH: Reason`` from any OSError (the path and the system's reason only)."""
    where = f" {exc.filename}" if exc.filename else ""
    return f"could not use{where}: {exc.strerror or exc}"


def _usage_error(exc: typer.TyperException) -> int:
    """One line on stderr that names the problem and where help is (no usage block, no traceback);
    ``quantpro`` or a group alone still prints its help."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        exc.show()  # type: ignore[attr-defined]
        return EXIT_USAGE
    ctx = getattr(exc, "ctx", None)
    where = getattr(ctx, "command_path", None) or "quantpro"
    message = " ".join(exc.format_message().split())  # typer's messages may span lines
    message = message.replace("Value error, ", "")  # pydantic's prefix says nothing to a user
    print(f"Error: {message} (see '{where} --help')", file=sys.stderr)
    return EXIT_USAGE if exc.exit_code == EXIT_USAGE else int(exc.exit_code)


def _interrupted() -> int:
    """Ctrl-C (or SIGTERM/SIGHUP): every write is atomic and temporary files are removed as the stack
    unwinds. SIGTERM exits 0 (§14); another signal exits 128 + its number, as shells expect."""
    if _stopped_by and _stopped_by[0] == signal.SIGTERM:  # a service stopped on purpose (§14): exit 0
        log.error("terminated (SIGTERM); nothing half-written was left behind")
        return EXIT_OK
    if _stopped_by:
        name = signal.Signals(_stopped_by[0]).name
        log.error("stopped by %s; nothing half-written was left behind", name)
        return 128 + _stopped_by[0]
    log.error("interrupted; nothing half-written was left behind")
    return EXIT_INTERRUPTED


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
