"""Schema versions: create, upgrade (with a backup of a SQLite file first) or refuse a newer one."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError

from crm_desk import __version__
from crm_desk.errors import SchemaError
from crm_desk.store.db import Database

if TYPE_CHECKING:  # alembic loads only when a schema has to change (a tenth of a start)
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest migration. Opening a database already at it needs no alembic at all; a test
# checks that this names alembic's head, so a new migration cannot forget to move it.
SCHEMA_HEAD = "0006"
# Any constant: serialises concurrent upgrades of one PostgreSQL database by several desktops.
_PG_UPGRADE_LOCK = 0x63726D01


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _at_head_already(db: Database) -> bool:
    """Whether the schema is current, read with plain SQL (no alembic)."""
    try:
        with db.engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no such table: a new database, or not ours; the full check says which
        return False
    return [row[0] for row in versions] == [SCHEMA_HEAD]


@dataclass(frozen=True)
class UpgradeResult:
    from_revision: str | None
    to_revision: str
    backup: Path | None

    @property
    def changed(self) -> bool:
        return self.from_revision != self.to_revision


def backup_sqlite(path: Path, revision: str | None) -> Path:
    """Copy a SQLite database (WAL included) to a timestamped file beside it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{stamp}-{revision or 'none'}")
    source = sqlite3.connect(path)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return target


def _check_known(revision: str | None, tables: list[str]) -> None:
    if revision is None and tables:
        raise SchemaError(
            "this database holds tables but no crm-desk schema version; it was not made by "
            "crm-desk. Point --database at a new or crm-desk database."
        )
    if revision is not None and revision not in known_revisions():
        raise SchemaError(
            f"this database was upgraded by a newer crm-desk (schema {revision}); this is "
            f"crm-desk {__version__} (schema {head_revision()}). Install the newer version."
        )


def upgrade(db: Database, target: str = "head", *, backup: bool = True) -> UpgradeResult:
    """Bring the schema to ``target`` (creating it in an empty database)."""
    config = alembic_config()
    with db.engine.connect() as probe:
        before = current_revision(probe)
        _check_known(before, inspect(probe).get_table_names())
    wanted = head_revision() if target == "head" else target
    if before == wanted:
        return UpgradeResult(before, wanted, None)
    backup_path = None
    if backup and db.is_sqlite and before is not None and db.sqlite_path is not None:
        backup_path = backup_sqlite(db.sqlite_path, before)
    # One transaction for every step: a crash mid-upgrade leaves the old schema whole.
    with db.engine.execution_options(crm_desk_write=True).begin() as connection:
        if db.is_postgres:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_UPGRADE_LOCK}
            )
            before = current_revision(connection)  # another desktop may have done it meanwhile
        config.attributes["connection"] = connection
        from alembic import command

        command.upgrade(config, target)
        after = current_revision(connection)
    assert after is not None
    return UpgradeResult(before, after, backup_path)


def open_database(url: str, *, upgrade_schema: bool = True) -> Database:
    """Open a database the way the app and the CLI do: upgrade an older schema, refuse a newer."""
    db = Database(url)
    if _at_head_already(db):
        return db
    if upgrade_schema:
        upgrade(db)
    else:
        with db.engine.connect() as connection:
            revision = current_revision(connection)
            _check_known(revision, inspect(connection).get_table_names())
            if revision != head_revision():
                raise SchemaError(
                    f"the database schema is at {revision or 'nothing'}, this crm-desk needs "
                    f"{head_revision()}: run `crm-desk db upgrade`"
                )
    return db
