"""Inbound mail into tickets, exactly once, a batch at a time.

Each message fetched over IMAP is keyed by (mailbox, folder, UIDVALIDITY, UID), unique in
``messages`` and in ``quarantine``. The sync engine files a batch in one transaction:
``lock_folder`` first (on PostgreSQL two desktops syncing the same folder take turns per
batch, so the second sees the first one's rows and skips them), then ``ingest_batch``. The
unique keys stay the last line of defence: a duplicate that slipped through aborts the batch,
which is then fetched again and skipped.

Why a batch path: filing mail one ORM object at a time costs a dozen statements and several
flushes per message (~10 ms). Here each kind of lookup is one query per batch (known keys,
Message-IDs, tickets, contacts) and each kind of row one multi-row INSERT, so the database
part costs a fraction of parsing. ``ingest_mail`` is a batch of one: there is one code path.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_desk.core import agents, changes, form_mail, search, team_settings
from crm_desk.core import threading as thread_rules
from crm_desk.core.customers import company_id_for
from crm_desk.errors import ValidationError
from crm_desk.store.bulk import next_id
from crm_desk.store.models import (
    PRIORITY_RANK,
    Attachment,
    Blob,
    Channel,
    Contact,
    Direction,
    Lifecycle,
    Message,
    Priority,
    Qualification,
    Quarantine,
    SearchDoc,
    Ticket,
    TicketStatus,
    utcnow,
)

AUTO_REPLY_TAG = "auto-reply"
_IN_CHUNK = 500  # values per IN (...) list

T = TypeVar("T")


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
class InboundItem:
    """One message to file: parsed (``mail``) or not (``failure`` says why: quarantine it)."""

    key: ImapKey | None
    raw: bytes
    mail: InboundMail | None
    received_at: datetime
    mailbox_id: int | None = None
    failure: str | None = None
    channel: str = Channel.MAIL
    # ``search.index_text(mail.text)`` when the caller already has it (a parser process
    # computes it beside the parse, off the writer's critical path).
    text_terms: str | None = None


@dataclass(frozen=True)
class IngestOutcome:
    ticket_id: int | None
    message_id: int | None
    created_ticket: bool
    quarantined: bool = False
    duplicate: bool = False
    reason: str = ""


def lock_folder(session: Session, mailbox_id: int, folder: str) -> None:
    """Serialise writers of one mailbox folder for the rest of this transaction (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"{mailbox_id}\0{folder}".encode())
        session.execute(text("SELECT pg_advisory_xact_lock(1, :key)"), {"key": key - 2**31})


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _chunks(values: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def known_keys(session: Session, keys: Iterable[ImapKey]) -> set[ImapKey]:
    """Which of ``keys`` are already a ticket message or a quarantine entry."""
    groups: dict[tuple[int, str, int], list[int]] = defaultdict(list)
    for key in keys:
        groups[(key.mailbox_id, key.folder, key.uidvalidity)].append(key.uid)
    found: set[ImapKey] = set()
    for (mailbox_id, folder, uidvalidity), uids in groups.items():
        wanted = set(uids)
        for model in (Message, Quarantine):
            # A UID range rather than an IN list: one statement shape, compiled once (an IN
            # list of a batch's UIDs cost milliseconds of SQL compiling per batch), and a
            # batch's UIDs are nearly contiguous, so the range reads hardly anything more.
            statement = select(model.uid).where(
                model.mailbox_id == mailbox_id,
                model.folder == folder,
                model.uidvalidity == uidvalidity,
                model.uid.between(bindparam("low"), bindparam("high")),
            )
            for chunk in _chunks(sorted(wanted)):
                rows = session.scalars(statement, {"low": chunk[0], "high": chunk[-1]})
                found.update(
                    ImapKey(mailbox_id, folder, uidvalidity, uid) for uid in rows if uid in wanted
                )
    return found


def already_have(session: Session, key: ImapKey) -> bool:
    return key in known_keys(session, [key])


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


def _dialect_insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _valid_email(address: str) -> str | None:
    try:
        return agents.normalise_email(address) if address else None
    except ValidationError:
        return None  # an unusable sender still gets a ticket, without a contact


# --- building the index the threading rules look at ---------------------------------------


def _ticket_states(session: Session, ids: set[int]) -> dict[int, thread_rules.TicketState]:
    """Ticket states, locked (PostgreSQL) in id order; merge targets followed."""
    states: dict[int, thread_rules.TicketState] = {}
    wanted = set(ids)
    while wanted:
        columns = (
            Ticket.id,
            Ticket.status,
            Ticket.merged_into_id,
            Ticket.resolved_at,
            Ticket.updated_at,
        )
        for chunk in _chunks(sorted(wanted)):
            query = select(*columns).where(Ticket.id.in_(chunk)).order_by(Ticket.id)
            for row in session.execute(query.with_for_update()):
                states[row[0]] = thread_rules.TicketState(*row)
        wanted = {s.merged_into_id for s in states.values() if s.merged_into_id is not None}
        wanted -= states.keys()
    return states


def _thread_index(session: Session, mails: Sequence[InboundMail]) -> thread_rules.ThreadIndex:
    rules = thread_rules.ThreadRules(
        team_settings.get(session, "thread_token_pattern"),
        int(team_settings.get(session, "reopen_closed_within_days")),
    )
    index = thread_rules.ThreadIndex(rules)
    mentioned = sorted(
        {i for m in mails for i in thread_rules.mentioned_message_ids(m.in_reply_to, m.references)}
    )
    for chunk in _chunks(mentioned):
        query = select(Message.message_id_header, Message.ticket_id).where(
            Message.message_id_header.in_(chunk)
        )
        for message_id, ticket_id in session.execute(query):
            if message_id is not None:
                index.ticket_by_message_id.setdefault(message_id, ticket_id)
    tokens = {found[0] for m in mails if (found := index.token_number(m.subject))}
    index.tickets = _ticket_states(session, set(index.ticket_by_message_id.values()) | tokens)
    return index


# --- contacts ------------------------------------------------------------------------------


def _contacts(session: Session, mails: Sequence[InboundMail]) -> dict[str, int]:
    """Contact id per sender address; new senders become contacts (concurrency-safe)."""
    names: dict[str, str] = {}
    for mail in mails:
        email = _valid_email(mail.from_address)
        if email and not names.get(email):
            names[email] = (mail.from_name or "").strip()[:300]
    ids: dict[str, int] = {}

    def load(addresses: Sequence[str]) -> None:
        for chunk in _chunks(addresses):
            query = select(Contact.email, Contact.id).where(Contact.email.in_(chunk))
            ids.update((email, contact_id) for email, contact_id in session.execute(query))

    load(sorted(names))
    missing = sorted(set(names) - set(ids))
    if not missing:
        return ids
    now = utcnow()
    rows = [
        {
            "name": names[e],
            "email": e,
            "lifecycle": Lifecycle.CONTACT,
            "qualification": Qualification.NONE,
            "points": 0,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for e in missing
    ]
    # Another desktop may create the same contact meanwhile: the unique address decides.
    session.execute(_dialect_insert(session)(Contact).on_conflict_do_nothing(), rows)
    load(missing)
    docs = [
        {"contact_id": ids[e], "body": search.contact_text(names[e], None, e, None, None)}
        for e in missing
    ]
    existing_docs = set(
        session.scalars(
            select(SearchDoc.contact_id).where(
                SearchDoc.contact_id.in_([d["contact_id"] for d in docs])
            )
        )
    )
    session.execute(
        _table(SearchDoc).insert(), [d for d in docs if d["contact_id"] not in existing_docs]
    )
    changes.record_many(session, [("contact", ids[e], "contact.created", {}) for e in missing])
    return ids


# --- filing --------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What a batch will write, gathered before anything is inserted."""

    new_tickets: dict[int, dict[str, Any]] = field(default_factory=dict)  # by temporary id (< 0)
    messages: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Sequence[InboundAttachment]] = field(default_factory=list)  # per message
    message_items: list[int] = field(default_factory=list)  # item index per message row
    reasons: list[thread_rules.ThreadDecision] = field(default_factory=list)
    touched: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # ticket → +messages
    reopened: set[int] = field(default_factory=set)
    index_terms: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))


