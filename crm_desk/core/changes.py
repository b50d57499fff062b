"""The change feed and the audit trail, written by every service in the same transaction.

Desktops poll ``changes`` for ``seq > last_seen``. On PostgreSQL, sequence numbers are handed
out at insert time but become visible at commit, so a later-committing transaction could
publish a *smaller* seq after a reader has moved past it. Taking a transaction-scoped advisory
lock just before appending (and holding it to commit) makes commit order equal seq order; the
lock is held only for the last moments of a transaction: ``record()`` buffers the change rows
and a ``before_commit`` hook appends them just before the commit, after every row lock the
transaction takes, so the feed lock can never be part of a lock-order deadlock. On SQLite,
``BEGIN IMMEDIATE`` already serialises writers.

Do not call ``record()`` inside a savepoint that may roll back: its buffered row would survive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from crm_desk.store.models import Agent, Change, Event, utcnow

_FEED_LOCK = 0x63726D02  # any constant, shared by every writer of one database


@dataclass(frozen=True)
class FeedItem:
    seq: int
    entity: str
    entity_id: int | None
    kind: str
    agent_id: int | None


_PENDING = "crm_desk_pending_changes"


def _lock_feed(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FEED_LOCK})


@event.listens_for(Session, "before_commit")
def _append_pending_changes(session: Session) -> None:
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    if pending:
        session.flush()  # every other row first, so that the feed lock is the last one taken
        _lock_feed(session)
        # One multi-row insert: nobody needs the rows' seq back (the ORM would fetch each).
        now = utcnow()
        session.execute(Change.__table__.insert(), [row | {"at": now} for row in pending])  # type: ignore[attr-defined]


@event.listens_for(Session, "after_rollback")
def _drop_pending_changes(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _pending(session: Session) -> list[dict[str, Any]]:
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    return pending


def _change(entity: str, entity_id: int | None, kind: str, agent_id: int | None) -> dict[str, Any]:
    return {"entity": entity, "entity_id": entity_id, "kind": kind, "agent_id": agent_id}


def record(
    session: Session,
    actor: Agent | None,
    *,
    entity: str,
    entity_id: int | None,
    kind: str,
    ticket_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append an audit event (for ticket-related writes) and, at commit, a change-feed row."""
    actor_id = actor.id if actor is not None else None
    if ticket_id is not None or data is not None:
        session.add(Event(agent_id=actor_id, ticket_id=ticket_id, kind=kind, data=data or {}))
    _pending(session).append(_change(entity, entity_id, kind, actor_id))


def record_many(session: Session, items: Sequence[tuple[str, int, str, dict[str, Any]]]) -> None:
    """Bulk form of ``record`` for the system (mail sync): (entity, id, kind, data) per item.

    Audit events go in with one multi-row INSERT; one change row per distinct entity (a
    desktop refreshes a ticket once, however many messages arrived for it).
    """
    if not items:
        return
    session.execute(
        Event.__table__.insert(),  # type: ignore[attr-defined]
        [
            {
                "agent_id": None,
                "ticket_id": entity_id if entity == "ticket" else None,
                "kind": kind,
                "data": data,
                "at": utcnow(),
            }
            for entity, entity_id, kind, data in items
        ],
    )
    pending = _pending(session)
    seen: set[tuple[str, int]] = set()
    for entity, entity_id, kind, _ in items:
        if (entity, entity_id) not in seen:
            seen.add((entity, entity_id))
            pending.append(_change(entity, entity_id, kind, None))


def latest_seq(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Change.seq), 0))) or 0)


def changes_since(session: Session, seq: int, limit: int = 1000) -> Sequence[FeedItem]:
    rows = session.execute(
        select(Change.seq, Change.entity, Change.entity_id, Change.kind, Change.agent_id)
        .where(Change.seq > seq)
        .order_by(Change.seq)
        .limit(limit)
    )
    return [FeedItem(*row) for row in rows]
