"""QuarantineView: a quarantined mail shows with its reason and raw bytes; retry files it once
the cause is fixed; the raw bytes save exactly; the model passes qtmodeltester."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from crm_desk.core import ingest, mailboxes
from crm_desk.mail.parse import ParsedMessage, ParseFailure
from crm_desk.store.db import Database
from crm_desk.store.models import Quarantine, Ticket
from crm_desk.ui import tasks
from crm_desk.ui.models.quarantine_model import (
    RAW_PREVIEW_BYTES,
    Column,
    QuarantineEntry,
    QuarantineModel,
    sender_and_subject,
)
from crm_desk.ui.views.quarantine_view import QuarantineView
from tests.support.factories import Team, make_team

REASON = "message is 30 MB; the limit is 25 MB"


def mail(subject: str, body: str, *, sender: str = "山田 太郎 <taro@example.jp>") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    message["Message-ID"] = "<later@example.jp>"
    message.set_content(body)
    return message.as_bytes()


def quarantine(db: Database, raw: bytes, reason: str = REASON, uid: int = 11) -> int:
    with db.write() as session:
        if session.scalar(select(func.count()).select_from(Quarantine)) == 0:
            mailboxes.add_mailbox(
                session,
                None,
                name="support",
                address="support@example.com",
                imap_host="127.0.0.1",
                imap_port=143,
                imap_tls="none",
                username="support",
            )
        ingest.quarantine_mail(session, ingest.ImapKey(1, "INBOX", 7, uid), raw, reason)
        return int(session.scalar(select(func.max(Quarantine.id))) or 0)


@pytest.fixture
def team(ui_db: Database) -> Team:
    return make_team(ui_db)


@pytest.fixture
def view(ui_db: Database, team: Team, qtbot: QtBot) -> Iterator[QuarantineView]:
    widget = QuarantineView(ui_db)
    qtbot.addWidget(widget)
    widget.set_actor(team.lead_id)
    widget.resize(900, 600)
    yield widget
    qtbot.waitUntil(tasks.is_idle)


def show(qtbot: QtBot, view: QuarantineView) -> None:
    with qtbot.waitSignal(view.loaded):
        view.show()
    if view.model.rowCount():
        qtbot.waitUntil(lambda: bool(view.raw_view.toPlainText()))


def test_a_quarantined_mail_shows_with_reason_and_raw_text(
    ui_db: Database, view: QuarantineView, qtbot: QtBot
) -> None:
    raw = mail("保留: <b>太字</b>", "あとで読めるようになるメール")
    quarantine(ui_db, raw)
    show(qtbot, view)
    assert view.model.rowCount() == 1
    row = [str(view.model.index(0, column).data()) for column in Column]
    assert row[Column.MAILBOX] == "support / INBOX"
    assert row[Column.FROM] == "山田 太郎 <taro@example.jp>"
    assert row[Column.SUBJECT] == "保留: <b>太字</b>"  # shown literally, never as markup
    assert row[Column.REASON] == REASON
    assert view.count_label.text() == "1 message could not be read"
    assert view.reason_label.text() == f"Reason: {REASON}"
    assert view.reason_label.textFormat() == Qt.TextFormat.PlainText
    assert "Message-ID: <later@example.jp>" in view.raw_view.toPlainText()
    assert view.raw_view.toPlainText() == raw.decode("utf-8")  # as kept, headers encoded
    assert view.retry_button.isEnabled() and view.save_button.isEnabled()


def test_retry_fails_while_the_cause_remains_then_files_the_mail(
    ui_db: Database, view: QuarantineView, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry_id = quarantine(ui_db, mail("保留", "あとで読めるようになるメール"))
    show(qtbot, view)

    def still_broken(raw: bytes) -> ParsedMessage:
        raise ParseFailure("cannot be parsed (HeaderParseError: still broken)")

    monkeypatch.setattr("crm_desk.mail.parse.parse_message", still_broken)  # read at retry
    with qtbot.waitSignal(view.changed):
        view.retry_button.click()
    assert view.result_label.text() == (
        "Still cannot be read: cannot be parsed (HeaderParseError: still broken)"
    )
    assert not view.open_ticket_button.isVisible()
    qtbot.waitUntil(lambda: "still broken" in view.reason_label.text())  # the new reason
    assert view.model.rowCount() == 1

    monkeypatch.undo()  # the fix is in
    with qtbot.waitSignal(view.ticket_created) as created, qtbot.waitSignal(view.loaded):
        view.retry_button.click()
    ticket_id = created.args[0]
    with ui_db.read() as session:
        ticket = session.get_one(Ticket, ticket_id)
        assert ticket.subject == "保留"
        entry = session.get_one(Quarantine, entry_id)
        assert entry.resolved_at is not None  # kept on record, no longer listed
    assert view.result_label.text().startswith(f"Filed into ticket #{ticket_id} (")
    assert view.model.rowCount() == 0
    assert view.count_label.text() == "No quarantined mail"
    assert view.open_ticket_button.isVisible()
    assert view.open_ticket_button.text() == f"Open #{ticket_id}"
    with qtbot.waitSignal(view.ticket_activated) as opened:
        view.open_ticket_button.click()
    assert opened.args == [ticket_id]

    with qtbot.waitSignal(view.loaded):
        view.show_retried.setChecked(True)  # the retried entry stays on record
    assert view.model.rowCount() == 1
    assert view.model.index(0, 0).data(Qt.ItemDataRole.FontRole).italic()


def test_save_raw_writes_the_bytes_exactly(
    ui_db: Database, view: QuarantineView, qtbot: QtBot, tmp_path: Path
) -> None:
    raw = b"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <x@example.jp>\r\n\r\n\x1b$B$3$s\x1b(B\x00\xff"
    quarantine(ui_db, raw)
    show(qtbot, view)
    suggested: list[Path] = []
    target = tmp_path / "kept.eml"

    def choose(path: Path) -> Path:
        suggested.append(path)
        return target

    view.choose_save_path = choose  # type: ignore[method-assign,assignment]
    view.save_button.click()
    qtbot.waitUntil(lambda: view.result_label.text().startswith("Saved "))
    assert target.read_bytes() == raw
    assert suggested[0].name == "quarantine-1.eml"
    assert view.model.index(0, Column.FROM).data() == "山田 <x@example.jp>"
    assert "\ufffd" in view.raw_view.toPlainText()  # NUL and 0xFF shown, not choking the view


def test_a_large_message_is_previewed_not_loaded_whole(
    ui_db: Database, view: QuarantineView, qtbot: QtBot
) -> None:
    raw = mail("大きい", "x" * 80 + "\n") + b"y" * (RAW_PREVIEW_BYTES * 2)
    quarantine(ui_db, raw)
    show(qtbot, view)
    assert len(view.raw_view.toPlainText()) == RAW_PREVIEW_BYTES
    assert "the first 256 KiB are shown" in view.facts_label.text()


def test_unreadable_headers_show_as_empty() -> None:
    assert sender_and_subject(b"") == ("", "")
    assert sender_and_subject(b"\xff\xfe garbage without headers") == ("", "")
    assert sender_and_subject(b"Subject: =?utf-8?B?5L+d55WZ?=\n\nbody") == ("", "保留")


def entry(entry_id: int, subject: str) -> QuarantineEntry:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    return QuarantineEntry(entry_id, at, "support", "INBOX", 1, "", subject, "r", 10, None)


def test_qtmodeltester(qtmodeltester: ModelTester) -> None:
    model = QuarantineModel()
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    model.set_entries([entry(2, "b"), entry(1, "a")])
    model.set_entries([entry(2, "b2"), entry(1, "a")])
    model.set_entries([entry(1, "a")])
    qtmodeltester.check(model, force_py=True)  # type: ignore[no-untyped-call]
