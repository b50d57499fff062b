"""Migration 0006: the sidebar's counts read one index and no table row."""

from __future__ import annotations

from sqlalchemy import inspect, text

from crm_desk.core import views
from crm_desk.store.db import Database
from crm_desk.store.schema import upgrade
from tests.store.test_migration_0005 import _downgrade


def test_the_index_comes_and_goes(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db, "0005")
    assert "ix_tickets_view_counts" not in {
        i["name"] for i in inspect(db.engine).get_indexes("tickets")
    }
    result = upgrade(db, "0006")
    assert (result.from_revision, result.to_revision) == ("0005", "0006")
    index = next(
        i
        for i in inspect(db.engine).get_indexes("tickets")
        if i["name"] == "ix_tickets_view_counts"
    )
    assert index["column_names"] == ["status", "assignee_id", "category_id", "mailbox_id"]
    _downgrade(db, "0005")
    assert "ix_tickets_view_counts" not in {
        i["name"] for i in inspect(db.engine).get_indexes("tickets")
    }
    db.dispose()


def test_the_counts_read_only_the_index_on_sqlite(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL plans by statistics; the SQLite plan is fixed enough to assert
    with db.read() as session:
        statement = views.open_ish_groups_statement()
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(
            str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        )
    assert "COVERING INDEX ix_tickets_view_counts" in plan
