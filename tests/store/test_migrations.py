"""Schema migrations: upgrade keeps every row, newer schemas are refused, models match."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from crm_desk.core import search
from crm_desk.errors import SchemaError
from crm_desk.store.db import Database
from crm_desk.store.models import Base
from crm_desk.store.schema import head_revision, open_database, upgrade

ROOT = Path(__file__).resolve().parents[2]

# Rows written at revision 0001 with plain SQL, as a database from that time would hold them.
FIRST_REVISION_ROWS: list[tuple[str, dict[str, Any]]] = [
    (
        "agents",
        {
            "id": 1,
            "name": "高橋 一郎",
            "email": "ichiro@example.com",
            "role": "lead",
            "active": True,
            "created_at": "2025-01-02 03:04:05",
        },
    ),
    ("companies", {"id": 1, "name": "株式会社サンプル", "created_at": "2025-01-02 03:04:05"}),
    (
        "contacts",
        {
            "id": 1,
            "name": "鈴木 花子",
            "email": "hanako@example.jp",
            "company_id": 1,
            "lifecycle": "customer",
            "qualification": "sql",
            "points": 120,
            "version": 1,
            "created_at": "2025-01-02 03:04:05",
            "updated_at": "2025-01-02 03:04:05",
        },
    ),
    ("categories", {"id": 1, "name": "返品・交換", "name_en": "Returns", "position": 1}),
    (
        "tickets",
        {
            "id": 41,
            "subject": "返品の手続きについて",
            "status": "open",
            "priority": "high",
            "priority_rank": 2,
            "category_id": 1,
            "tags": '["vip"]',
            "assignee_id": 1,
            "contact_id": 1,
            "channel": "mail",
            "created_at": "2025-01-03 00:00:00",
            "updated_at": "2025-01-04 00:00:00",
            "message_count": 2,
            "version": 3,
        },
    ),
    (
        "messages",
        {
            "id": 7,
            "ticket_id": 41,
            "direction": "in",
            "from_address": "hanako@example.jp",
            "body_text": "届いた箱が破損していたので返品したいです。",
            "is_auto_reply": False,
            "raw": b"Subject: x\r\n\r\nbytes \xe3\x81\x82",
            "created_at": "2025-01-03 00:00:00",
        },
    ),
    (
        "messages",
        {
            "id": 8,
            "ticket_id": 41,
            "direction": "out",
            "from_address": "ichiro@example.com",
            "body_text": "Sorry to hear that; a replacement is on its way.",
            "is_auto_reply": False,
            "created_at": "2025-01-04 00:00:00",
        },
    ),
    (
        "orders",
        {
            "id": 3,
            "number": "A-0003",
            "contact_id": 1,
            "ordered_at": "2024-12-24 10:00:00",
            "status": "delivered",
            "currency": "JPY",
            "total": 5400,
            "points_earned": 54,
            "points_used": 0,
        },
    ),
    (
        "order_items",
        {
            "id": 5,
            "order_id": 3,
            "sku": "MUG-01",
            "name": "マグカップ",
            "quantity": 2,
            "unit_price": 2700,
        },
    ),
]


def _write_first_revision_rows(db: Database) -> None:
    with db.engine.begin() as connection:
        for table, row in FIRST_REVISION_ROWS:
            columns = ", ".join(row)
            values = ", ".join(f":{c}" for c in row)
            connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)  # "references" is a column and a keyword


def _snapshot(db: Database, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables written at 0001, in the columns that existed at 0001."""
    with db.engine.connect() as connection:
        return {
            t: [
                tuple(r)
                for r in connection.execute(text(f"SELECT {_quoted(cols)} FROM {t} ORDER BY 1"))
            ]
            for t, cols in columns.items()
        }


def test_upgrade_from_first_revision_keeps_every_row(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db, "0001")
    _write_first_revision_rows(db)
    inspector = inspect(db.engine)
    columns = {
        t: [c["name"] for c in inspector.get_columns(t)]
        for t in sorted({table for table, _ in FIRST_REVISION_ROWS})
    }
    before = _snapshot(db, columns)
    result = upgrade(db)
    assert (result.from_revision, result.to_revision) == ("0001", head_revision())
    assert _snapshot(db, columns) == before
    with db.read() as session:  # mail from before search existed is found after the upgrade
        hits = search.search(session, "返品").hits
        assert [(h.kind, h.id) for h in hits] == [("ticket", 41)]
        assert [h.id for h in search.search(session, "replacement").hits] == [41]
        assert [h.kind for h in search.search(session, "鈴木").hits] == ["contact"]
    if db.is_sqlite:
        assert result.backup is not None and result.backup.exists()
        backup = Database(f"sqlite:///{result.backup}")
        with backup.engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == "0001"
            assert connection.execute(text("SELECT count(*) FROM messages")).scalar() == 2
    db.dispose()


def test_opening_upgrades_and_is_idempotent(db_url: str) -> None:
    first = open_database(db_url)
    first.dispose()
    again = upgrade(Database(db_url))
    assert not again.changed and again.backup is None


def test_newer_schema_is_refused_with_a_clear_message(db_url: str) -> None:
    db = open_database(db_url)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(SchemaError, match=r"newer crm-desk \(schema 0999\)"):
        open_database(db_url)
    db.dispose()


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    with Database(url).engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaError, match="not made by crm-desk"):
        open_database(url)


def test_models_match_the_migrations(db: Database) -> None:
    def include(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        # Engine-specific search machinery is created by migration 0002 on purpose.
        if kind == "table" and name and name.startswith("search_fts"):
            return False
        return name not in ("tsv", "ix_search_docs_tsv")

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_schema_head_names_the_newest_migration() -> None:
    from crm_desk.store.schema import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD


def test_opening_a_current_database_needs_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.sqlite3'}"
    open_database(url).dispose()  # created at the head
    code = (
        "import sys\n"
        "from crm_desk.store.schema import open_database\n"
        f"open_database({url!r}).dispose()\n"
        "print('alembic' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "False"
