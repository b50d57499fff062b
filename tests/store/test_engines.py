"""Engine setup: SQLite pragmas, BEGIN IMMEDIATE for writes, refusals with clear messages."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from crm_desk.errors import ConfigurationError
from crm_desk.store.db import Database, mount_for, normalise_url, refuse_network_filesystem

MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
server:/export/home /mnt/team nfs4 rw,relatime,vers=4.2 0 0
//fileserver/share /mnt/share\\040drive cifs rw 0 0
tmpfs /mnt/team/local tmpfs rw 0 0
"""


@pytest.fixture
def mounts(tmp_path: Path) -> Path:
    path = tmp_path / "mounts"
    path.write_text(MOUNTS)
    return path


@pytest.mark.parametrize(
    ("path", "fs_type"),
    [
        ("/home/me/db.sqlite3", "ext4"),
        ("/mnt/team/crm/db.sqlite3", "nfs4"),
        ("/mnt/share drive/db.sqlite3", "cifs"),
        ("/mnt/team/local/db.sqlite3", "tmpfs"),  # the longest mount point wins
    ],
)
def test_mount_lookup(mounts: Path, path: str, fs_type: str) -> None:
    mount = mount_for(Path(path), mounts)
    assert mount is not None and mount.fs_type == fs_type


@pytest.mark.parametrize("path", ["/mnt/team/crm/db.sqlite3", "/mnt/share drive/x/db.sqlite3"])
def test_sqlite_on_a_network_filesystem_is_refused(mounts: Path, path: str) -> None:
    with pytest.raises(ConfigurationError, match=r"network filesystem.*PostgreSQL"):
        refuse_network_filesystem(Path(path), mounts)


def test_sqlite_on_a_local_disk_is_accepted(mounts: Path) -> None:
    refuse_network_filesystem(Path("/mnt/team/local/db.sqlite3"), mounts)
    refuse_network_filesystem(Path("/var/lib/crm/db.sqlite3"), mounts)


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    db.dispose()


def test_writes_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: a second writer waits at BEGIN instead of failing at its first write."""
    path = tmp_path / "db.sqlite3"
    db = Database(f"sqlite:///{path}")
    with db.write() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with db.write() as session:
        session.execute(text("SELECT 1"))  # no write yet, but the lock is already held
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # free again after commit
    other.rollback()
    other.close()
    with db.read() as session:  # readers do not take it
        session.execute(text("SELECT count(*) FROM t"))
        second = sqlite3.connect(path, timeout=0, isolation_level=None)
        second.execute("BEGIN IMMEDIATE")
        second.rollback()
        second.close()
    db.dispose()


def test_unusable_urls_are_refused_clearly() -> None:
    with pytest.raises(ConfigurationError, match="unsupported database 'mysql'"):
        Database("mysql://u@h/db")
    with pytest.raises(ConfigurationError, match="in-memory"):
        Database("sqlite://")


def test_plain_postgresql_url_uses_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
