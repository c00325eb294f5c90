"""The SQLite store's foundation: WAL, per-component forward migrations, a corrupt file moved aside."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantpro.errors import ConfigError
from quantpro.store.db import Store, register_migrations, unregister_migrations

COMPONENT = "test_component"


@pytest.fixture(autouse=True)
def _component() -> Iterator[None]:
    register_migrations(
        COMPONENT,
        [
            ["CREATE TABLE thing (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"],
            ["ALTER TABLE thing ADD COLUMN size REAL"],
        ],
    )
    yield
    unregister_migrations(COMPONENT)


def test_a_new_store_is_created_in_wal_mode_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "quantpro.sqlite"
    with Store(path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.schema_version(COMPONENT) == 2
        with store.transaction() as conn:
            conn.execute("INSERT INTO thing (name, size) VALUES ('a', 1.5)")
    with Store(path, read_only=True) as reader:
        assert [tuple(r) for r in reader.conn.execute("SELECT name, size FROM thing")] == [("a", 1.5)]


def test_migrations_run_forward_only_from_the_stored_version(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    register_migrations(COMPONENT, [["CREATE TABLE thing (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"]])
    with Store(path) as store:
        store.conn.execute("INSERT INTO thing (name) VALUES ('kept')")
        store.conn.commit()
        assert store.schema_version(COMPONENT) == 1
    register_migrations(
        COMPONENT,
        [
            ["CREATE TABLE thing (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"],
            ["ALTER TABLE thing ADD COLUMN size REAL"],
        ],
    )
    with Store(path) as store:
        assert store.schema_version(COMPONENT) == 2
        assert [tuple(r) for r in store.conn.execute("SELECT name, size FROM thing")] == [("kept", None)]


def test_a_store_from_a_newer_quantpro_is_refused_not_damaged(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.conn.execute("UPDATE meta SET value = '9' WHERE key = ?", (f"schema_version.{COMPONENT}",))
        store.conn.commit()
    with pytest.raises(ConfigError, match="newer QuantPro"):
        Store(path)
    assert path.is_file()


def test_a_corrupt_store_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "quantpro.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with Store(path, now=lambda: 1234.0) as store:
        assert store.schema_version(COMPONENT) == 2
    aside = tmp_path / "quantpro.sqlite.corrupt-1234"
    assert aside.read_bytes().startswith(b"this is not a database")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(aside).execute("SELECT 1 FROM meta").fetchone()


def test_a_read_only_store_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Store(tmp_path / "missing.sqlite", read_only=True)
    assert not (tmp_path / "missing.sqlite").exists()


def test_the_page_by_page_check_runs_every_few_hours_and_catches_damage_inside(tmp_path: Path) -> None:
    from quantpro.store.db import INTEGRITY_EVERY_S

    path = tmp_path / "quantpro.sqlite"
    now = [1_000_000.0]
    with Store(path, now=lambda: now[0]) as store, store.transaction() as conn:
        conn.executemany("INSERT INTO thing (name) VALUES (?)", [(f"n{i}" * 50,) for i in range(3000)])
    with sqlite3.connect(path) as conn:  # fold the WAL into the file, then damage an interior page
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 5 : page * 6] = b"\xff" * page
    path.write_bytes(bytes(data))

    now[0] += INTEGRITY_EVERY_S / 2  # checked recently: this open does not read every page
    with Store(path, now=lambda: now[0]):
        pass
    assert not list(tmp_path.glob("*.corrupt-*"))
    now[0] += INTEGRITY_EVERY_S  # due again: the damage is found, the file moved aside, a new one made
    with Store(path, now=lambda: now[0]) as store:
        assert store.schema_version(COMPONENT) == 2
        assert store.conn.execute("SELECT COUNT(*) FROM thing").fetchone()[0] == 0
    assert len(list(tmp_path.glob("quantpro.sqlite.corrupt-*"))) >= 1
