"""sync recovery: find known message bytes per mailbox; refetch mode after UIDVALIDITY changes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_mailbox_sha256", "messages", ["mailbox_id", "raw_sha256"])
    op.add_column(
        "sync_state",
        sa.Column("dedupe_by_hash", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("sync_state", "dedupe_by_hash")
    op.drop_index("ix_messages_mailbox_sha256", "messages")
