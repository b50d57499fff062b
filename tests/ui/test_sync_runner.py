"""The desktop's background mail sync against a real Dovecot: tickets arrive, new mail comes in
through IDLE, stopping never blocks the GUI, and errors become states, not tracebacks."""

from __future__ import annotations

import threading
import time

import pytest
from imapclient import IMAPClient
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from crm_desk.secrets import NO_KEYRING_HELP
from crm_desk.store.db import Database
from crm_desk.ui.sync_runner import ERROR, IDLE, STOPPED, SyncRunner
from crm_desk.ui.views.sync_status import SyncStatusWidget
from tests.support.dovecot import (
    MailAccount,
    add_sync_mailbox,
    dovecot_server,
    mail_account,
    make_mail,
)
from tests.ui.sync_support import (
    MakeRunner,
    make_runner,
    store_password,
    sync_keyring,
    ticket_count,
    use_keyring,
)

__all__ = ["dovecot_server", "mail_account", "make_runner", "sync_keyring"]  # fixtures

IDLE_MS = 2000  # the promise: new mail becomes a ticket within 2 s
FIRST_SYNC_MS = 20_000


def sync_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sync-")]


def add_mailbox(db: Database, account: MailAccount, name: str = "support") -> None:
    add_sync_mailbox(db, account.server, account.user, name=name)
    store_password(name, account.password)


def start_and_wait_idle(qtbot: QtBot, runner: SyncRunner) -> None:
    runner.start()
    qtbot.waitUntil(lambda: runner.state == IDLE, timeout=FIRST_SYNC_MS)


def test_mail_becomes_tickets_in_the_background_and_new_mail_arrives_through_idle(
    qtbot: QtBot, ui_db: Database, mail_account: MailAccount, make_runner: MakeRunner
) -> None:
    server, user = mail_account.server, mail_account.user
    server.append_many(user, "INBOX", [make_mail(i)[0] for i in range(12)])
    add_mailbox(ui_db, mail_account)
    runner = make_runner(batch_size=5)
    states: list[str] = []
    progress: list[tuple[str, str, int, int, str]] = []
    runner.state_changed.connect(states.append)
    runner.progress.connect(lambda *args: progress.append(args))

    start_and_wait_idle(qtbot, runner)

    assert ticket_count(ui_db) == 12
    assert states == ["starting", "syncing", "idle"]
    assert ("support", "INBOX", 0, 0, "checking") in progress
    assert [p[2] for p in progress if p[4] == "fetching"] == [5, 10, 12]
    assert progress[-1] == ("support", "INBOX", 12, 12, "done")
    assert runner.running and runner.mailbox_states() == {"support": IDLE}
    assert runner.last_errors() == {}

    server.append(user, "INBOX", make_mail(100, kind="iso2022jp")[0])
    qtbot.waitUntil(lambda: ticket_count(ui_db) == 13, timeout=IDLE_MS)
    qtbot.waitUntil(lambda: runner.state == IDLE, timeout=IDLE_MS)
    assert states[-2:] == ["syncing", "idle"]


def test_stop_returns_at_once_and_the_event_loop_keeps_running(
    qtbot: QtBot, ui_db: Database, mail_account: MailAccount, make_runner: MakeRunner
) -> None:
    add_mailbox(ui_db, mail_account)
    runner = make_runner()
    start_and_wait_idle(qtbot, runner)  # waiting in IDLE, which looks at the stop flag each 1 s
    assert [t.name for t in sync_threads()] == ["sync-support"]
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()

    with qtbot.waitSignal(runner.stopped, timeout=10_000):
        called = time.monotonic()
        runner.stop()
        returned = time.monotonic()
        assert runner.state == "stopping" and not runner.running
    timer.stop()

    assert returned - called < 0.1, "stop() waited for the worker"
    assert ticks and ticks[0] >= returned, "the GUI ticked while the worker stopped"
    assert runner.state == STOPPED and not runner.busy
    assert sync_threads() == []


def test_stop_while_the_mailboxes_load_starts_nothing(
    qtbot: QtBot, ui_db: Database, mail_account: MailAccount, make_runner: MakeRunner
) -> None:
    add_mailbox(ui_db, mail_account)
    runner = make_runner()
    with qtbot.waitSignal(runner.stopped):
        runner.start()
        runner.stop()
    assert runner.state == STOPPED and sync_threads() == []


