"""Inbound mail into tickets, exactly once.

Each message fetched over IMAP is keyed by (mailbox, folder, UIDVALIDITY, UID), unique in
``messages`` and in ``quarantine``. The sync engine writes a batch in one transaction:
``lock_folder`` first (on PostgreSQL two desktops syncing the same folder take turns per
batch, so the second sees the first one's rows and skips them), then ``already_have`` /
``ingest_mail`` / ``quarantine_mail`` per message. The unique keys stay the last line of defence:
a duplicate that slipped through aborts the batch, which is then fetched again and skipped.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import exists, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_desk.core import changes, customers, search, tickets
from crm_desk.core import threading as thread_rules
from crm_desk.errors import ValidationError
from crm_desk.store.models import (
    Attachment,
    Blob,
    Channel,
    Direction,
    Message,
    Quarantine,
    Ticket,
    TicketStatus,
)

AUTO_REPLY_TAG = "auto-reply"


class InboundAttachment(Protocol):
    @property
    def filename_display(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def sha256(self) -> str: ...
    @property
    def content_id(self) -> str | None: ...
    @property
    def inline(self) -> bool: ...


class InboundMail(Protocol):
    """What ingest needs of a parsed message (``crm_desk.mail.parse.ParsedMessage`` has it)."""

    @property
    def subject(self) -> str: ...
    @property
    def from_name(self) -> str: ...
    @property
    def from_address(self) -> str: ...
    @property
    def to(self) -> Sequence[tuple[str, str]]: ...
    @property
    def cc(self) -> Sequence[tuple[str, str]]: ...
    @property
    def date(self) -> datetime | None: ...
    @property
    def message_id(self) -> str | None: ...
    @property
    def in_reply_to(self) -> str | None: ...
    @property
    def references(self) -> Sequence[str]: ...
    @property
    def headers_text(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str | None: ...
    @property
    def attachments(self) -> Sequence[InboundAttachment]: ...
    @property
    def charset_notes(self) -> Sequence[str]: ...
    @property
    def is_auto_reply(self) -> bool: ...


@dataclass(frozen=True)
class ImapKey:
    mailbox_id: int
    folder: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class IngestOutcome:
    ticket_id: int | None
    message_id: int | None
    created_ticket: bool
    quarantined: bool = False
    reason: str = ""


def lock_folder(session: Session, mailbox_id: int, folder: str) -> None:
    """Serialise writers of one mailbox folder for the rest of this transaction (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"{mailbox_id}\0{folder}".encode())
        session.execute(text("SELECT pg_advisory_xact_lock(1, :key)"), {"key": key - 2**31})


def already_have(session: Session, key: ImapKey) -> bool:
    """Whether this server message is already a ticket message or a quarantine entry."""

    def matches(model: type[Message] | type[Quarantine]) -> bool:
        return bool(
            session.scalar(
                select(
                    exists().where(
                        model.mailbox_id == key.mailbox_id,
                        model.folder == key.folder,
                        model.uidvalidity == key.uidvalidity,
                        model.uid == key.uid,
                    )
                )
            )
        )

    return matches(Message) or matches(Quarantine)


def display_address(name: str, address: str) -> str:
    """``Name <address>`` as text for people (formataddr would RFC 2047-encode a Japanese name)."""
    name = " ".join(name.split())
    if not name or name == address:
        return address
    if any(ch in name for ch in ',;<>"'):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def _addresses(pairs: Sequence[tuple[str, str]]) -> str | None:
    return ", ".join(display_address(name, address) for name, address in pairs) or None


def _store_blob(session: Session, data: bytes, sha256: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(Blob).values(sha256=sha256, size=len(data), data=data).on_conflict_do_nothing()
    )


