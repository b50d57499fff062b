"""Unread tickets: when each agent last looked at each ticket.

A ticket is *unread* for an agent who never looked at it, or when someone else (another agent,
the mail sync, the web form) changed it after the agent last looked. The agent's own edits do
not make a ticket unread for them: what they did themselves is not news.

This is the agent's private bookkeeping, not a change to the ticket: it writes no audit event
and no change-feed row, and the ticket's ``version`` is untouched. ``queries.list_tickets``
computes ``TicketRow.unread`` from it with one LEFT JOIN on the primary key.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, case, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from crm_desk.errors import NotFoundError
from crm_desk.store.models import Ticket, TicketRead, utcnow


def mark_read(session: Session, agent_id: int, ticket_id: int) -> datetime:
    """Record that ``agent_id`` has seen ``ticket_id`` as it is now; returns the time stored.

    The stored time is never earlier than the ticket's last update, so a desktop whose clock
    runs behind the one that wrote the update still sees the ticket as read.
    """
    updated_at = session.scalar(select(Ticket.updated_at).where(Ticket.id == ticket_id))
    if updated_at is None:
        raise NotFoundError(f"no ticket #{ticket_id}")
    seen_at = max(utcnow(), updated_at)
    _upsert(session, agent_id, ticket_id, seen_at)
    return seen_at


def mark_unread(session: Session, agent_id: int, ticket_ids: Iterable[int]) -> None:
    """Forget that ``agent_id`` looked at these tickets: they show as unread again."""
    ids = list(ticket_ids)
    if ids:
        session.execute(
            delete(TicketRead).where(TicketRead.agent_id == agent_id, TicketRead.ticket_id.in_(ids))
        )


def unread_expression(viewer_id: int) -> ColumnElement[bool]:
    """True for a ticket ``viewer_id`` has not seen since someone else changed it.

    For a query that LEFT JOINs ``TicketRead`` on ``read_join_condition(viewer_id)``.
    """
    changed_by_someone_else = or_(Ticket.updated_by_id.is_(None), Ticket.updated_by_id != viewer_id)
    return case(
        (TicketRead.seen_at.is_(None), True),
        (and_(Ticket.updated_at > TicketRead.seen_at, changed_by_someone_else), True),
        else_=False,
    )


def read_join_condition(viewer_id: int) -> ColumnElement[bool]:
    """The ON clause: the viewer's row for this ticket, found through the primary key."""
    return and_(TicketRead.agent_id == viewer_id, TicketRead.ticket_id == Ticket.id)


def _upsert(session: Session, agent_id: int, ticket_id: int, seen_at: datetime) -> None:
    """INSERT, or UPDATE the time if the agent looked before: one statement, race-free."""
    values = {"agent_id": agent_id, "ticket_id": ticket_id, "seen_at": seen_at}
    key = ["agent_id", "ticket_id"]
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql.insert(TicketRead).values(values)
        session.execute(pg.on_conflict_do_update(index_elements=key, set_={"seen_at": seen_at}))
    else:
        lite = sqlite.insert(TicketRead).values(values)
        session.execute(lite.on_conflict_do_update(index_elements=key, set_={"seen_at": seen_at}))
