"""Who carries what: open, pending and overdue tickets per agent, and the oldest one waiting.

For the team lead's workload view. Read-only; two grouped queries whatever the team's size,
both over the tickets that are still open (the statuses ``new``, ``open`` and ``pending``).

- **open**: ``new`` or ``open`` (the team owes the customer something);
- **pending**: ``pending`` (waiting for the customer);
- **overdue**: due before ``now`` and not resolved or closed (pending ones included: a
  promised date is a promise whoever waits);
- **oldest waiting**: the ``new`` / ``open`` ticket created first; its age is ``now`` minus
  its creation.

One row per active agent (by name), then agents who were deactivated but still hold open or
pending tickets (the lead must move those), then one row for the unassigned queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm_desk.core import agents
from crm_desk.store.models import OPEN_STATUSES, Ticket, TicketStatus

WAITING_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)


@dataclass(frozen=True)
class OldestWaiting:
    ticket_id: int
    subject: str
    version: int  # so the workload view can offer the ticket for a drag and a checked move
    created_at: datetime
    age: timedelta


@dataclass(frozen=True)
class AgentLoad:
    """One row of the workload. ``agent_id`` None is the unassigned queue."""

    agent_id: int | None
    name: str
    email: str
    role: str
    active: bool
    open: int
    pending: int
    overdue: int
    oldest: OldestWaiting | None

    @property
    def unassigned(self) -> bool:
        return self.agent_id is None


@dataclass(frozen=True)
class _Counts:
    open: int = 0
    pending: int = 0
    overdue: int = 0


def _counts(session: Session, now: datetime) -> dict[int | None, _Counts]:
    def count_where(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = session.execute(
        select(
            Ticket.assignee_id,
            count_where(Ticket.status.in_(WAITING_STATUSES)),
            count_where(Ticket.status == TicketStatus.PENDING),
            count_where(Ticket.due_at < now),
        )
        .where(Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assignee_id)
    ).all()
    return {
        assignee: _Counts(int(open_), int(pending), int(overdue))
        for assignee, open_, pending, overdue in rows
    }


def _oldest(session: Session, now: datetime) -> dict[int | None, OldestWaiting]:
    place = (
        func.row_number()
        .over(partition_by=Ticket.assignee_id, order_by=(Ticket.created_at, Ticket.id))
        .label("place")
    )
    ranked = (
        select(
            Ticket.assignee_id, Ticket.id, Ticket.subject, Ticket.version, Ticket.created_at, place
        )
        .where(Ticket.status.in_(WAITING_STATUSES))
        .subquery()
    )
    rows = session.execute(
        select(
            ranked.c.assignee_id,
            ranked.c.id,
            ranked.c.subject,
            ranked.c.version,
            ranked.c.created_at,
        ).where(ranked.c.place == 1)
    ).all()
    return {
        assignee: OldestWaiting(ticket_id, subject, version, created, now - created)
        for assignee, ticket_id, subject, version, created in rows
    }


def workload(session: Session, now: datetime) -> list[AgentLoad]:
    """The workload rows at ``now`` (timezone-aware): agents, then the unassigned queue."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    counts = _counts(session, now)
    oldest = _oldest(session, now)
    people = agents.list_agents(session)
    holding = [a for a in people if not a.active and a.id in counts]
    result = []
    for agent in [a for a in people if a.active] + holding:
        found = counts.get(agent.id, _Counts())
        result.append(
            AgentLoad(
                agent.id,
                agent.name,
                agent.email,
                agent.role,
                agent.active,
                found.open,
                found.pending,
                found.overdue,
                oldest.get(agent.id),
            )
        )
    queue = counts.get(None, _Counts())
    result.append(
        AgentLoad(
            None, "", "", "", True, queue.open, queue.pending, queue.overdue, oldest.get(None)
        )
    )
    return result


def totals(rows: Sequence[AgentLoad]) -> tuple[int, int, int]:
    """Open, pending and overdue over all rows (every open ticket is in exactly one row)."""
    return (
        sum(row.open for row in rows),
        sum(row.pending for row in rows),
        sum(row.overdue for row in rows),
    )
