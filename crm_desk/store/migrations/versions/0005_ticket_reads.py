"""ticket reads: when each agent last looked at each ticket (unread / updated since)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: nothing existing is rewritten, so the upgrade is instant at any size.
    op.create_table(
        "ticket_reads",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_ticket_reads_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_reads_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("agent_id", "ticket_id", name=op.f("pk_ticket_reads")),
    )


def downgrade() -> None:
    op.drop_table("ticket_reads")