def _plan(
    items: Sequence[InboundItem],
    todo: Sequence[int],
    index: thread_rules.ThreadIndex,
    contact_ids: dict[str, int],
) -> _Plan:
    plan = _Plan()
    for n in todo:
        item, mail = items[n], items[n].mail
        assert mail is not None
        decision = thread_rules.decide(
            index,
            subject=mail.subject,
            in_reply_to=mail.in_reply_to,
            references=mail.references,
            is_auto_reply=mail.is_auto_reply,
            received_at=item.received_at,
        )
        at = item.received_at
        if decision.ticket_id is None:
            ticket_id = -(len(plan.new_tickets) + 1)
            auto = mail.is_auto_reply
            state = thread_rules.TicketState(
                ticket_id,
                TicketStatus.CLOSED if auto else TicketStatus.NEW,
                None,
                at if auto else None,
                at,
            )
            index.tickets[ticket_id] = state
            email = _valid_email(mail.from_address)
            plan.new_tickets[ticket_id] = {
                "subject": (mail.subject or "(no subject)").strip()[:998] or "(no subject)",
                "priority": Priority.NORMAL,
                "priority_rank": PRIORITY_RANK[Priority.NORMAL],
                "category_id": None,
                "tags": [AUTO_REPLY_TAG] if auto else [],
                "assignee_id": None,
                "contact_id": contact_ids.get(email) if email else None,
                "deal_id": None,
                "mailbox_id": item.mailbox_id,
                "channel": item.channel,
                "merged_into_id": None,
                "follows_up_id": decision.follows_up_id,
                "created_at": at,
                "updated_by_id": None,
                "first_response_at": None,
                "due_at": None,
                "version": 1,
            }
            plan.index_terms[ticket_id].append(
                search.index_text(plan.new_tickets[ticket_id]["subject"])
            )
        else:
            ticket_id = decision.ticket_id
            state = index.tickets[ticket_id]
            if decision.reopen:
                state.status, state.resolved_at = TicketStatus.OPEN, None
                plan.reopened.add(ticket_id)
        state.updated_at = max(state.updated_at, at)
        plan.touched[ticket_id] += 1
        if message_id := thread_rules.normalise_message_id(mail.message_id):
            index.ticket_by_message_id.setdefault(message_id, ticket_id)  # later replies find it
        sender = display_address(mail.from_name, mail.from_address) if mail.from_address else None
        key = item.key
        plan.messages.append(
            {
                "ticket_id": ticket_id,
                "direction": Direction.IN,
                "author_agent_id": None,
                "from_address": sender,
                "to_addresses": _addresses(mail.to),
                "cc_addresses": _addresses(mail.cc),
                "subject": mail.subject,
                "message_id_header": message_id,
                "in_reply_to": thread_rules.normalise_message_id(mail.in_reply_to),
                "references": " ".join(mail.references) or None,
                "headers": mail.headers_text,
                "body_text": mail.text,
                "body_html": mail.html,
                "raw": item.raw,
                "raw_sha256": hashlib.sha256(item.raw).hexdigest(),
                "charset_note": "; ".join(mail.charset_notes)[:200] or None,
                "thread_reason": decision.reason[:200],
                "is_auto_reply": mail.is_auto_reply,
                "mailbox_id": key.mailbox_id if key else item.mailbox_id,
                "folder": key.folder if key else None,
                "uidvalidity": key.uidvalidity if key else None,
                "uid": key.uid if key else None,
                "sent_at": mail.date,
                "created_at": at,
            }
        )
        plan.attachments.append(mail.attachments)
        plan.message_items.append(n)
        plan.reasons.append(decision)
        text_terms = item.text_terms
        if text_terms is None:
            text_terms = search.index_text(mail.text)
        plan.index_terms[ticket_id].extend((search.index_text(sender), text_terms))
    return plan


