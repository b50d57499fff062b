"""Inbound mail into tickets: threading, reopening, auto-replies, quarantine; both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy import func, select

from crm_desk.core import agents, ingest, mailboxes, quarantine, tickets
from crm_desk.core import threading as thread_rules
from crm_desk.mail.parse import parse_message
from crm_desk.store.db import Database
from crm_desk.store.models import Contact, Message, Quarantine, Ticket
from tests.support.factories import make_team

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def mail(
    subject: str,
    body: str,
    *,
    sender: str = "山田 太郎 <taro@example.jp>",
    message_id: str,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Date"] = format_datetime(T0)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def add_mailbox(db: Database) -> int:
    with db.write() as session:
        return mailboxes.add_mailbox(
            session,
            None,
            name="support",
            address="support@example.com",
            imap_host="127.0.0.1",
            imap_port=143,
            imap_tls="none",
            username="support",
        ).id


def file_mail(
    db: Database, raw: bytes, *, at: datetime = T0, uid: int | None = None
) -> ingest.IngestOutcome:
    key = ingest.ImapKey(1, "INBOX", 7, uid) if uid is not None else None
    with db.write() as session:
        if key is not None and ingest.already_have(session, key):
            return ingest.IngestOutcome(None, None, False, reason="duplicate")
        return ingest.ingest_mail(
            session, key, raw, parse_message(raw), mailbox_id=None, received_at=at
        )


@pytest.fixture
def first(db: Database) -> ingest.IngestOutcome:
    make_team(db)
    return file_mail(
        db, mail("配送状況の確認", "注文の配送状況を教えてください。", message_id="<q1@example.jp>")
    )


def ticket(db: Database, ticket_id: int | None) -> Ticket:
    with db.read() as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        return found


def test_new_mail_opens_a_ticket_with_its_contact(
    db: Database, first: ingest.IngestOutcome
) -> None:
    assert first.created_ticket and first.reason == "new conversation"
    opened = ticket(db, first.ticket_id)
    assert (opened.subject, opened.status, opened.message_count) == ("配送状況の確認", "new", 1)
    with db.read() as session:
        contact = session.get(Contact, opened.contact_id)
        assert contact is not None and (contact.email, contact.name) == (
            "taro@example.jp",
            "山田 太郎",
        )
        message = session.scalars(select(Message).where(Message.ticket_id == opened.id)).one()
        assert message.message_id_header == "<q1@example.jp>"
        assert message.from_address == "山田 太郎 <taro@example.jp>"
        assert message.thread_reason == "new conversation"
        assert message.raw is not None and message.raw.startswith(b"From:")


def test_reply_joins_by_in_reply_to_then_references(
    db: Database, first: ingest.IngestOutcome
) -> None:
    by_header = file_mail(
        db,
        mail(
            "Re: 配送状況の確認",
            "まだです",
            message_id="<q2@example.jp>",
            in_reply_to="<q1@example.jp>",
        ),
    )
    assert (by_header.ticket_id, by_header.created_ticket) == (first.ticket_id, False)
    assert by_header.reason == "In-Reply-To <q1@example.jp>"
    by_refs = file_mail(
        db,
        mail(
            "Re: Re: 配送",
            "追記",
            message_id="<q3@example.jp>",
            in_reply_to="<unknown@elsewhere>",
            references="<q1@example.jp> <q2@example.jp>",
        ),
    )
    assert by_refs.ticket_id == first.ticket_id
    assert by_refs.reason == "References <q2@example.jp>"  # the newest reference we hold
    assert ticket(db, first.ticket_id).message_count == 3


def test_subject_token_threads_when_headers_do_not(
    db: Database, first: ingest.IngestOutcome
) -> None:
    outcome = file_mail(
        db,
        mail(
            f"Re: [#{first.ticket_id}] 配送状況の確認", "別の端末から", message_id="<q4@example.jp>"
        ),
    )
    assert outcome.ticket_id == first.ticket_id
    assert outcome.reason == f"subject token [#{first.ticket_id}]"
    stranger = file_mail(db, mail("Re: [#999999] nothing", "x", message_id="<q5@example.jp>"))
    assert stranger.created_ticket


def test_reply_reopens_a_resolved_ticket(db: Database, first: ingest.IngestOutcome) -> None:
    with db.write() as session:
        tickets.set_status(
            session, agents.by_email(session, "lead@example.com"), first.ticket_id, "resolved"
        )
    outcome = file_mail(
        db,
        mail(
            "Re: 配送状況の確認",
            "まだ届きません",
            message_id="<q6@example.jp>",
            in_reply_to="<q1@example.jp>",
        ),
    )
    assert outcome.reason.endswith("; reopened")
    reopened = ticket(db, first.ticket_id)
    assert (reopened.status, reopened.resolved_at) == ("open", None)


def test_auto_reply_joins_without_reopening_and_never_opens_work(
    db: Database, first: ingest.IngestOutcome
) -> None:
    with db.write() as session:
        tickets.set_status(
            session, agents.by_email(session, "lead@example.com"), first.ticket_id, "resolved"
        )
    vacation = {"Auto-Submitted": "auto-replied"}
    joined = file_mail(
        db,
        mail(
            "自動応答: 配送状況の確認",
            "不在です",
            message_id="<a1@example.jp>",
            in_reply_to="<q1@example.jp>",
            headers=vacation,
        ),
    )
    assert joined.ticket_id == first.ticket_id
    assert ticket(db, first.ticket_id).status == "resolved"
    unmatched = file_mail(
        db,
        mail(
            "Out of office",
            "Back Monday",
            message_id="<a2@example.jp>",
            sender="bob@example.org",
            headers={"X-Autoreply": "yes"},
        ),
    )
    filed = ticket(db, unmatched.ticket_id)
    assert (filed.status, filed.tags) == ("closed", ["auto-reply"])


def test_reply_to_a_long_closed_ticket_starts_a_linked_one(
    db: Database, first: ingest.IngestOutcome
) -> None:
    with db.write() as session:
        tickets.set_status(
            session, agents.by_email(session, "lead@example.com"), first.ticket_id, "closed"
        )
    later = datetime.now(UTC) + timedelta(days=45)
    outcome = file_mail(
        db,
        mail(
            "Re: 配送状況の確認",
            "また同じ問題です",
            message_id="<q7@example.jp>",
            in_reply_to="<q1@example.jp>",
        ),
        at=later,
    )
    assert outcome.created_ticket and outcome.ticket_id != first.ticket_id
    assert ticket(db, outcome.ticket_id).follows_up_id == first.ticket_id
    assert "new linked ticket" in outcome.reason
    assert ticket(db, first.ticket_id).status == "closed"


def test_merged_ticket_is_followed(db: Database, first: ingest.IngestOutcome) -> None:
    other = file_mail(db, mail("別件", "もう一つ", message_id="<m1@example.jp>"))
    with db.write() as session:
        tickets.merge(
            session, agents.by_email(session, "lead@example.com"), other.ticket_id, first.ticket_id
        )
    by_header = file_mail(
        db, mail("Re: 別件", "返信", message_id="<m2@example.jp>", in_reply_to="<m1@example.jp>")
    )
    assert by_header.ticket_id == first.ticket_id  # the merge moved <m1> itself
    by_token = file_mail(
        db, mail(f"Re: [#{other.ticket_id}] 別件", "x", message_id="<m3@example.jp>")
    )
    assert by_token.ticket_id == first.ticket_id
    assert by_token.reason == (
        f"subject token [#{other.ticket_id}] (ticket #{other.ticket_id} was merged into "
        f"#{first.ticket_id})"
    )


def test_same_imap_key_is_filed_once(db: Database) -> None:
    make_team(db)
    assert add_mailbox(db) == 1
    raw = mail("一度だけ", "本文", message_id="<once@example.jp>")
    assert file_mail(db, raw, uid=10).ticket_id is not None
    assert file_mail(db, raw, uid=10).reason == "duplicate"
    with db.read() as session:
        assert session.scalar(select(func.count(Message.id)).where(Message.uid == 10)) == 1


def test_quarantine_keeps_bytes_and_retry_files_the_mail(db: Database) -> None:
    make_team(db)
    assert add_mailbox(db) == 1
    raw = mail("保留", "あとで読めるようになるメール", message_id="<later@example.jp>")
    key = ingest.ImapKey(1, "INBOX", 7, 11)
    with db.write() as session:
        ingest.quarantine_mail(session, key, raw, "message is 30 MB; the limit is 25 MB")
    with db.write() as session:
        assert ingest.already_have(session, key)
        entry = quarantine.list_entries(session)[0]
        assert entry.raw == raw and entry.reason.startswith("message is 30 MB")
        outcome = quarantine.retry(session, None, entry.id)
    assert outcome.ticket_id is not None and not outcome.quarantined
    with db.read() as session:
        assert quarantine.list_entries(session) == []
        assert session.scalar(select(func.count(Quarantine.id))) == 1  # kept on record
        assert ingest.already_have(session, key)


def test_message_ids_are_normalised() -> None:
    assert thread_rules.normalise_message_id(" abc@x ") == "<abc@x>"
    assert thread_rules.normalise_message_id("<abc@x>") == "<abc@x>"
    assert thread_rules.normalise_message_id("  ") is None