def ingest_mail(
    session: Session,
    key: ImapKey | None,
    raw: bytes,
    mail: InboundMail,
    *,
    mailbox_id: int | None,
    received_at: datetime,
    channel: str = Channel.MAIL,
) -> IngestOutcome:
    """File one parsed inbound message into its ticket (or a new one)."""
    decision = thread_rules.decide(
        session,
        subject=mail.subject,
        in_reply_to=mail.in_reply_to,
        references=mail.references,
        is_auto_reply=mail.is_auto_reply,
        received_at=received_at,
    )
    contact_id = None
    if mail.from_address:
        try:
            contact, _ = customers.match_or_create_contact(
                session, None, mail.from_address, mail.from_name
            )
            contact_id = contact.id
        except ValidationError:
            pass  # an unusable sender address still gets its ticket, without a contact
    created = decision.ticket_id is None
    if created:
        ticket = tickets.create_ticket(
            session,
            None,
            subject=mail.subject or "(no subject)",
            contact_id=contact_id,
            channel=channel,
            mailbox_id=mailbox_id,
            created_at=received_at,
        )
        ticket.follows_up_id = decision.follows_up_id
        if mail.is_auto_reply:
            ticket.status = TicketStatus.CLOSED
            ticket.resolved_at = received_at
            ticket.tags = [AUTO_REPLY_TAG]
    else:
        ticket = session.get(Ticket, decision.ticket_id, with_for_update=True)  # type: ignore[assignment]
        if decision.reopen:
            ticket.status = TicketStatus.OPEN
            ticket.resolved_at = None
    sender = display_address(mail.from_name, mail.from_address) if mail.from_address else None
    message = Message(
        ticket_id=ticket.id,
        direction=Direction.IN,
        from_address=sender,
        to_addresses=_addresses(mail.to),
        cc_addresses=_addresses(mail.cc),
        subject=mail.subject,
        message_id_header=thread_rules.normalise_message_id(mail.message_id),
        in_reply_to=thread_rules.normalise_message_id(mail.in_reply_to),
        references=" ".join(mail.references) or None,
        headers=mail.headers_text,
        body_text=mail.text,
        body_html=mail.html,
        raw=raw,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        charset_note="; ".join(mail.charset_notes)[:200] or None,
        thread_reason=decision.reason[:200],
        is_auto_reply=mail.is_auto_reply,
        mailbox_id=key.mailbox_id if key else mailbox_id,
        folder=key.folder if key else None,
        uidvalidity=key.uidvalidity if key else None,
        uid=key.uid if key else None,
        sent_at=mail.date,
        created_at=received_at,
    )
    session.add(message)
    ticket.message_count += 1
    ticket.updated_at = max(ticket.updated_at, received_at)
    session.flush()
    for part in mail.attachments:
        _store_blob(session, part.data, part.sha256)
        session.add(
            Attachment(
                message_id=message.id,
                sha256=part.sha256,
                display_name=part.filename_display[:500],
                content_type=part.content_type[:200],
                size=len(part.data),
                content_id=part.content_id,
                inline=part.inline,
            )
        )
    search.append_to_ticket(session, ticket.id, sender, mail.text)
    changes.record(
        session,
        None,
        entity="ticket",
        entity_id=ticket.id,
        kind="ticket.message_received",
        ticket_id=ticket.id,
        data={"message_id": message.id, "reason": decision.reason, "new_ticket": created},
    )
    return IngestOutcome(ticket.id, message.id, created, reason=decision.reason)


def quarantine_mail(
    session: Session, key: ImapKey | None, raw: bytes, reason: str
) -> IngestOutcome:
    """Keep a message that could not be parsed, with its bytes and the reason, for a person."""
    entry = Quarantine(
        mailbox_id=key.mailbox_id if key else None,
        folder=key.folder if key else None,
        uidvalidity=key.uidvalidity if key else None,
        uid=key.uid if key else None,
        reason=reason[:2000],
        raw=raw,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
    )
    session.add(entry)
    session.flush()
    changes.record(session, None, entity="quarantine", entity_id=entry.id, kind="mail.quarantined")
    return IngestOutcome(None, None, False, quarantined=True, reason=reason)
