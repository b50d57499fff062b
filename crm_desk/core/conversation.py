"""A ticket's conversation, read for display: plain frozen data that a view paints as it is.

Everything here runs on a worker (the desktop's ``Op``), never on the GUI thread, so the costly
parts are done here: the stored HTML is sanitized once more (it was sanitized at ingest, but
whatever is read back from a database is treated as hostile), ``cid:`` images are read from
their blobs, and the raw message is looked at to learn which remote images the sanitizer
blocked, so the view can offer to load them.

Limits keep one pathological message from stalling a ticket switch: only the newest
``DEFAULT_LIMIT`` messages are read (the rest are counted), bodies and headers are cut at a
size a person could read, inline images and raw messages above a size are left alone.
"""

from __future__ import annotations

import email
import email.message
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_desk.errors import NotFoundError
from crm_desk.store.models import Agent, Attachment, Blob, Message, Ticket

DEFAULT_LIMIT = 50  # messages shown at first; the view can ask for more
MAX_LIMIT = 1000
MAX_TEXT_CHARS = 1_000_000  # a body longer than this is cut (and says so)
MAX_HTML_CHARS = 2_000_000
MAX_HEADERS_CHARS = 64 * 1024
MAX_INLINE_IMAGE_BYTES = 5 * 1024 * 1024
MAX_INLINE_TOTAL_BYTES = 20 * 1024 * 1024  # per conversation
MAX_RAW_BYTES_CHECKED = 8 * 1024 * 1024  # larger raw messages are not re-read for remote images
MAX_RAW_TOTAL_BYTES = 24 * 1024 * 1024  # raw bytes read per conversation
MAX_REMOTE_LISTED = 200

# Only raster formats are decoded for display: SVG can carry script, and every other format
# is one more decoder exposed to a stranger's bytes.
RASTER_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp"})


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    id: int
    display_name: str  # as the sender named it: plain text, never a path to write to
    content_type: str
    size: int
    inline: bool
    content_id: str | None


@dataclass(frozen=True, slots=True)
class ConversationMessage:
    id: int
    direction: str  # "in" | "out" | "note"
    author_name: str | None  # the agent who wrote an outbound message or a note
    from_address: str | None
    sender_email: str | None  # lower-cased address of From, for "always for this sender"
    to_addresses: str | None
    cc_addresses: str | None
    subject: str | None
    created_at: datetime
    sent_at: datetime | None
    body_text: str
    body_html: str | None  # sanitized here again; None: show body_text
    text_truncated: bool
    thread_reason: str | None
    charset_note: str | None
    is_auto_reply: bool
    headers: str | None
    attachments: tuple[AttachmentInfo, ...]
    inline_images: Mapping[str, bytes] = field(default_factory=dict)  # content id -> bytes
    remote_images: tuple[str, ...] = ()  # blocked remote image URLs, in order
    remote_allowed: bool = False  # body_html keeps its remote images: the agent allowed them

    @property
    def shown_attachments(self) -> tuple[AttachmentInfo, ...]:
        """What the attachment row lists: every file, and inline images only when there is
        no HTML body to show them in."""
        if self.body_html is None:
            return self.attachments
        return tuple(a for a in self.attachments if not a.inline)


@dataclass(frozen=True, slots=True)
class Conversation:
    ticket_id: int
    subject: str
    status: str
    messages: tuple[ConversationMessage, ...]  # oldest first
    earlier_count: int  # older messages not read (beyond the limit)

    @property
    def number(self) -> int:
        return self.ticket_id


def sender_email(from_address: str | None) -> str | None:
    """The address in a From value ("Name <a@b>"), lower-cased; None when there is none."""
    if not from_address:
        return None
    for _name, address in getaddresses([from_address]):
        if "@" in address:
            return address.strip().lower()
    return None


