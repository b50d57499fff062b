"""an index the sidebar's counts read alone: status, assignee, category, mailbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The views' counts group the open tickets by these columns; with them all in one index
    # the count never reads a table row (92 -> 5 ms at 1M on SQLite, and no cold reads of
    # the table on a fresh start). Building it reads the table once: seconds at 1M.
    op.create_index(
        "ix_tickets_view_counts",
        "tickets",
        ["status", "assignee_id", "category_id", "mailbox_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_view_counts", table_name="tickets")
