"""The status bar's mail sync widget: progress during a sync, start / stop, and errors shown as
plain text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from crm_desk.core import mailboxes
from crm_desk.mail import sync
from crm_desk.mail.sync import SyncProgress
from crm_desk.store.db import Database
from crm_desk.ui.sync_runner import ERROR, IDLE, STOPPED
from crm_desk.ui.views.sync_status import SyncStatusWidget
from tests.support.dovecot import (
    MailAccount,
    add_sync_mailbox,
    dovecot_server,
    mail_account,
    make_mail,
)
from tests.ui.sync_support import (
    LOCKED_MESSAGE,
    MakeRunner,
    make_runner,
    store_password,
    sync_keyring,
    use_keyring,
)

__all__ = ["dovecot_server", "mail_account", "make_runner", "sync_keyring"]  # fixtures


def make_widget(qtbot: QtBot, make_runner: MakeRunner, **options: int) -> SyncStatusWidget:
    widget = SyncStatusWidget(make_runner(**options))
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_progress_bar_shows_during_a_sync_and_hides_after(
    qtbot: QtBot, ui_db: Database, mail_account: MailAccount, make_runner: MakeRunner
) -> None:
    server, user = mail_account.server, mail_account.user
    server.append_many(user, "INBOX", [make_mail(i)[0] for i in range(30)])
    add_sync_mailbox(ui_db, server, user)
    store_password("support", mail_account.password)
    widget = make_widget(qtbot, make_runner, batch_size=10)
    runner = widget.runner
    assert widget.label.text() == "Mail: stopped" and widget.progress_bar.isHidden()
    seen: list[tuple[str, bool, int, int, int]] = []

    def look(*_: object) -> None:  # connected after the widget: it has refreshed already
        bar = widget.progress_bar
        seen.append(
            (widget.label.text(), bar.isVisible(), bar.minimum(), bar.maximum(), bar.value())
        )

    runner.progress.connect(look)

    runner.start()
    qtbot.waitUntil(lambda: runner.state == IDLE, timeout=20_000)

    assert seen[0][:4] == ("Mail: syncing support INBOX", True, 0, 0)  # busy: total unknown
    assert ("Mail: syncing support INBOX 10 / 30", True, 0, 30, 10) in seen
    assert ("Mail: syncing support INBOX 20 / 30", True, 0, 30, 20) in seen
    assert widget.label.text() == "Mail: idle"
    assert not widget.progress_bar.isVisible()
    assert widget.toggle_button.defaultAction() is widget.stop_action
    assert widget.stop_action.isEnabled() and not widget.start_action.isEnabled()
    assert not widget.error_link.isVisible()

    widget.toggle_button.click()  # stop

    assert widget.label.text() == "Mail: stopping…"
    assert not widget.start_action.isEnabled() and not widget.stop_action.isEnabled()
    qtbot.waitUntil(lambda: runner.state == STOPPED, timeout=10_000)
    assert widget.label.text() == "Mail: stopped"
    assert widget.toggle_button.defaultAction() is widget.start_action
    assert widget.start_action.isEnabled()


def test_counts_are_grouped_for_the_locale(qtbot: QtBot, make_runner: MakeRunner) -> None:
    widget = make_widget(qtbot, make_runner)
    progress = SyncProgress("support", "INBOX", 1200, 10000, "fetching")
    assert widget.describe("syncing", progress) == "Mail: syncing support INBOX 1,200 / 10,000"


def add_unreachable_mailbox(db: Database, name: str) -> None:
    """A mailbox whose password cannot be read: no connection is ever tried."""
    with db.write() as session:
        mailboxes.add_mailbox(
            session, None, name=name, address=f"{name}@example.com", imap_host="127.0.0.1",
            imap_port=1, imap_tls="none", username=f"{name}@example.com",
        )  # fmt: skip


def test_the_error_link_shows_outside_words_as_plain_text(
    qtbot: QtBot, ui_db: Database, make_runner: MakeRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No retry of its own during the test: a new attempt can only come from "Retry now".
    monkeypatch.setattr(sync._Backoff, "next", lambda self: 600.0)
    use_keyring("tests.ui.sync_support.LockedKeyring")
    add_unreachable_mailbox(ui_db, "sales")
    add_unreachable_mailbox(ui_db, "support")
    widget = make_widget(qtbot, make_runner)
    runner = widget.runner
    expected = f"cannot read from the keyring: {LOCKED_MESSAGE}"

    runner.start()
    qtbot.waitUntil(lambda: len(runner.last_errors()) == 2, timeout=10_000)

    assert runner.state == ERROR
    assert widget.label.text() == "Mail: sync failed"
    assert widget.error_link.isVisible()
    errors = runner.last_errors()
    assert {e.message for e in errors.values()} == {expected}

    widget.error_link.click()

    box = widget.error_box
    assert box is not None and box.isVisible()
    assert box.textFormat() == Qt.TextFormat.PlainText
    latest = max(errors.values(), key=lambda e: e.at)
    assert box.text() == f"Mail sync of {latest.mailbox} failed: {expected}"
    details = box.detailedText().splitlines()
    assert len(details) == 2
    assert all(line.endswith(expected) for line in details)
    assert any("Mail sync of sales failed" in line for line in details)
    assert any("Mail sync of support failed" in line for line in details)

    (retry,) = [b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole]
    before = runner.last_errors()["support"].at
    with qtbot.waitSignal(runner.errors_changed, timeout=5000):
        retry.click()
    qtbot.waitUntil(lambda: runner.last_errors()["support"].at > before, timeout=5000)
    assert not box.isVisible()