def load_conversation(
    session: Session,
    ticket_id: int,
    *,
    limit: int = DEFAULT_LIMIT,
    remote_senders: Collection[str] = (),
    remote_messages: Collection[int] = (),
) -> Conversation:
    """The newest ``limit`` messages of a ticket, oldest first, ready to show.

    Remote images stay blocked except in messages listed in ``remote_messages`` or sent from
    an address in ``remote_senders`` (lower-case addresses): for those the raw message is
    sanitized again with remote images kept.
    """
    ticket = session.execute(
        select(Ticket.subject, Ticket.status).where(Ticket.id == ticket_id)
    ).one_or_none()
    if ticket is None:
        raise NotFoundError(f"no ticket #{ticket_id}")
    limit = max(1, min(limit, MAX_LIMIT))
    total = session.scalar(select(func.count()).where(Message.ticket_id == ticket_id)) or 0
    newest_first = session.execute(
        select(
            Message.id,
            Message.direction,
            Agent.name.label("author_name"),
            Message.from_address,
            Message.to_addresses,
            Message.cc_addresses,
            Message.subject,
            Message.created_at,
            Message.sent_at,
            Message.body_text,
            Message.body_html,
            Message.thread_reason,
            Message.charset_note,
            Message.is_auto_reply,
            Message.headers,
            func.length(Message.raw).label("raw_size"),
        )
        .outerjoin(Agent, Agent.id == Message.author_agent_id)
        .where(Message.ticket_id == ticket_id)
        .order_by(Message.id.desc())
        .limit(limit)
    ).all()
    rows = list(reversed(newest_first))
    attachments = _attachments(session, [row.id for row in rows])
    # Raw bytes only where they can tell which remote images were blocked: HTML mail.
    raws = _raw_messages(session, _worth_reading_raw(rows))
    allowed_senders = {address.lower() for address in remote_senders}
    allowed_messages = set(remote_messages)

    inline_wanted = {
        a.content_id: a
        for row in rows
        if row.body_html
        for a in attachments.get(row.id, ())
        if a.content_id and a.content_type.lower() in RASTER_IMAGE_TYPES
    }
    blobs = _inline_blobs(session, [a.id for a in inline_wanted.values()])

    messages = []
    for row in rows:
        sender = sender_email(row.from_address)
        allow = row.id in allowed_messages or (sender is not None and sender in allowed_senders)
        html, blocked = _display_html(row.body_html, raws.get(row.id), allow_remote=allow)
        files = tuple(attachments.get(row.id, ()))
        text, cut = _cut(row.body_text or "", MAX_TEXT_CHARS)
        headers = _cut(row.headers, MAX_HEADERS_CHARS)[0] if row.headers else None
        messages.append(
            ConversationMessage(
                id=row.id,
                direction=row.direction,
                author_name=row.author_name,
                from_address=row.from_address,
                sender_email=sender,
                to_addresses=row.to_addresses,
                cc_addresses=row.cc_addresses,
                subject=row.subject,
                created_at=row.created_at,
                sent_at=row.sent_at,
                body_text=text,
                body_html=html,
                text_truncated=cut,
                thread_reason=row.thread_reason,
                charset_note=row.charset_note,
                is_auto_reply=row.is_auto_reply,
                headers=headers,
                attachments=files,
                inline_images={
                    a.content_id: blobs[a.id]
                    for a in files
                    if html is not None and a.content_id and a.id in blobs
                },
                remote_images=blocked,
                remote_allowed=allow and html is not None,
            )
        )
    return Conversation(
        ticket_id=ticket_id,
        subject=ticket.subject,
        status=ticket.status,
        messages=tuple(messages),
        earlier_count=max(0, total - len(messages)),
    )