def test_restart_while_the_mailboxes_load_ends_with_one_running_worker(
    qtbot: QtBot, ui_db: Database, mail_account: MailAccount, make_runner: MakeRunner
) -> None:
    add_mailbox(ui_db, mail_account)
    runner = make_runner()
    with qtbot.waitSignal(runner.stopped):
        runner.start()
        runner.restart()
    qtbot.waitUntil(lambda: runner.state == IDLE, timeout=FIRST_SYNC_MS)
    assert [t.name for t in sync_threads()] == ["sync-support"]


def test_no_mailboxes_means_stopped(qtbot: QtBot, ui_db: Database, make_runner: MakeRunner) -> None:
    runner = make_runner()
    widget = SyncStatusWidget(runner)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(runner.stopped):
        runner.start()
    assert runner.state == STOPPED and not runner.running and runner.mailbox_count == 0
    assert widget.label.text() == "Mail: no mailboxes"


def test_a_wrong_password_is_an_error_state_with_one_line(
    qtbot: QtBot, ui_db: Database, mail_account: MailAccount, make_runner: MakeRunner
) -> None:
    add_sync_mailbox(ui_db, mail_account.server, mail_account.user)
    store_password("support", "not the password")
    runner = make_runner()
    widget = SyncStatusWidget(runner)
    qtbot.addWidget(widget)
    widget.show()

    with qtbot.waitSignal(runner.error, timeout=10_000) as error:
        runner.start()

    expected = (
        f"login failed for {mail_account.user}: [AUTHENTICATIONFAILED] Authentication failed."
    )
    assert error.args == ["support", expected]
    qtbot.waitUntil(lambda: runner.state == ERROR)
    assert runner.last_errors()["support"].message == expected
    assert runner.running  # it keeps retrying, backing off
    assert widget.error_link.isVisible()
    assert widget.label.text() == "Mail: sync failed"


@pytest.mark.parametrize("keyring_state", ["no secret", "no backend"])
def test_keyring_problems_are_errors_not_tracebacks(
    qtbot: QtBot,
    ui_db: Database,
    mail_account: MailAccount,
    make_runner: MakeRunner,
    keyring_state: str,
) -> None:
    add_sync_mailbox(ui_db, mail_account.server, mail_account.user)
    if keyring_state == "no backend":
        use_keyring("keyring.backends.fail.Keyring")
    runner = make_runner()

    with qtbot.waitSignal(runner.error, timeout=10_000) as error:
        runner.start()

    message = (
        "no password is stored in the keyring for mailbox:support"
        if keyring_state == "no secret"
        else NO_KEYRING_HELP
    )
    assert error.args == ["support", message]
    assert "\n" not in message
    qtbot.waitUntil(lambda: runner.state == ERROR)


def test_sync_now_wakes_a_mailbox_that_polls(
    qtbot: QtBot,
    ui_db: Database,
    mail_account: MailAccount,
    make_runner: MakeRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = IMAPClient.has_capability
    monkeypatch.setattr(
        IMAPClient, "has_capability", lambda self, name: name != "IDLE" and real(self, name)
    )
    add_mailbox(ui_db, mail_account)
    runner = make_runner(poll_interval=600)  # left alone, it would not look again for 10 min
    start_and_wait_idle(qtbot, runner)
    mail_account.server.append(mail_account.user, "INBOX", make_mail(1)[0])

    runner.sync_now()

    qtbot.waitUntil(lambda: ticket_count(ui_db) == 1, timeout=5000)
    qtbot.waitUntil(lambda: runner.state == IDLE)
    assert [t.name for t in sync_threads()] == ["sync-support"]  # the same worker went on


def test_restart_picks_up_a_mailbox_added_meanwhile(
    qtbot: QtBot, ui_db: Database, mail_account: MailAccount, make_runner: MakeRunner
) -> None:
    add_mailbox(ui_db, mail_account)
    runner = make_runner()
    start_and_wait_idle(qtbot, runner)
    server = mail_account.server
    other_user, other_password = server.take_user()
    server.append(other_user, "INBOX", make_mail(7)[0])
    add_mailbox(ui_db, MailAccount(server, other_user, other_password), name="sales")
    stopped: list[bool] = []
    runner.stopped.connect(lambda: stopped.append(True))

    runner.restart()

    qtbot.waitUntil(
        lambda: runner.mailbox_states() == {"sales": IDLE, "support": IDLE}, timeout=FIRST_SYNC_MS
    )
    assert stopped == [True]
    assert ticket_count(ui_db) == 1
    assert sorted(t.name for t in sync_threads()) == ["sync-sales", "sync-support"]
