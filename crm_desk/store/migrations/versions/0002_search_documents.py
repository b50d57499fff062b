"""search documents: pre-tokenized text per ticket and contact, indexed by FTS5 or tsvector

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

See crm_desk/core/search.py for why the text is tokenized in Python. Existing tickets and
contacts are indexed here, so a database made before search existed finds its old mail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm_desk.core.search import index_text

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BACKFILL_BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "search_docs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_search_docs_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_search_docs_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_docs")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_search_docs_contact_id")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_search_docs_ticket_id")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_docs', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
            "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body);"
            " END"
        )
        op.execute(
            "CREATE TRIGGER search_docs_au AFTER UPDATE OF body ON search_docs BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body);"
            " INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END"
        )
    else:
        op.execute(
            "ALTER TABLE search_docs ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body)) STORED"
        )
        op.execute("CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv)")
    _backfill()


def _backfill() -> None:
    connection = op.get_bind()
    docs = sa.table(
        "search_docs", sa.column("ticket_id"), sa.column("contact_id"), sa.column("body")
    )
    contacts = connection.execute(
        sa.text(
            "SELECT c.id, c.name, c.name_kana, c.email, c.phone, co.name FROM contacts c "
            "LEFT JOIN companies co ON co.id = c.company_id ORDER BY c.id"
        )
    ).all()
    rows = [{"ticket_id": None, "contact_id": c[0], "body": index_text(*c[1:])} for c in contacts]
    if rows:
        connection.execute(docs.insert(), rows)
    last_id = 0
    while True:
        tickets = connection.execute(
            sa.text("SELECT id, subject FROM tickets WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last_id, "n": BACKFILL_BATCH},
        ).all()
        if not tickets:
            break
        last_id = tickets[-1][0]
        parts: dict[int, list[str | None]] = {t[0]: [t[1]] for t in tickets}
        # The same pieces as crm_desk.core.search.ticket_document().
        for ticket_id, sender, body in connection.execute(
            sa.text(
                "SELECT ticket_id, from_address, body_text FROM messages "
                "WHERE ticket_id BETWEEN :lo AND :hi ORDER BY id"
            ),
            {"lo": tickets[0][0], "hi": last_id},
        ):
            parts[ticket_id].extend((sender, body))
        connection.execute(
            docs.insert(),
            [
                {"ticket_id": t, "contact_id": None, "body": index_text(*p)}
                for t, p in parts.items()
            ],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_docs_ai", "search_docs_ad", "search_docs_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_docs")
