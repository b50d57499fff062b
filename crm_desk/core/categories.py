"""Ticket categories (Japanese name, English name, position in the sidebar)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_desk.core import agents, changes
from crm_desk.errors import ConflictError, ValidationError
from crm_desk.store.models import Agent, Category


def list_categories(session: Session) -> Sequence[Category]:
    return session.scalars(select(Category).order_by(Category.position, Category.id)).all()


def add_category(
    session: Session, actor: Agent | None, *, name: str, name_en: str | None = None
) -> Category:
    """Add a category; a lead's job (``actor`` None: the local operator)."""
    if actor is not None:
        agents.require_lead(actor, "add categories")
    clean = name.strip()
    if not clean:
        raise ValidationError("a category needs a name")
    if session.scalar(select(func.count()).where(Category.name == clean)):
        raise ConflictError(f"a category named {clean!r} already exists")
    position = int(session.scalar(select(func.coalesce(func.max(Category.position), 0))) or 0) + 1
    category = Category(name=clean, name_en=(name_en or "").strip() or None, position=position)
    session.add(category)
    session.flush()
    changes.record(session, actor, entity="category", entity_id=category.id, kind="category.added")
    return category
