"""The local SQLite store: one file shared by ``snapshot``, ``scan``, ``watch`` and the dashboard.

stdlib ``sqlite3`` in WAL mode, created on first use, never needing a server: a second process may
read while one writes, and writers wait for each other (``busy_timeout``) instead of failing. The
schema is versioned per component (``meta`` holds ``schema_version.<component>``), and each component
registers its forward migrations with :func:`register_migrations` — the derivatives tables of §11 and
the history tables of §14 evolve independently in one file. A file that is not a SQLite database, or
fails its integrity check, is moved aside (``.corrupt-<time>``) with a warning and rebuilt: a corrupt
store never stops a scan, and nothing is deleted.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from quantpro.errors import ConfigError

__all__ = [
    "BUSY_TIMEOUT_S",
    "Migration",
    "Store",
    "open_store",
    "register_migrations",
    "unregister_migrations",
]

log = logging.getLogger(__name__)

#: How long a writer waits for another process's write before giving up with a clear error.
BUSY_TIMEOUT_S = 30.0

#: One forward migration: the SQL statements that take a component from version n−1 to n.
Migration = Sequence[str]

_MIGRATIONS: dict[str, list[Migration]] = {}
_lock = threading.Lock()


def register_migrations(component: str, migrations: Sequence[Migration]) -> None:
    """Declare ``component``'s schema as forward migrations (index 0 takes it from 0 to version 1).

    Called at import time by the module that owns the tables. Migrations are only ever appended.
    """
    with _lock:
        _MIGRATIONS[component] = list(migrations)


def unregister_migrations(component: str) -> None:
    """Forget a component's migrations (its tables stay in existing files); for tests and plug-ins."""
    with _lock:
        _MIGRATIONS.pop(component, None)


#: How often an open store runs SQLite's page-by-page integrity check.
INTEGRITY_EVERY_S = 6 * 3600.0

_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


class Store:
    """An open store. Use as a context manager, or call :meth:`close`.

    ``read_only`` opens the file without creating or migrating it (the dashboard); a read-only store
    whose file does not exist raises :class:`FileNotFoundError`.
    """

    def __init__(self, path: Path, *, read_only: bool = False, now: Callable[[], float] | None = None):
        self.path = Path(path)
        self.read_only = read_only
        self._now = now
        self.conn = self._connect()

    # -- opening ----------------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            if not self.path.is_file():
                raise FileNotFoundError(self.path)
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            return conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the store's directory {self.path.parent}: {exc}") from exc
        try:
            return self._open_and_migrate()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower():
                raise
            self._move_aside(exc)
            return self._open_and_migrate()

    def _open_and_migrate(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # not a database → DatabaseError
            self._migrate(conn)
            self._check_integrity(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_integrity(self, conn: sqlite3.Connection) -> None:
        """``PRAGMA quick_check`` at most once every :data:`INTEGRITY_EVERY_S` per store: it reads every
        page (0.16 s at 6 MB, seconds at 90 days of buckets), too much for every scan of a watch loop.
        A file that is not a database at all fails at once, above."""
        now = self._now() if self._now is not None else time.time()
        row = conn.execute("SELECT value FROM meta WHERE key = 'integrity_checked_at'").fetchone()
        if row is not None and now - float(row[0]) < INTEGRITY_EVERY_S:
            return
        check = conn.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {check[0] if check else 'no answer'}")
        with conn:
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('integrity_checked_at', ?)", (repr(now),)
            )

    def _move_aside(self, exc: Exception) -> None:
        stamp = int(self._now() if self._now is not None else time.time())
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        log.warning(
            "the store %s is unreadable (%s); moved it aside to %s and starting a new one",
            self.path,
            exc,
            aside.name,
        )
        for suffix in ("", "-wal", "-shm"):
            part = self.path.with_name(self.path.name + suffix)
            if part.exists():
                part.replace(aside.with_name(aside.name + suffix))

    def _migrate(self, conn: sqlite3.Connection) -> None:
        with _lock:
            components = {name: list(steps) for name, steps in _MIGRATIONS.items()}
        with conn:
            conn.execute(_META)
        for component, steps in sorted(components.items()):
            key = f"schema_version.{component}"
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            current = int(row[0]) if row is not None else 0
            if current > len(steps):
                raise ConfigError(
                    f"the store {self.path} was written by a newer QuantPro ({component} schema "
                    f"{current}, this one knows {len(steps)}); upgrade QuantPro or point "
                    "QUANTPRO_STORE_PATH elsewhere"
                )
            for version in range(current + 1, len(steps) + 1):
                with conn:  # one transaction per step: a crash leaves the previous version whole
                    for statement in steps[version - 1]:
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, str(version)),
                    )
                log.debug("store %s: %s schema at version %d", self.path.name, component, version)

    # -- use ------------------------------------------------------------------------------------------

    def schema_version(self, component: str) -> int:
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = ?", (f"schema_version.{component}",)
        ).fetchone()
        return int(row[0]) if row is not None else 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``: the write lock is taken up front)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_store(path: Path, *, read_only: bool = False) -> Store:
    """Open (creating and migrating, unless ``read_only``) the store at ``path``."""
    return Store(path, read_only=read_only)
