"""Atomic file writes and tolerant reads: the one helper for the feed, every cache and the limiter state.

A write goes to a temporary file in the target's directory, is fsynced, then renamed over the target,
and the directory is fsynced: a crash at any moment leaves the previous file or the new one, never a
torn one. The temporary file is created with mode 0666 less the umask, as ``open()`` would create the
target, so the file that survives the rename is as readable as the user's umask says (a web server or
a bot running as another user can read the feed; docs/design.md §16). A read treats a missing,
unreadable or corrupt file as a miss (``None``), with a warning for the corrupt case, so callers
rebuild instead of crashing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from quantpro.secrets import redact_json_bytes

log = logging.getLogger(__name__)

#: Test-only: called with ("before_replace" | "after_replace", target path) around each rename.
#: Tests use it to crash the writer deterministically at either moment.
CrashHook = Callable[[str, Path], None]
_crash_hook: CrashHook | None = None


def set_crash_hook(hook: CrashHook | None) -> None:
    """Install (or remove with ``None``) the test-only crash hook."""
    global _crash_hook
    _crash_hook = hook


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: Mode of a new file before the umask: what ``open(path, "w")`` uses.
FILE_MODE = 0o666


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new ``.NAME.XXXXXXXX.tmp`` beside ``path``, created exclusively with :data:`FILE_MODE`.

    :func:`tempfile.mkstemp` would create it 0600, and that mode would survive the rename.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, FILE_MODE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (temp file in the same directory, fsync, rename).

    ``durable=False`` skips the two fsyncs: still never a half-written file, but a power cut may bring
    back the previous version — for small, hot state nobody loses by (the shared venue pacing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if _crash_hook is not None:
            _crash_hook("before_replace", path)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc  # say which file
        raise
    if durable:
        _fsync_dir(path.parent)
    if _crash_hook is not None:
        _crash_hook("after_replace", path)


def dumps_json(obj: Any, *, indent: bool = False) -> bytes:
    """Strict JSON (no NaN/Infinity: orjson writes them as null) with numpy values allowed, every
    registered secret masked."""
    option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    if indent:
        option |= orjson.OPT_INDENT_2
    return redact_json_bytes(orjson.dumps(obj, option=option))  # every file QuantPro writes


def atomic_write_json(path: Path, obj: Any, *, indent: bool = False, durable: bool = True) -> None:
    """Serialise ``obj`` first (so a serialisation error leaves the old file), then write atomically."""
    atomic_write_bytes(path, dumps_json(obj, indent=indent), durable=durable)


def read_json(path: Path, *, what: str = "file") -> Any | None:
    """The parsed content of ``path``, or ``None`` when it is missing, unreadable or corrupt."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("%s %s is unreadable (%s); rebuilding it", what, path, exc.strerror or exc)
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        log.warning("%s %s is corrupt (%s); rebuilding it", what, path, exc)
        return None


def writable_dir_problem(directory: Path) -> str | None:
    """Why files cannot be written in ``directory`` (created if missing), or ``None`` when they can.

    Probes with a real temporary file, so a read-only mount, a file in the way or a full disk all show."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(directory / "write-probe")
        try:
            os.write(fd, b"{}")
        finally:
            os.close(fd)
            tmp.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None
