"""A large queue, fast: N tickets written by one SQL statement, for tests that need scale.

Not realistic data (``core.demo`` builds that, in minutes at 1M): tickets only, with their
statuses, priorities, categories, assignees and timestamps spread out, enough for the queue's
first page, its counts and its sorts to do real work on a real index.
"""

from __future__ import annotations

from sqlalchemy import text

from crm_desk.store.db import Database
from tests.support.factories import make_team

STATUSES = ("new", "open", "pending", "resolved", "closed")


def fill_queue(db: Database, tickets: int) -> None:
    """``tickets`` tickets numbered 1… (SQLite only), plus the small team of ``make_team``."""
    team = make_team(db)
    assert db.engine.dialect.name == "sqlite", "a recursive INSERT is written for SQLite"
    statuses = ", ".join(f"'{s}'" for s in STATUSES)
    with db.write() as session:
        session.execute(
            text(
                f"""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
                INSERT INTO tickets (subject, status, priority, priority_rank, category_id, tags,
                    assignee_id, contact_id, channel, created_at, updated_at, message_count,
                    version)
                SELECT 'Ticket ' || i,
                    json_extract(json_array({statuses}), '$[' || (i % 5) || ']'),
                    'normal', 1,
                    CASE WHEN i % 3 = 0 THEN :category END,
                    '[]',
                    CASE WHEN i % 4 = 0 THEN :alice WHEN i % 4 = 1 THEN :bob END,
                    :contact, 'mail',
                    strftime(:stamp, '2024-01-01', '+' || (i * 30) || ' second'),
                    strftime(:stamp, '2024-01-01', '+' || (i * 30 + 60) || ' second'),
                    1, 1
                FROM n
                """
            ),
            {
                "count": tickets,
                "stamp": "%Y-%m-%d %H:%M:%f000",  # how UTCDateTime stores a timestamp
                "category": team.category_id,
                "alice": team.alice_id,
                "bob": team.bob_id,
                "contact": team.contact_id,
            },
        )
        session.execute(text("ANALYZE"))
