"""Alembic environment. crm-desk always hands in an open connection (see store/schema.py)."""

from __future__ import annotations

from alembic import context

from crm_desk.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through crm_desk.store.schema, which supplies a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