def _joined(terms: list[str]) -> str:
    return " ".join(t for t in terms if t)


def _insert_returning_ids(session: Session, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows``; their new ids, in order."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "sqlite":
        # SQLite does not promise RETURNING's row order, so SQLAlchemy would send one INSERT
        # per row to keep ids in order. The batch holds the database's only write lock
        # (BEGIN IMMEDIATE) and the tables have no AUTOINCREMENT: the ids SQLite would pick
        # are max + 1 onward. Naming them lets one executemany insert the whole batch.
        first = next_id(session, table.name)
        ids = list(range(first, first + len(rows)))
        session.execute(
            table.insert(), [row | {"id": id_} for row, id_ in zip(rows, ids, strict=True)]
        )
        return ids
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _write(session: Session, plan: _Plan, index: thread_rules.ThreadIndex) -> dict[int, int]:
    """Insert and update what the plan says; returns temporary → real ticket ids."""
    temporary = list(plan.new_tickets)
    for temp in temporary:
        state = index.tickets[temp]
        plan.new_tickets[temp] |= {
            "status": state.status,
            "resolved_at": state.resolved_at,
            "updated_at": state.updated_at,
            "message_count": plan.touched[temp],
        }
    real = dict(
        zip(
            temporary,
            _insert_returning_ids(
                session, _table(Ticket), [plan.new_tickets[t] for t in temporary]
            ),
            strict=True,
        )
    )

    def ticket_of(ticket_id: int) -> int:
        return real.get(ticket_id, ticket_id)

    for row in plan.messages:
        row["ticket_id"] = ticket_of(row["ticket_id"])
    message_ids = _insert_returning_ids(session, _table(Message), plan.messages)
    existing = [t for t in plan.touched if t > 0]
    if existing:
        table = _table(Ticket)
        session.execute(
            table.update()
            .where(table.c.id == bindparam("tid"))
            .values(
                message_count=table.c.message_count + bindparam("added"),
                updated_at=bindparam("at"),
                status=bindparam("st"),
                resolved_at=bindparam("resolved"),
                version=table.c.version + 1,
            ),
            [
                {
                    "tid": t,
                    "added": plan.touched[t],
                    "at": index.tickets[t].updated_at,
                    "st": index.tickets[t].status,
                    "resolved": index.tickets[t].resolved_at,
                }
                for t in existing
            ],
        )
    docs = _table(SearchDoc)
    new_docs = [
        {"ticket_id": real[t], "contact_id": None, "body": _joined(plan.index_terms[t])}
        for t in temporary
    ]
    if new_docs:
        session.execute(docs.insert(), new_docs)
    appended = [{"tid": t, "tokens": " " + _joined(plan.index_terms[t])} for t in existing]
    if appended:
        session.execute(
            docs.update()
            .where(docs.c.ticket_id == bindparam("tid"))
            .values(body=docs.c.body + bindparam("tokens")),
            appended,
        )
    _write_attachments(session, plan, message_ids)
    for row, message_id in zip(plan.messages, message_ids, strict=True):
        row["id"] = message_id
    return real


def _write_attachments(session: Session, plan: _Plan, message_ids: list[int]) -> None:
    blobs: dict[str, bytes] = {}
    rows: list[dict[str, Any]] = []
    for parts, message_id in zip(plan.attachments, message_ids, strict=True):
        for part in parts:
            blobs.setdefault(part.sha256, part.data)
            rows.append(
                {
                    "message_id": message_id,
                    "sha256": part.sha256,
                    "display_name": part.filename_display[:500],
                    "content_type": part.content_type[:200],
                    "size": len(part.data),
                    "content_id": part.content_id,
                    "inline": part.inline,
                }
            )
    if not rows:
        return
    session.execute(
        _dialect_insert(session)(Blob).on_conflict_do_nothing(),
        [{"sha256": sha, "size": len(data), "data": data} for sha, data in blobs.items()],
    )
    session.execute(_table(Attachment).insert(), rows)


# --- web-form notifications ----------------------------------------------------------------


def _read_form_mail(
    session: Session, items: Sequence[InboundItem], parsed: Sequence[int]
) -> tuple[list[InboundItem], dict[int, tuple[form_mail.FormFields, str]]]:
    """Items with a form tool's notification re-addressed to the customer it names.

    Returns the (possibly replaced) items and, per replaced item, the form's fields and the
    form tool's address (kept for the thread reason; the raw mail keeps the original From).
    """
    senders = team_settings.get(session, "form_mail_senders")
    result = list(items)
    forms: dict[int, tuple[form_mail.FormFields, str]] = {}
    if not senders:
        return result, forms
    labels = team_settings.get(session, "form_mail_fields") or None
    for n in parsed:
        mail = items[n].mail
        if mail is None or not form_mail.is_form_sender(mail.from_address, senders):
            continue
        if not dataclasses.is_dataclass(mail) or isinstance(mail, type):
            continue
        fields = form_mail.parse_form_body(mail.text, labels)
        if fields is None:
            continue  # no address in the body: filed as from the form tool itself
        customer = dataclasses.replace(
            mail,
            from_name=fields.name or "",
            from_address=fields.email,
            reply_to=[(fields.name or "", fields.email)],
        )
        result[n] = dataclasses.replace(items[n], mail=customer)
        forms[n] = (fields, mail.from_address)
    return result, forms


def _fill_form_contacts(
    session: Session,
    forms: dict[int, tuple[form_mail.FormFields, str]],
    contact_ids: dict[str, int],
) -> None:
    """Give the form's phone, company and reading to contacts that have none (never overwrite
    what an agent entered)."""
    for fields, _via in forms.values():
        contact = session.get(Contact, contact_ids.get(fields.email))
        if contact is None:
            continue
        changed = False
        if fields.phone and not contact.phone:
            contact.phone, changed = fields.phone, True
        if fields.name_kana and not contact.name_kana:
            contact.name_kana, changed = fields.name_kana, True
        if fields.company and contact.company_id is None:
            contact.company_id, changed = company_id_for(session, fields.company), True
        if fields.name and not contact.name:
            contact.name, changed = fields.name, True
        if changed:
            contact.updated_at = utcnow()
            session.flush()
            search.reindex_contact(session, contact)
            changes.record(
                session, None, entity="contact", entity_id=contact.id, kind="contact.updated"
            )


def ingest_batch(
    session: Session, items: Sequence[InboundItem], *, known: set[ImapKey] | None = None
) -> list[IngestOutcome]:
    """File a batch of inbound messages; one outcome per item, in order.

    ``known``: the items' keys already stored, when the caller looked them up in this
    transaction (the mail sync does, under its folder lock); otherwise they are looked up here.
    """
    outcomes: list[IngestOutcome | None] = [None] * len(items)
    if known is None:
        known = known_keys(session, [i.key for i in items if i.key is not None])
    else:
        known = set(known)
    parsed: list[int] = []
    for n, item in enumerate(items):
        if item.key is not None and item.key in known:
            outcomes[n] = IngestOutcome(
                None, None, False, duplicate=True, reason="already imported"
            )
            continue
        if item.key is not None:
            known.add(item.key)  # the same key twice in one batch is filed once
        if item.mail is None:
            outcomes[n] = quarantine_mail(session, item.key, item.raw, item.failure or "unparsed")
        else:
            parsed.append(n)
    if parsed:
        items, forms = _read_form_mail(session, items, parsed)
        mails = [items[n].mail for n in parsed]
        index = _thread_index(session, mails)  # type: ignore[arg-type]
        contact_ids = _contacts(session, mails)  # type: ignore[arg-type]
        _fill_form_contacts(session, forms, contact_ids)
        plan = _plan(items, parsed, index, contact_ids)
        for row, n in zip(plan.messages, plan.message_items, strict=True):
            if n in forms:
                via = forms[n][1]
                row["thread_reason"] = f"{row['thread_reason']}; web form sent by {via}"[:200]
        real = _write(session, plan, index)
        events: list[tuple[str, int, str, dict[str, Any]]] = [
            ("ticket", real[t], "ticket.created", {"subject": plan.new_tickets[t]["subject"]})
            for t in plan.new_tickets
        ]
        for row, n, decision in zip(plan.messages, plan.message_items, plan.reasons, strict=True):
            created = decision.ticket_id is None
            outcomes[n] = IngestOutcome(
                row["ticket_id"], row["id"], created, reason=decision.reason
            )
            events.append(
                (
                    "ticket",
                    row["ticket_id"],
                    "ticket.message_received",
                    {"message_id": row["id"], "reason": decision.reason, "new_ticket": created},
                )
            )
        changes.record_many(session, events)
    return [o for o in outcomes if o is not None]


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
    item = InboundItem(key, raw, mail, received_at, mailbox_id=mailbox_id, channel=channel)
    return ingest_batch(session, [item])[0]


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