def remote_html(session: Session, message_id: int) -> str | None:
    """A message's HTML with its remote images kept (sanitized otherwise), for "load remote
    images"; None when the message has no HTML body."""
    row = session.execute(
        select(Message.body_html, func.length(Message.raw)).where(Message.id == message_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no message with id {message_id}")
    body_html, raw_size = row
    if not body_html:
        return None
    raw = None
    if raw_size and raw_size <= MAX_RAW_BYTES_CHECKED:
        raw = session.scalar(select(Message.raw).where(Message.id == message_id))
    return _display_html(body_html, raw, allow_remote=True)[0]


def attachment_bytes(session: Session, attachment_id: int) -> bytes:
    """The content of one attachment, for saving to a file the agent chose."""
    data = session.scalar(
        select(Blob.data)
        .join(Attachment, Attachment.sha256 == Blob.sha256)
        .where(Attachment.id == attachment_id)
    )
    if data is None:
        raise NotFoundError(f"no attachment with id {attachment_id}")
    return bytes(data)


# --- helpers -----------------------------------------------------------------------------------


def _worth_reading_raw(rows: Sequence[Any]) -> list[int]:  # rows of load_conversation
    """HTML messages whose raw bytes may tell which remote images were blocked, newest first
    until the conversation's budget is spent: a thread of huge newsletters stays cheap."""
    chosen: list[int] = []
    spent = 0
    for row in reversed(rows):
        size = row.raw_size or 0
        if not row.body_html or not 0 < size <= MAX_RAW_BYTES_CHECKED:
            continue
        if spent + size > MAX_RAW_TOTAL_BYTES:
            break
        spent += size
        chosen.append(row.id)
    return chosen


def _cut(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit], True)


def _attachments(session: Session, message_ids: Sequence[int]) -> dict[int, list[AttachmentInfo]]:
    found: dict[int, list[AttachmentInfo]] = {}
    if not message_ids:
        return found
    rows = session.execute(
        select(
            Attachment.message_id,
            Attachment.id,
            Attachment.display_name,
            Attachment.content_type,
            Attachment.size,
            Attachment.inline,
            Attachment.content_id,
        )
        .where(Attachment.message_id.in_(message_ids))
        .order_by(Attachment.id)
    )
    for row in rows:
        found.setdefault(row.message_id, []).append(
            AttachmentInfo(
                id=row.id,
                display_name=row.display_name,
                content_type=row.content_type,
                size=row.size,
                inline=row.inline,
                content_id=row.content_id,
            )
        )
    return found


def _inline_blobs(session: Session, attachment_ids: Sequence[int]) -> dict[int, bytes]:
    """Content of the inline images, smallest first, until the conversation's budget is spent."""
    if not attachment_ids:
        return {}
    rows = session.execute(
        select(Attachment.id, Blob.data)
        .join(Blob, Blob.sha256 == Attachment.sha256)
        .where(Attachment.id.in_(attachment_ids), Blob.size <= MAX_INLINE_IMAGE_BYTES)
        .order_by(Blob.size)
    )
    found: dict[int, bytes] = {}
    spent = 0
    for attachment_id, data in rows:
        spent += len(data)
        if spent > MAX_INLINE_TOTAL_BYTES:
            break
        found[attachment_id] = bytes(data)
    return found


def _raw_messages(session: Session, message_ids: Sequence[int]) -> dict[int, bytes]:
    if not message_ids:
        return {}
    rows = session.execute(select(Message.id, Message.raw).where(Message.id.in_(message_ids)))
    return {message_id: bytes(raw) for message_id, raw in rows if raw is not None}


def _display_html(
    stored: str | None, raw: bytes | None, *, allow_remote: bool
) -> tuple[str | None, tuple[str, ...]]:
    """The HTML to show and the remote image URLs left out of it.

    The stored HTML had its remote images removed at ingest, so they are looked for in the raw
    message; when they are allowed, the raw message is parsed again with them kept (the same
    parser and sanitizer as at ingest, so Japanese charsets decode the same way).
    """
    if not stored:
        return None, ()
    # Imported on first use (on the worker): the parser's libraries are a fifth of the app's
    # start, and nothing before the first ticket needs them.
    from crm_desk.mail.limits import ParseFailure
    from crm_desk.mail.parse import parse_message
    from crm_desk.mail.sanitize import sanitize_html

    stored = stored[:MAX_HTML_CHARS]
    if allow_remote and raw is not None:
        try:
            reparsed = parse_message(raw, allow_remote=True).html
        except ParseFailure:
            reparsed = None
        if reparsed:
            return sanitize_html(reparsed[:MAX_HTML_CHARS], allow_remote=True).html, ()
    again = sanitize_html(stored, allow_remote=allow_remote)
    blocked = list(again.remote_resources)
    if not allow_remote and raw is not None:
        for url in _blocked_in_raw(raw):
            if url not in blocked:
                blocked.append(url)
    # Nothing left to show (it was all script or style): the text part says what there is.
    return again.html if again.html.strip() else None, tuple(blocked[:MAX_REMOTE_LISTED])


def _blocked_in_raw(raw: bytes) -> list[str]:
    """The remote images the sanitizer blocks in a raw message's HTML parts.

    Only to decide whether to offer "load remote images": the text is decoded simply (URLs are
    ASCII in every charset mail uses for HTML), and what is shown still comes from the parser.
    """
    from crm_desk.mail.sanitize import sanitize_html

    blocked: list[str] = []
    try:
        message = email.message_from_bytes(raw, policy=compat32)
        for index, part in enumerate(message.walk()):
            if index >= 500:
                break
            if part.get_content_type() != "text/html" or part.is_multipart():
                continue
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            for url in sanitize_html(_decode(payload, part)).remote_resources:
                if url not in blocked:
                    blocked.append(url)
    except Exception:  # a hint only: a message the email package chokes on shows no bar
        return blocked
    return blocked


def _decode(payload: bytes, part: email.message.Message) -> str:
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("latin-1")
