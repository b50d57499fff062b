"""Fast inserts of many plain rows, for generated data (the demo, benchmarks).

The ORM costs tens of microseconds per object; loading a million tickets through it takes
hours. ``BulkWriter`` takes rows as tuples, in the column order given, and hands them to the
driver directly inside the caller's write transaction (``Database.write()``):

* SQLite: ``executemany`` on the raw ``sqlite3`` connection, inside the session's own
  ``BEGIN IMMEDIATE`` transaction, so triggers (the FTS index) and constraints still apply;
* PostgreSQL: ``COPY … FROM STDIN`` through psycopg 3, the fastest path into the server.

What it does not do, because the caller bypasses SQLAlchemy: column defaults, type
conversion and sequences. So the caller supplies every NOT NULL column, generates ids itself,
and calls ``reset_sequences`` afterwards (PostgreSQL's serial sequences do not move when ids
are given explicitly). Timestamps must be given already encoded: ``Timestamps`` produces the
exact text that ``UTCDateTime`` + pysqlite store on SQLite (``2026-11-01 09:00:00.000000``,
naive UTC, so that text order is time order) and an explicit ``+00`` offset for PostgreSQL's
``timestamptz``. JSON columns take JSON text (``'[]'``). Generated columns (``search_docs.tsv``)
must be left out of ``columns``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

# While loading: a bigger page cache (index inserts touch pages all over the B-trees) and the
# file memory-mapped, so pages outside the cache are read without a system call and a copy.
BULK_SQLITE_CACHE_KIB = 512 * 1024
BULK_SQLITE_MMAP_BYTES = 16 * 1024**3  # SQLite caps it at its compile-time maximum


def _quote(identifier: str) -> str:
    # Column names such as "references" are reserved words; quoting is valid on both engines.
    return '"' + identifier.replace('"', '""') + '"'


class BulkWriter:
    """Insert row tuples into tables within one open write session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        # session.connection() begins the transaction (BEGIN IMMEDIATE on SQLite) if needed.
        self._driver: Any = session.connection().connection.driver_connection

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
        """Insert ``rows`` (tuples in ``columns`` order) into ``table``; returns the count."""
        if not rows:
            return 0
        column_list = ", ".join(_quote(c) for c in columns)
        if self.dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            self._driver.executemany(
                f"INSERT INTO {_quote(table)} ({column_list}) VALUES ({marks})", rows
            )
        else:
            with (
                self._driver.cursor() as cursor,
                cursor.copy(f"COPY {_quote(table)} ({column_list}) FROM STDIN") as copy,
            ):
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        return len(rows)


def next_id(session: Session, table: str, column: str = "id") -> int:
    """The first free id of ``table``: where explicitly numbered rows may start."""
    value = session.execute(text(f"SELECT MAX({_quote(column)}) FROM {_quote(table)}")).scalar()
    return int(value or 0) + 1


def reset_sequences(session: Session, tables: Sequence[str], column: str = "id") -> None:
    """PostgreSQL: move each table's serial sequence past the ids inserted explicitly."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY takes max(rowid) + 1 by itself
    for table in tables:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE((SELECT MAX({_quote(column)}) FROM {_quote(table)}), 0) + 1, false)"
            ),
            {"table": table, "column": column},
        )


@contextmanager
def sqlite_bulk_tuning(session: Session) -> Iterator[None]:
    """A larger page cache and memory-mapped reads for this connection while a chunk loads,
    restored afterwards (a no-op on PostgreSQL).

    Durability settings are left alone: each chunk still commits with ``synchronous=FULL``.
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    cache = session.execute(text("PRAGMA cache_size")).scalar()
    mmap = session.execute(text("PRAGMA mmap_size")).scalar()
    session.execute(text(f"PRAGMA cache_size=-{BULK_SQLITE_CACHE_KIB}"))
    session.execute(text(f"PRAGMA mmap_size={BULK_SQLITE_MMAP_BYTES}"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA mmap_size={int(mmap or 0)}"))
        session.execute(text(f"PRAGMA cache_size={int(cache or -2000)}"))


class Timestamps:
    """Encode times, given as whole seconds after ``epoch``, as a ``UTCDateTime`` column stores
    them: naive UTC text with microseconds on SQLite, ``…+00`` text for PostgreSQL's COPY.

    Formatting goes through a per-day cache, about twice as fast as ``datetime.isoformat``.
    """

    def __init__(self, dialect: str, epoch: datetime) -> None:
        if epoch.tzinfo is None:
            raise ValueError("the epoch must be timezone-aware")
        self.epoch = epoch.astimezone(UTC).replace(tzinfo=None)
        if self.epoch.second or self.epoch.microsecond:
            raise ValueError("the epoch must fall on a whole minute")
        self._suffix = ".000000" if dialect == "sqlite" else ".000000+00"
        self._base_minutes = self.epoch.hour * 60 + self.epoch.minute
        self._midnight = self.epoch.replace(hour=0, minute=0)
        self._days: dict[int, str] = {}

    def __call__(self, seconds: int) -> str:
        minutes, second = divmod(seconds, 60)
        day, minute_of_day = divmod(minutes + self._base_minutes, 1440)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = (self._midnight + timedelta(days=day)).strftime("%Y-%m-%d ")
            self._days[day] = prefix
        hour, minute = divmod(minute_of_day, 60)
        return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}{self._suffix}"

    def datetime(self, seconds: int) -> datetime:
        """The aware datetime for ``seconds`` (for values that go through the ORM)."""
        return (self.epoch + timedelta(seconds=seconds)).replace(tzinfo=UTC)
