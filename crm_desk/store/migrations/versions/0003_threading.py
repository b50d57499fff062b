"""threading: follow-up links between tickets, team-wide settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A plain ADD COLUMN: a batch rebuild would copy every ticket, and dropping the old
        # table with foreign keys on would cascade into messages.
        op.execute("ALTER TABLE tickets ADD COLUMN follows_up_id INTEGER REFERENCES tickets (id)")
    else:
        op.add_column("tickets", sa.Column("follows_up_id", sa.BigInteger(), nullable=True))
        op.create_foreign_key(
            op.f("fk_tickets_follows_up_id_tickets"),
            "tickets",
            "tickets",
            ["follows_up_id"],
            ["id"],
        )
    op.create_table(
        "team_settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_team_settings")),
    )


def downgrade() -> None:
    op.drop_table("team_settings")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_tickets_follows_up_id_tickets"), "tickets", type_="foreignkey")
    op.drop_column("tickets", "follows_up_id")
