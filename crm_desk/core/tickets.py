"""Ticket services: create, claim, release, assign, edit, note, merge.

Every function takes an open write session (``Database.write()``) and the acting agent, checks
the role and the ticket's state, writes, and appends an audit event and a change-feed row, all
in the caller's transaction.

Concurrency: the ticket row is read ``FOR UPDATE`` on PostgreSQL (SQLite's ``BEGIN IMMEDIATE``
already serialises writers), so checks see the state the write will change; and every ORM
update of a ticket is a compare-and-set on ``version`` (``version_id_col``). A caller that
shows a ticket to a person passes the version it showed as ``expected_version``; if the ticket
has moved on since, the edit is refused with who changed it and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm_desk.core import agents, changes, search
from crm_desk.errors import (
    AlreadyClaimedError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from crm_desk.store.models import (
    PRIORITY_RANK,
    Agent,
    Category,
    Channel,
    Direction,
    Message,
    Priority,
    SearchDoc,
    Ticket,
    TicketStatus,
    utcnow,
)

MAX_TAGS = 20
MAX_TAG_LENGTH = 40


def _load(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None:
        raise NotFoundError(f"no ticket #{ticket_id}")
    return ticket


def _stale(ticket: Ticket) -> StaleEditError:
    who = ticket.updated_by.name if ticket.updated_by is not None else "the mail sync"
    return StaleEditError(ticket.id, who, ticket.updated_at)


def _check_version(session: Session, ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise _stale(ticket)


def _require_may_edit(actor: Agent, ticket: Ticket) -> None:
    """An agent edits unassigned tickets and their own; a lead edits any."""
    agents.require_active(actor)
    owner = ticket.assignee
    if owner is not None and owner.id != actor.id and not agents.is_lead(actor):
        raise PermissionDeniedError(
            f"ticket #{ticket.id} is claimed by {owner.name}; only they or a lead may change it"
        )


def _save(session: Session, ticket: Ticket, actor: Agent | None) -> None:
    ticket.updated_at = utcnow()
    ticket.updated_by_id = actor.id if actor is not None else None
    try:
        session.flush()
    except StaleDataError:
        # Only reachable when a writer bypassed the row lock; the CAS still held the line.
        raise ConflictError(
            f"ticket #{ticket.id} was changed on another desktop meanwhile; reload and try again"
        ) from None


def _record(
    session: Session, actor: Agent | None, ticket: Ticket, kind: str, data: dict[str, Any]
) -> None:
    changes.record(
        session,
        actor,
        entity="ticket",
        entity_id=ticket.id,
        kind=kind,
        ticket_id=ticket.id,
        data=data,
    )


def get(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError(f"no ticket #{ticket_id}")
    return ticket


def create_ticket(
    session: Session,
    actor: Agent | None,
    *,
    subject: str,
    contact_id: int | None = None,
    channel: str = Channel.MAIL,
    mailbox_id: int | None = None,
    category_id: int | None = None,
    priority: str = Priority.NORMAL,
    body_text: str | None = None,
    from_address: str | None = None,
    created_at: datetime | None = None,
) -> Ticket:
    """Open a ticket, with its first inbound message when ``body_text`` is given."""
    if actor is not None:
        agents.require_active(actor)
    _validate_priority(priority)
    if channel not in set(Channel):
        raise ValidationError(f"channel must be one of {', '.join(Channel)}")
    if category_id is not None and session.get(Category, category_id) is None:
        raise NotFoundError(f"no category with id {category_id}")
    now = created_at or utcnow()
    ticket = Ticket(
        subject=subject.strip()[:998],
        status=TicketStatus.NEW,
        priority=priority,
        priority_rank=PRIORITY_RANK[Priority(priority)],
        category_id=category_id,
        tags=[],
        contact_id=contact_id,
        mailbox_id=mailbox_id,
        channel=channel,
        created_at=now,
        updated_at=now,
        updated_by_id=actor.id if actor is not None else None,
        message_count=0 if body_text is None else 1,
    )
    session.add(ticket)
    session.flush()
    search.append_to_ticket(session, ticket.id, ticket.subject)
    if body_text is not None:
        message = Message(
            ticket_id=ticket.id,
            direction=Direction.IN,
            subject=ticket.subject,
            from_address=from_address,
            body_text=body_text,
            created_at=now,
        )
        session.add(message)
        session.flush()
        search.append_to_ticket(session, ticket.id, from_address, body_text)
    _record(session, actor, ticket, "ticket.created", {"subject": ticket.subject})
    return ticket


def claim(
    session: Session, actor: Agent, ticket_id: int, *, expected_version: int | None = None
) -> Ticket:
    """Take an unassigned ticket. Exactly one of many concurrent claimers wins."""
    agents.require_active(actor)
    ticket = _load(session, ticket_id)
    owner = ticket.assignee
    if owner is not None:
        if owner.id == actor.id:
            return ticket  # already yours: claiming twice is harmless
        raise AlreadyClaimedError(ticket.id, owner.name, owner.email)
    _check_version(session, ticket, expected_version)
    ticket.assignee_id = actor.id
    if ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.OPEN
    _save(session, ticket, actor)
    _record(session, actor, ticket, "ticket.claimed", {"assignee": actor.email})
    return ticket


def release(
    session: Session, actor: Agent, ticket_id: int, *, expected_version: int | None = None
) -> Ticket:
    """Give a ticket back to the queue: its owner, or a lead, may."""
    agents.require_active(actor)
    ticket = _load(session, ticket_id)
    owner = ticket.assignee
    if owner is None:
        return ticket
    if owner.id != actor.id and not agents.is_lead(actor):
        raise PermissionDeniedError(
            f"ticket #{ticket.id} is claimed by {owner.name}; only they or a lead may release it"
        )
    _check_version(session, ticket, expected_version)
    ticket.assignee_id = None
    _save(session, ticket, actor)
    _record(session, actor, ticket, "ticket.released", {"previous": owner.email})
    return ticket


def assign(
    session: Session,
    actor: Agent,
    ticket_id: int,
    assignee_id: int | None,
    *,
    expected_version: int | None = None,
) -> Ticket:
    """Assign (or unassign with None). A lead moves any ticket; an agent only claims or releases."""
    agents.require_active(actor)
    if not agents.is_lead(actor):
        if assignee_id == actor.id:
            return claim(session, actor, ticket_id, expected_version=expected_version)
        if assignee_id is None:
            return release(session, actor, ticket_id, expected_version=expected_version)
        raise PermissionDeniedError(
            f"only a team lead may assign tickets to others; {actor.name} is an agent"
        )
    ticket = _load(session, ticket_id)
    _check_version(session, ticket, expected_version)
    previous = ticket.assignee
    new_owner = None
    if assignee_id is not None:
        new_owner = agents.by_id(session, assignee_id)
        if not new_owner.active:
            raise ValidationError(f"{new_owner.name} is deactivated and cannot take tickets")
    if (previous.id if previous else None) == assignee_id:
        return ticket
    ticket.assignee_id = assignee_id
    if new_owner is not None and ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.OPEN
    _save(session, ticket, actor)
    _record(
        session,
        actor,
        ticket,
        "ticket.assigned",
        {
            "previous": previous.email if previous else None,
            "assignee": new_owner.email if new_owner else None,
        },
    )
    return ticket


@dataclass(frozen=True)
class TicketEdit:
    """Fields to change; None leaves a field as it is."""

    status: str | None = None
    priority: str | None = None
    category_id: int | None = None
    clear_category: bool = False
    tags: Sequence[str] | None = None
    due_at: datetime | None = None


def _validate_priority(priority: str) -> None:
    if priority not in set(Priority):
        raise ValidationError(f"priority must be one of {', '.join(Priority)}; got {priority!r}")


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        value = " ".join(tag.split())[:MAX_TAG_LENGTH]
        if value and value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(f"a ticket takes at most {MAX_TAGS} tags")
    return cleaned


def update_ticket(
    session: Session,
    actor: Agent,
    ticket_id: int,
    edit: TicketEdit,
    *,
    expected_version: int | None = None,
) -> Ticket:
    """Change status, priority, category, tags or due date in one versioned write."""
    ticket = _load(session, ticket_id)
    _require_may_edit(actor, ticket)
    _check_version(session, ticket, expected_version)
    diff: dict[str, Any] = {}
    if edit.status is not None and edit.status != ticket.status:
        if edit.status not in set(TicketStatus):
            raise ValidationError(
                f"status must be one of {', '.join(TicketStatus)}; got {edit.status!r}"
            )
        diff["status"] = [ticket.status, edit.status]
        ticket.status = edit.status
        if edit.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            ticket.resolved_at = ticket.resolved_at or utcnow()
        else:
            ticket.resolved_at = None
    if edit.priority is not None and edit.priority != ticket.priority:
        _validate_priority(edit.priority)
        diff["priority"] = [ticket.priority, edit.priority]
        ticket.priority = edit.priority
        ticket.priority_rank = PRIORITY_RANK[Priority(edit.priority)]
    if edit.clear_category or (
        edit.category_id is not None and edit.category_id != ticket.category_id
    ):
        new_category = None if edit.clear_category else edit.category_id
        if new_category is not None and session.get(Category, new_category) is None:
            raise NotFoundError(f"no category with id {new_category}")
        diff["category_id"] = [ticket.category_id, new_category]
        ticket.category_id = new_category
    if edit.tags is not None:
        tags = _clean_tags(edit.tags)
        if tags != list(ticket.tags or []):
            diff["tags"] = [list(ticket.tags or []), tags]
            ticket.tags = tags
    if edit.due_at is not None and edit.due_at != ticket.due_at:
        diff["due_at"] = [
            ticket.due_at.isoformat() if ticket.due_at else None,
            edit.due_at.isoformat(),
        ]
        ticket.due_at = edit.due_at
    if not diff:
        return ticket
    _save(session, ticket, actor)
    _record(session, actor, ticket, "ticket.updated", diff)
    return ticket


def set_status(
    session: Session,
    actor: Agent,
    ticket_id: int,
    status: str,
    *,
    expected_version: int | None = None,
) -> Ticket:
    return update_ticket(
        session, actor, ticket_id, TicketEdit(status=status), expected_version=expected_version
    )


def set_priority(
    session: Session,
    actor: Agent,
    ticket_id: int,
    priority: str,
    *,
    expected_version: int | None = None,
) -> Ticket:
    return update_ticket(
        session, actor, ticket_id, TicketEdit(priority=priority), expected_version=expected_version
    )


def set_category(
    session: Session,
    actor: Agent,
    ticket_id: int,
    category_id: int | None,
    *,
    expected_version: int | None = None,
) -> Ticket:
    edit = TicketEdit(category_id=category_id, clear_category=category_id is None)
    return update_ticket(session, actor, ticket_id, edit, expected_version=expected_version)


def set_tags(
    session: Session,
    actor: Agent,
    ticket_id: int,
    tags: Sequence[str],
    *,
    expected_version: int | None = None,
) -> Ticket:
    return update_ticket(
        session, actor, ticket_id, TicketEdit(tags=tags), expected_version=expected_version
    )


def add_note(session: Session, actor: Agent, ticket_id: int, text: str) -> Message:
    """An internal note: seen by the team, never sent. Anyone active may add one to any ticket."""
    agents.require_active(actor)
    body = text.strip()
    if not body:
        raise ValidationError("a note cannot be empty")
    ticket = _load(session, ticket_id)
    note = Message(
        ticket_id=ticket.id,
        direction=Direction.NOTE,
        author_agent_id=actor.id,
        from_address=f"{actor.name} <{actor.email}>",
        body_text=body,
    )
    session.add(note)
    ticket.message_count += 1
    _save(session, ticket, actor)
    search.append_to_ticket(session, ticket.id, note.from_address, body)
    _record(session, actor, ticket, "ticket.note_added", {"message_id": note.id})
    return note


def merge(
    session: Session,
    actor: Agent,
    source_id: int,
    target_id: int,
    *,
    expected_version: int | None = None,
) -> Ticket:
    """Move every message of ``source`` into ``target`` and close ``source`` as merged.

    ``expected_version`` is the version of ``source`` the person saw when choosing to merge.
    """
    if source_id == target_id:
        raise ValidationError("a ticket cannot be merged into itself")
    # Lock in id order so two opposite merges cannot deadlock.
    first, second = sorted((source_id, target_id))
    locked = {first: _load(session, first), second: _load(session, second)}
    source, target = locked[source_id], locked[target_id]
    _require_may_edit(actor, source)
    _require_may_edit(actor, target)
    _check_version(session, source, expected_version)
    if source.merged_into_id is not None:
        raise ValidationError(
            f"ticket #{source.id} was already merged into #{source.merged_into_id}"
        )
    moved = session.execute(
        update(Message)
        .where(Message.ticket_id == source.id)
        .values(ticket_id=target.id)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    target.message_count += moved
    target.created_at = min(target.created_at, source.created_at)
    source.message_count = 0
    source.merged_into_id = target.id
    source.status = TicketStatus.CLOSED
    source.resolved_at = source.resolved_at or utcnow()
    _save(session, source, actor)
    _save(session, target, actor)
    search.reindex_ticket(session, target.id)
    session.execute(
        update(SearchDoc)
        .where(SearchDoc.ticket_id == source.id)
        .values(body="")
        .execution_options(synchronize_session=False)
    )
    _record(session, actor, source, "ticket.merged", {"into": target.id})
    _record(session, actor, target, "ticket.merged_from", {"from": source.id, "messages": moved})
    return target


# --- bulk reassignment -------------------------------------------------------------------------

MAX_BULK_ASSIGN = 1000


class StaleTicketsError(StaleEditError):
    """Some tickets of a bulk change moved on since they were shown; nothing was changed.

    A ``StaleEditError`` about the first of them (so one handler serves single and bulk
    edits), with every stale ticket in ``stale``.
    """

    def __init__(self, stale: Sequence[StaleEditError]) -> None:
        first = stale[0]
        super().__init__(first.ticket_id, first.changed_by, first.changed_at)
        self.stale = tuple(stale)
        self.ticket_ids = tuple(error.ticket_id for error in self.stale)
        if len(self.stale) == 1:
            return  # the single ticket's own message says it all
        details = "; ".join(
            f"#{error.ticket_id} by {error.changed_by} at "
            f"{error.changed_at.strftime('%Y-%m-%d %H:%M:%S UTC')}"
            for error in self.stale
        )
        self.args = (
            f"{len(self.stale)} tickets were changed meanwhile ({details}); "
            "nothing was reassigned; reload and try again",
        )


def bulk_assign(
    session: Session,
    actor: Agent,
    ticket_ids: Sequence[int],
    assignee_id: int | None,
    *,
    expected_versions: Mapping[int, int] | None = None,
) -> list[Ticket]:
    """Reassign many tickets at once (None: back to the queue); a lead's job.

    All or nothing, in the caller's transaction: every ticket is locked (in id order, so two
    bulk moves cannot deadlock) and checked against ``expected_versions`` (ticket id -> the
    version the lead saw; a ticket missing from the map is not checked) before anything is
    written. If any moved on meanwhile, ``StaleTicketsError`` names each one and who changed
    it. Each ticket that actually changes hands gets its own audit event and change row, as
    with ``assign``. Returns the tickets in the order given.
    """
    agents.require_lead(actor, "reassign tickets in bulk")
    wanted = list(dict.fromkeys(ticket_ids))
    if len(wanted) > MAX_BULK_ASSIGN:
        raise ValidationError(f"at most {MAX_BULK_ASSIGN} tickets can be reassigned at once")
    if assignee_id is not None:
        new_owner = agents.by_id(session, assignee_id)
        if not new_owner.active:
            raise ValidationError(f"{new_owner.name} is deactivated and cannot take tickets")
    locked = {ticket_id: _load(session, ticket_id) for ticket_id in sorted(wanted)}
    versions = expected_versions or {}
    stale = [
        _stale(locked[ticket_id])
        for ticket_id in sorted(wanted)
        if ticket_id in versions and locked[ticket_id].version != versions[ticket_id]
    ]
    if stale:
        raise StaleTicketsError(stale)
    # Versions are checked above, under the locks; assign() re-reads the same locked rows.
    return [assign(session, actor, ticket_id, assignee_id) for ticket_id in wanted]
