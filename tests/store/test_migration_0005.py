"""Migration 0005 on both engines: ticket_reads comes and goes without touching anything else."""

from __future__ import annotations

from alembic import command
from sqlalchemy import func, inspect, select, text

from crm_desk.core import reads, tickets
from crm_desk.store.db import Database
from crm_desk.store.models import Ticket
from crm_desk.store.schema import alembic_config, upgrade


def _downgrade(db: Database, target: str) -> None:
    config = alembic_config()
    with db.engine.execution_options(crm_desk_write=True).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, target)


# Written with plain SQL, as a database at 0004 holds them (the models may have moved on).
ROWS_AT_0004 = [
    "INSERT INTO agents (id, name, email, role, active, created_at) "
    "VALUES (1, 'Alice', 'alice@example.com', 'agent', true, '2025-01-02 03:04:05')",
    "INSERT INTO tickets (id, subject, status, priority, priority_rank, tags, channel, "
    "created_at, updated_at, message_count, version) VALUES (41, '返品', 'open', 'normal', 1, "
    "'[]', 'mail', '2025-01-03 00:00:00', '2025-01-04 00:00:00', 0, 1)",
]


def test_from_0004_and_back(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db, "0004")
    with db.engine.begin() as connection:
        for statement in ROWS_AT_0004:
            connection.execute(text(statement))
    result = upgrade(db, "0005")
    assert (result.from_revision, result.to_revision) == ("0004", "0005")
    assert "ticket_reads" in inspect(db.engine).get_table_names()
    with db.write() as session:
        reads.mark_read(session, 1, 41)
        tickets.create_ticket(session, None, subject="after the upgrade", body_text="x")

    _downgrade(db, "0004")
    assert "ticket_reads" not in inspect(db.engine).get_table_names()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM tickets")).scalar() == 2

    upgrade(db)  # and up again: an empty table, every ticket unread
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2
        assert session.execute(text("SELECT count(*) FROM ticket_reads")).scalar() == 0
    db.dispose()
