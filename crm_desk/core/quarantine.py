"""Messages that could not be parsed: listed, shown and retried (after a fix in crm-desk)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_desk.core import changes, ingest
from crm_desk.errors import NotFoundError
from crm_desk.store.models import Agent, Quarantine, utcnow


def list_entries(session: Session, *, include_resolved: bool = False) -> Sequence[Quarantine]:
    query = select(Quarantine).order_by(Quarantine.id)
    if not include_resolved:
        query = query.where(Quarantine.resolved_at.is_(None))
    return session.scalars(query).all()


def get_entry(session: Session, entry_id: int) -> Quarantine:
    entry = session.get(Quarantine, entry_id)
    if entry is None:
        raise NotFoundError(f"no quarantine entry {entry_id}")
    return entry


def retry(session: Session, actor: Agent | None, entry_id: int) -> ingest.IngestOutcome:
    """Parse the kept bytes again; on success the message joins its ticket like new mail.

    The entry is kept (marked resolved) so the original bytes and reason stay on record; it
    gives up its IMAP key, which now belongs to the ticket message.
    """
    # The parser loads on first use: the desktop lists quarantine entries long before (if
    # ever) it retries one.
    from crm_desk.mail.parse import ParseFailure, parse_message

    entry = get_entry(session, entry_id)
    if entry.resolved_at is not None:
        return ingest.IngestOutcome(None, None, False, reason="already retried successfully")
    try:
        parsed = parse_message(entry.raw)
    except ParseFailure as failure:
        entry.reason = str(failure)
        session.flush()
        return ingest.IngestOutcome(None, None, False, quarantined=True, reason=str(failure))
    key = None
    if entry.mailbox_id is not None and entry.folder and entry.uidvalidity and entry.uid:
        key = ingest.ImapKey(entry.mailbox_id, entry.folder, entry.uidvalidity, entry.uid)
    entry.uidvalidity = entry.uid = None  # release the unique key before the message takes it
    entry.resolved_at = utcnow()
    session.flush()
    outcome = ingest.ingest_mail(
        session,
        key,
        entry.raw,
        parsed,
        mailbox_id=entry.mailbox_id,
        received_at=entry.created_at or datetime.now(UTC),
    )
    changes.record(session, actor, entity="quarantine", entity_id=entry.id, kind="mail.released")
    return outcome
