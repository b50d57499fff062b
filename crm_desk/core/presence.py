"""Presence: which agent is viewing or replying to which ticket, for the collision warning.

One row per agent (an agent looks at one ticket at a time). A desktop announces what its agent
is doing when it changes and then every few seconds as a heartbeat; a row whose heartbeat is
older than ``MAX_AGE_S`` is treated as gone, so a crashed or unplugged desktop stops claiming
attention on its own, without anyone having to clean up after it.

Presence is ephemeral, so it writes no audit event. It does append a change-feed row (entity
``presence``, the ticket id, kind ``presence``) whenever what others should show changes, so
every other desktop learns of it at its next poll instead of waiting for a timer. A heartbeat
that changes nothing appends nothing: the feed does not grow every few seconds per desktop.

Timestamps come from the announcing desktop's clock and are compared with the reader's, so
desktops need roughly synchronised clocks (NTP); a skew beyond a few seconds shortens or
lengthens how long a presence is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_desk.core import changes
from crm_desk.errors import NotFoundError, ValidationError
from crm_desk.store.models import Activity, Agent, Presence, Ticket, utcnow

# A heartbeat older than this means the desktop is gone. Desktops beat every few seconds.
MAX_AGE_S = 10.0
FEED_ENTITY = "presence"
FEED_KIND = "presence"


@dataclass(frozen=True)
class PresenceInfo:
    agent_id: int
    name: str
    activity: str
    seen_at: datetime


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _is_fresh(seen_at: datetime, now: datetime, max_age_s: float) -> bool:
    return now - seen_at <= timedelta(seconds=max_age_s)


def _agent(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFoundError(f"no agent with id {agent_id}")
    return agent


def _tell_others(session: Session, agent: Agent, ticket_id: int) -> None:
    changes.record(session, agent, entity=FEED_ENTITY, entity_id=ticket_id, kind=FEED_KIND)


def announce(
    session: Session,
    agent_id: int,
    ticket_id: int,
    activity: str,
    *,
    now: datetime | None = None,
    max_age_s: float = MAX_AGE_S,
) -> None:
    """Record that the agent is ``activity`` (viewing / replying) on the ticket; a heartbeat.

    Replaces the agent's previous presence (one row per agent). A change-feed row is appended
    for each ticket whose shown presence changes: the new one when the activity, the ticket or
    the freshness changed, and the one the agent left when it moved to another ticket.
    """
    if activity not in set(Activity):
        raise ValidationError(f"activity must be one of {', '.join(Activity)}; got {activity!r}")
    now = now or utcnow()
    agent = _agent(session, agent_id)
    if session.scalar(select(Ticket.id).where(Ticket.id == ticket_id)) is None:
        raise NotFoundError(f"no ticket #{ticket_id}")
    previous = session.execute(
        select(Presence.ticket_id, Presence.activity, Presence.seen_at).where(
            Presence.agent_id == agent_id
        )
    ).first()
    values = {"agent_id": agent_id, "ticket_id": ticket_id, "activity": activity, "seen_at": now}
    insert = _insert(session)(Presence).values(**values)
    # An upsert: two desktops signed in as one agent must not fail on the primary key.
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[Presence.agent_id],
            set_={"ticket_id": ticket_id, "activity": activity, "seen_at": now},
        )
    )
    if previous is None:
        _tell_others(session, agent, ticket_id)
        return
    old_ticket, old_activity, old_seen = previous
    was_shown = _is_fresh(old_seen, now, max_age_s)
    if old_ticket != ticket_id:
        if was_shown:
            _tell_others(session, agent, old_ticket)
        _tell_others(session, agent, ticket_id)
    elif old_activity != activity or not was_shown:
        _tell_others(session, agent, ticket_id)


def leave(
    session: Session, agent_id: int, *, now: datetime | None = None, max_age_s: float = MAX_AGE_S
) -> None:
    """The agent looks at no ticket any more (closed it, or the app)."""
    now = now or utcnow()
    previous = session.execute(
        select(Presence.ticket_id, Presence.seen_at).where(Presence.agent_id == agent_id)
    ).first()
    if previous is None:
        return
    session.execute(delete(Presence).where(Presence.agent_id == agent_id))
    old_ticket, old_seen = previous
    if _is_fresh(old_seen, now, max_age_s):
        _tell_others(session, _agent(session, agent_id), old_ticket)


def present(
    session: Session,
    ticket_id: int,
    now: datetime | None = None,
    max_age_s: float = MAX_AGE_S,
    exclude_agent_id: int | None = None,
) -> list[PresenceInfo]:
    """Who is on the ticket now: those replying first, then by name."""
    now = now or utcnow()
    replying_first = case((Presence.activity == Activity.REPLYING, 0), else_=1)
    query = (
        select(Presence.agent_id, Agent.name, Presence.activity, Presence.seen_at)
        .join(Agent, Agent.id == Presence.agent_id)
        .where(
            Presence.ticket_id == ticket_id,
            Presence.seen_at >= now - timedelta(seconds=max_age_s),
        )
        .order_by(replying_first, Agent.name, Presence.agent_id)
    )
    if exclude_agent_id is not None:
        query = query.where(Presence.agent_id != exclude_agent_id)
    return [PresenceInfo(*row) for row in session.execute(query)]
