"""Engines and sessions for the two supported databases.

SQLite (one desktop) is one file with WAL, foreign keys and a busy timeout; every write
transaction starts with ``BEGIN IMMEDIATE`` so two writers never deadlock on a lock upgrade.
PostgreSQL (a team) is reached through a ``postgresql+psycopg://`` URL.

``Database.read()`` and ``Database.write()`` are the only ways code opens a session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from crm_desk.errors import ConfigurationError

# Mount types on which SQLite's locking is unreliable (and WAL does not work at all).
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "afs",
        "9p",
        "fuse.sshfs",
        "ncpfs",
        "glusterfs",
        "ceph",
        "fuse.glusterfs",
        "fuse.cephfs",
        "davfs",
        "fuse.davfs2",
    }
)

SQLITE_BUSY_TIMEOUT_S = 30.0
_WRITE_OPTION = "crm_desk_write"


@dataclass(frozen=True)
class MountInfo:
    mount_point: Path
    fs_type: str


def _unescape_mount_field(field: str) -> str:
    # /proc/mounts escapes space, tab, newline and backslash as octal.
    return (
        field.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
    )


def mount_for(path: Path, mounts_file: Path = Path("/proc/mounts")) -> MountInfo | None:
    """The mount that holds ``path`` (the longest mount point that is a prefix of it)."""
    try:
        lines = mounts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None  # not Linux, or /proc not mounted: nothing to check against
    target = path.resolve()
    best: MountInfo | None = None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point = Path(_unescape_mount_field(fields[1]))
        if (target == mount_point or mount_point in target.parents) and (
            best is None or len(mount_point.parts) >= len(best.mount_point.parts)
        ):
            best = MountInfo(mount_point, fields[2])
    return best


def refuse_network_filesystem(path: Path, mounts_file: Path = Path("/proc/mounts")) -> None:
    # resolve() follows symlinks as far as the path exists, so a link into a share is caught.
    mount = mount_for(path, mounts_file)
    if mount and (mount.fs_type in NETWORK_FILESYSTEMS or mount.fs_type.startswith("nfs")):
        raise ConfigurationError(
            f"{path} is on a network filesystem ({mount.fs_type} at {mount.mount_point}); "
            "SQLite cannot lock files there safely. Keep the SQLite file on a local disk, or "
            "share the queue through PostgreSQL (--database postgresql+psycopg://…)."
        )


def normalise_url(url: str | URL) -> URL:
    parsed = make_url(url)
    # A bare postgresql:// URL would pick psycopg2, which is not a dependency.
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN IMMEDIATE is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        # FULL: a commit that returned is on disk, even across a power cut.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache per connection
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


class Database:
    """One database, SQLite or PostgreSQL, with read and write sessions."""

    def __init__(self, url: str | URL, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigurationError(
                f"unsupported database {self.dialect!r}: use a SQLite file or PostgreSQL"
            )
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            path = self.sqlite_path
            if path is None:
                raise ConfigurationError(
                    "an in-memory SQLite database cannot be shared; give a file"
                )
            refuse_network_filesystem(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"connect_timeout": 10, "application_name": "crm-desk"}
        self.engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or not self.url.database or self.url.database == ":memory:":
            return None
        return Path(self.url.database).expanduser()

    def describe(self) -> str:
        """The URL without its password, for the status bar and `db info`."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; never committed, so it cannot write by accident.

        Closing it (at the end of the block) rolls the connection back but leaves loaded
        objects usable, detached, for the caller.
        """
        with self._read_sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on any exception."""
        with self._write_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
