"""The IMAP sync engine against a real Dovecot: exactly once, threading, quarantine, UIDVALIDITY,
after-import actions, IDLE and reconnects."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select, update

from crm_desk.core import ingest
from crm_desk.errors import ConfigurationError
from crm_desk.mail import fetch_pool
from crm_desk.mail.imap import ConnectError, ImapSettings, LoginFailedError
from crm_desk.mail.limits import ParseLimits
from crm_desk.mail.parse import parse_message
from crm_desk.mail.sync import (
    Credentials,
    MailboxSync,
    SyncProgress,
    _split_by_bytes,
    reset_folder,
)
from crm_desk.store.db import Database
from crm_desk.store.models import Attachment, Message, Quarantine, SyncState, Ticket
from tests.support.dovecot import (
    MailAccount,
    add_sync_mailbox,
    free_port,
    make_conversations,
    make_mail,
    password_credentials,
    poll_until,
)

SEEN = b"\\Seen"


def make_sync(db: Database, account: MailAccount, mailbox_id: int, **options: Any) -> MailboxSync:
    return MailboxSync(
        db, mailbox_id, password_credentials(account.user, account.password), **options
    )


def count(db: Database, model: type[Message] | type[Ticket] | type[Quarantine]) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def sync_state(db: Database, mailbox_id: int, folder: str = "INBOX") -> SyncState:
    with db.read() as session:
        state = session.scalar(
            select(SyncState).where(SyncState.mailbox_id == mailbox_id, SyncState.folder == folder)
        )
        assert state is not None
        session.expunge(state)  # keep its loaded values after the read session rolls back
        return state


def highest_uid(db: Database, folder: str = "INBOX") -> int:
    with db.read() as session:
        found = session.scalar(select(SyncState.highest_uid).where(SyncState.folder == folder))
        return int(found or 0)


def stored_raw(db: Database, folder: str = "INBOX") -> dict[int, bytes]:
    """Message and quarantine bytes by UID, for one folder."""
    with db.read() as session:
        rows = list(
            session.execute(select(Message.uid, Message.raw).where(Message.folder == folder))
        )
        rows += session.execute(
            select(Quarantine.uid, Quarantine.raw).where(Quarantine.folder == folder)
        )
    return {int(uid): bytes(raw) for uid, raw in rows if uid is not None and raw is not None}


@contextmanager
def running(sync: MailboxSync, **options: float) -> Iterator[threading.Event]:
    """``sync.run()`` in a thread; stopped (promptly, or the test fails) at the end."""
    stop = threading.Event()
    thread = threading.Thread(target=sync.run, args=(stop,), kwargs=options, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive(), "run() did not return within 5 s of stop"


# --- exactly once, threading, parsing --------------------------------------------------------


# "children": child processes fetch and parse the batches (as for a long first sync).
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "children"])
def test_sync_imports_each_message_once_and_threads_replies(
    db: Database, mail_account: MailAccount, parallel: bool
) -> None:
    server, user = mail_account.server, mail_account.user
    raws = make_conversations(60)
    server.append_many(user, "INBOX", raws)
    mailbox_id = add_sync_mailbox(db, server, user)
    progress: list[SyncProgress] = []
    sync = make_sync(
        db, mail_account, mailbox_id, batch_size=25, progress=progress.append, parallel=parallel
    )

    report = sync.sync_once()

    (folder,) = report.folders
    assert (folder.fetched, folder.imported, folder.quarantined, folder.error) == (60, 60, 0, None)
    with db.read() as session:
        rows = session.execute(
            select(Message.message_id_header, Message.in_reply_to, Message.ticket_id)
        ).all()
        subjects = set(session.scalars(select(Ticket.subject)))
        attachments = list(session.scalars(select(Attachment.display_name)))
    ticket_of = {message_id: ticket for message_id, _, ticket in rows}
    replies = [(parent, ticket) for _, parent, ticket in rows if parent]
    assert len(rows) == 60
    assert replies, "the generator makes replies"
    assert all(ticket_of[parent] == ticket for parent, ticket in replies)
    assert count(db, Ticket) == 60 - len(replies)
    assert any("商品が届きません" in s for s in subjects)  # ISO-2022-JP decoded
    assert any("請求書について" in s for s in subjects)  # UTF-8 Japanese
    assert len(attachments) == 12
    assert all("請求書" in name for name in attachments)  # RFC 2231 names decoded
    assert stored_raw(db) == server.fetch_raw(user, "INBOX")  # byte-identical
    assert all(SEEN not in flags for flags in server.flags(user, "INBOX").values())  # PEEK
    assert [p.done for p in progress if p.stage == "fetching"] == [25, 50, 60]
    assert progress[-1] == SyncProgress("support", "INBOX", 60, 60, "done")

    again = sync.sync_once()

    assert (again.folders[0].fetched, again.folders[0].imported) == (0, 0)
    assert (count(db, Message), count(db, Ticket)) == (60, 60 - len(replies))
    assert sync_state(db, mailbox_id).highest_uid == 60


def test_lost_progress_refetches_without_duplicates(
    db: Database, mail_account: MailAccount
) -> None:
    server, user = mail_account.server, mail_account.user
    server.append_many(user, "INBOX", make_conversations(20))
    mailbox_id = add_sync_mailbox(db, server, user)
    sync = make_sync(db, mail_account, mailbox_id, batch_size=8)
    sync.sync_once()
    tickets = count(db, Ticket)
    # As if highest_uid had never been committed: the whole folder comes again.
    with db.write() as session:
        session.execute(update(SyncState).values(highest_uid=0))

    report = sync.sync_once()

    assert (report.folders[0].fetched, report.folders[0].skipped) == (20, 20)
    assert report.folders[0].imported == 0
    assert (count(db, Message), count(db, Ticket)) == (20, tickets)


def test_unparsable_message_is_quarantined_and_the_batch_goes_on(
    db: Database, mail_account: MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, user = mail_account.server, mail_account.user
    small = [make_mail(i, kind="plain")[0] for i in range(4)]
    big = make_mail(99, kind="attachment")[0] + b"x" * 4000 + b"\r\n"
    exploding = make_mail(7, kind="plain", subject="explode")[0]
    server.append_many(user, "INBOX", [small[0], big, small[1], exploding, small[2], small[3]])
    mailbox_id = add_sync_mailbox(db, server, user)

    def parse(raw: bytes, limits: ParseLimits) -> object:
        if b"Subject: explode" in raw:
            raise RuntimeError("parser bug")  # not a ParseFailure: must not stop the batch
        return parse_message(raw, limits)

    monkeypatch.setattr("crm_desk.mail.fetch_pool.parse_message", parse)
    sync = make_sync(db, mail_account, mailbox_id, parse_limits=ParseLimits(max_bytes=3000))

    report = sync.sync_once()

    folder = report.folders[0]
    assert (folder.imported, folder.quarantined, folder.error) == (4, 2, None)
    with db.read() as session:
        quarantined = {q.uid: q for q in session.scalars(select(Quarantine))}
        session.expunge_all()
    assert set(quarantined) == {2, 4}
    assert quarantined[2].raw == big
    assert quarantined[2].raw_sha256 == hashlib.sha256(big).hexdigest()
    assert "limit is" in quarantined[2].reason
    assert "parser bug" in quarantined[4].reason
    assert quarantined[4].raw == exploding
    assert sync.sync_once().folders[0].fetched == 0  # quarantined counts as imported


def test_failing_children_leave_the_batches_to_the_sync_process(
    db: Database, mail_account: MailAccount, caplog: pytest.LogCaptureFixture
) -> None:
    server, user = mail_account.server, mail_account.user
    raws = make_conversations(30)
    server.append_many(user, "INBOX", raws)
    mailbox_id = add_sync_mailbox(db, server, user)
    logins: list[str] = []

    def credentials() -> Credentials:
        # The sync's own connection logs in; the children get a password the server refuses.
        logins.append("login")
        password = mail_account.password if len(logins) == 1 else "wrong"
        return Credentials(user, password, "password")

    sync = MailboxSync(db, mailbox_id, credentials, batch_size=7, parallel=True)

    report = sync.sync_once()

    assert (report.folders[0].imported, report.folders[0].error) == (30, None)
    assert "fetching in this process instead" in caplog.text
    assert stored_raw(db) == server.fetch_raw(user, "INBOX")
    assert count(db, Message) == 30


def test_children_that_cannot_start_leave_the_batches_to_the_sync_process(
    db: Database,
    mail_account: MailAccount,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, user = mail_account.server, mail_account.user
    raws = make_conversations(40)
    server.append_many(user, "INBOX", raws)
    mailbox_id = add_sync_mailbox(db, server, user)
    # A child that dies before it reads anything (an interpreter that cannot import us).
    monkeypatch.setattr(fetch_pool, "CHILD_COMMAND", "import sys; sys.exit(3)")
    sync = make_sync(db, mail_account, mailbox_id, batch_size=5, parallel=True)

    report = sync.sync_once()

    assert (report.folders[0].imported, report.folders[0].error) == (40, None)
    assert "fetching in this process instead" in caplog.text
    assert stored_raw(db) == server.fetch_raw(user, "INBOX")


def test_batches_are_cut_by_size() -> None:
    sizes = {1: 10, 2: 10, 3: 50, 4: 5, 5: 5}
    assert list(_split_by_bytes([1, 2, 3, 4, 5], sizes, 25)) == [[1, 2], [3], [4, 5]]


def test_big_messages_get_batches_of_their_own(db: Database, mail_account: MailAccount) -> None:
    server, user = mail_account.server, mail_account.user
    small = [make_mail(i, kind="plain")[0] for i in range(6)]
    assert all(len(raw) < 1000 for raw in small)
    big = make_mail(90, kind="plain")[0] + b"x" * 3000 + b"\r\n"
    # UIDs 1-2 small, 3 big, 4-6 small, 7 big, 8 small.
    server.append_many(user, "INBOX", [*small[:2], big, *small[2:5], big, small[5]])
    mailbox_id = add_sync_mailbox(db, server, user)
    progress: list[SyncProgress] = []
    # Messages under 4,000 / 4 bytes need no exact size: four of them fit a batch anyway. The
    # server names the bigger ones (SEARCH LARGER), and only their sizes are fetched.
    sync = make_sync(
        db, mail_account, mailbox_id, batch_size=4, max_batch_bytes=4000,
        progress=progress.append, parallel=False,
    )  # fmt: skip

    report = sync.sync_once()

    assert report.folders[0].imported == 8
    done = [p.done for p in progress if p.stage == "fetching"]
    # Runs of four UIDs, each cut where small ones (counted as 1,000) and big ones (exact)
    # pass 4,000 bytes: [1, 2 | 3 | 4], then [5, 6 | 7 | 8].
    assert done == [2, 3, 4, 6, 7, 8]


# --- UIDVALIDITY -----------------------------------------------------------------------------


def test_uidvalidity_change_is_reported_and_reset_refetches_only_new_content(
    db: Database, mail_account: MailAccount
) -> None:
    server, user = mail_account.server, mail_account.user
    server.create_folder(user, "Support")
    first = make_conversations(5)
    server.append_many(user, "Support", first)
    mailbox_id = add_sync_mailbox(
        db, server, user, folders=["Support", "INBOX"], after_import="seen"
    )
    sync = make_sync(db, mail_account, mailbox_id)
    assert sync.sync_once().folders[0].imported == 5
    old_validity = server.uidvalidity(user, "Support")
    # The folder is recreated on the server (a migration, a restore …) with old and new mail.
    server.delete_folder(user, "Support")
    server.create_folder(user, "Support")
    new = [make_mail(100 + i, kind="plain")[0] for i in range(2)]
    server.append_many(user, "Support", first + new)
    server.append(user, "INBOX", make_mail(200, kind="html")[0])
    new_validity = server.uidvalidity(user, "Support")
    assert new_validity != old_validity

    report = sync.sync_once()

    support, inbox = report.folders
    expected = (
        f"UIDVALIDITY of Support changed from {old_validity} to {new_validity} (the folder was "
        f"recreated on the server); nothing was imported from it. Run `crm-desk mailbox "
        f"reset-folder support Support` after checking the server"
    )
    assert support.error == expected
    assert (support.fetched, support.imported) == (0, 0)
    assert sync_state(db, mailbox_id, "Support").last_error == expected
    assert (inbox.imported, inbox.error) == (1, None)  # the other folders go on
    assert count(db, Message) == 6
    assert all(SEEN not in f for f in server.flags(user, "Support").values())  # untouched

    reset_folder(db, mailbox_id, "Support")
    report = sync.sync_once()

    support = report.folders[0]
    assert (support.fetched, support.imported, support.skipped, support.error) == (7, 2, 5, None)
    assert count(db, Message) == 8
    state = sync_state(db, mailbox_id, "Support")
    assert (state.uidvalidity, state.highest_uid) == (new_validity, 7)
    assert (state.dedupe_by_hash, state.last_error) == (False, None)
    flags = server.flags(user, "Support")
    # Only the UIDs imported under the new UIDVALIDITY are marked; the known ones are left.
    assert [uid for uid, f in sorted(flags.items()) if SEEN in f] == [6, 7]
    assert sync.sync_once().folders[0].fetched == 0


# --- after-import actions --------------------------------------------------------------------


def test_seen_is_set_only_after_commit(
    db: Database, mail_account: MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, user = mail_account.server, mail_account.user
    server.append_many(user, "INBOX", make_conversations(12, reply_every=100))
    mailbox_id = add_sync_mailbox(db, server, user, after_import="seen")
    calls = 0

    def failing_ingest(*args: Any, **kwargs: Any) -> list[ingest.IngestOutcome]:
        nonlocal calls
        calls += 1
        if calls == 2:  # the second batch: that transaction rolls back
            raise RuntimeError("disk full")
        return ingest.ingest_batch(*args, **kwargs)

    monkeypatch.setattr("crm_desk.mail.sync.ingest_batch", failing_ingest)
    sync = make_sync(db, mail_account, mailbox_id, batch_size=5)

    with pytest.raises(RuntimeError, match="disk full"):
        sync.sync_once()

    assert count(db, Message) == 5
    flags = server.flags(user, "INBOX")
    assert [uid for uid, f in sorted(flags.items()) if SEEN in f] == [1, 2, 3, 4, 5]

    monkeypatch.setattr("crm_desk.mail.sync.ingest_batch", ingest.ingest_batch)
    assert sync.sync_once().folders[0].imported == 7
    assert count(db, Message) == 12
    assert all(SEEN in f for f in server.flags(user, "INBOX").values())


def test_interrupted_after_import_is_repaired_only_for_imported_uids(
    db: Database, mail_account: MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, user = mail_account.server, mail_account.user
    server.append_many(user, "INBOX", make_conversations(6, reply_every=100))
    mailbox_id = add_sync_mailbox(db, server, user, after_import="seen")

    def crash(*args: Any) -> None:
        raise ConnectError("crashed between commit and \\Seen")

    sync = make_sync(db, mail_account, mailbox_id)
    monkeypatch.setattr(MailboxSync, "_after_import", crash)
    with pytest.raises(ConnectError):
        sync.sync_once()
    monkeypatch.undo()
    assert count(db, Message) == 6
    assert all(SEEN not in f for f in server.flags(user, "INBOX").values())
    # A message at a UID below highest_uid that we never imported must not be touched.
    server.append(user, "INBOX", make_mail(50, kind="plain")[0])
    with db.write() as session:
        session.execute(update(SyncState).values(highest_uid=7))

    sync.sync_once()

    flags = server.flags(user, "INBOX")
    assert [uid for uid, f in sorted(flags.items()) if SEEN in f] == [1, 2, 3, 4, 5, 6]
    assert count(db, Message) == 6


def test_move_to_archive_after_commit(
    db: Database, mail_account: MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, user = mail_account.server, mail_account.user
    raws = make_conversations(6, reply_every=100)
    server.append_many(user, "INBOX", raws)
    mailbox_id = add_sync_mailbox(db, server, user, after_import="move:Archive")
    sync = make_sync(db, mail_account, mailbox_id, batch_size=2)
    real_move = MailboxSync._move
    moves = 0

    def crash_on_second_move(client: Any, uids: list[int], target: str) -> None:
        nonlocal moves
        moves += 1
        if moves == 2:
            raise ConnectError("crashed between commit and MOVE")
        real_move(client, uids, target)

    monkeypatch.setattr(MailboxSync, "_move", staticmethod(crash_on_second_move))
    with pytest.raises(ConnectError):
        sync.sync_once()
    monkeypatch.undo()
    # Batch 1 moved (Archive created on TRYCREATE); batch 2 committed but not moved; 3 not read.
    assert count(db, Message) == 4
    assert sorted(server.fetch_raw(user, "INBOX")) == [3, 4, 5, 6]
    assert sorted(server.fetch_raw(user, "Archive").values()) == sorted(raws[:2])

    report = sync.sync_once()

    assert (report.folders[0].imported, report.folders[0].skipped) == (2, 0)
    assert server.fetch_raw(user, "INBOX") == {}
    assert sorted(server.fetch_raw(user, "Archive").values()) == sorted(raws)
    assert count(db, Message) == 6


def test_move_target_that_is_also_synced_is_refused(
    db: Database, mail_account: MailAccount
) -> None:
    mailbox_id = add_sync_mailbox(
        db,
        mail_account.server,
        mail_account.user,
        folders=["INBOX", "Archive"],
        after_import="move:Archive",
    )
    with pytest.raises(ConfigurationError, match="imported twice"):
        make_sync(db, mail_account, mailbox_id).sync_once()


# --- connections, IDLE, reconnects -----------------------------------------------------------


def test_connection_errors_are_one_line(db: Database, mail_account: MailAccount) -> None:
    server, user = mail_account.server, mail_account.user
    mailbox_id = add_sync_mailbox(db, server, user)
    wrong = MailboxSync(db, mailbox_id, lambda: Credentials(user, "wrong", "password"))
    with pytest.raises(LoginFailedError) as login:
        wrong.sync_once()
    assert str(login.value) == (
        f"login failed for {user}: [AUTHENTICATIONFAILED] Authentication failed."
    )
    closed_port = free_port()
    elsewhere = add_sync_mailbox(db, server, user, name="closed", port=closed_port)
    with pytest.raises(ConnectError) as refused:
        make_sync(db, mail_account, elsewhere).sync_once()
    assert str(refused.value) == f"cannot reach 127.0.0.1:{closed_port}: Connection refused"
    with pytest.raises(ConfigurationError, match="only allowed to this machine"):
        ImapSettings("imap.example.com", 143, "none", user).check_policy()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_idle_delivers_new_mail_within_two_seconds(db: Database, mail_account: MailAccount) -> None:
    server, user = mail_account.server, mail_account.user
    mailbox_id = add_sync_mailbox(db, server, user)
    sync = make_sync(db, mail_account, mailbox_id)
    with running(sync, idle_timeout=60, poll_interval=60):
        poll_until(lambda: sync.last_report, 10, "the first pass")
        for expected in (1, 2):  # twice: the watcher goes back to IDLE after a wake-up
            server.append(user, "INBOX", make_mail(expected, kind="iso2022jp")[0])

            def arrived(n: int = expected) -> bool:
                return count(db, Ticket) == n

            poll_until(arrived, 2.0, "the ticket (IDLE)")
        stopped_at = time.monotonic()
    assert time.monotonic() - stopped_at < 3  # run() checks the stop flag every second


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("interruption", ["kick", "restart"])
def test_run_resumes_after_a_dropped_connection(
    db: Database, mail_account: MailAccount, interruption: str, caplog: pytest.LogCaptureFixture
) -> None:
    server, user = mail_account.server, mail_account.user
    raws = make_conversations(300)
    server.append_many(user, "INBOX", raws)
    mailbox_id = add_sync_mailbox(db, server, user)
    sync = make_sync(db, mail_account, mailbox_id, batch_size=10)
    caplog.set_level(logging.WARNING, logger="crm_desk.mail.sync")
    with running(sync, idle_timeout=60, poll_interval=60):
        poll_until(lambda: highest_uid(db) >= 20, 20, "some progress")
        if interruption == "kick":
            server.kick(user)
        else:
            server.restart()
        poll_until(lambda: count(db, Message) >= 300, 60, "all 300 messages")
    assert count(db, Message) == 300
    assert stored_raw(db) == server.fetch_raw(user, "INBOX")
    assert any("retrying in" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_run_polls_when_the_server_has_no_idle(
    db: Database, mail_account: MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, user = mail_account.server, mail_account.user
    mailbox_id = add_sync_mailbox(db, server, user)
    real = IMAPClient.has_capability
    monkeypatch.setattr(
        IMAPClient, "has_capability", lambda self, name: name != "IDLE" and real(self, name)
    )
    sync = make_sync(db, mail_account, mailbox_id)
    with running(sync, idle_timeout=60, poll_interval=0.3):
        poll_until(lambda: sync.last_report, 10, "the first pass")
        server.append(user, "INBOX", make_mail(1, kind="html")[0])
        poll_until(lambda: count(db, Ticket) == 1, 3.0, "the ticket (polling)")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_run_backs_off_while_the_server_is_down_and_stops_promptly(
    db: Database, mail_account: MailAccount, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox_id = add_sync_mailbox(db, mail_account.server, mail_account.user, port=free_port())
    sync = make_sync(db, mail_account, mailbox_id)
    caplog.set_level(logging.WARNING, logger="crm_desk.mail.sync")

    def retried() -> list[str]:
        return [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]

    with running(sync):
        (first, *_) = poll_until(retried, 5, "a failed connection attempt")
    assert "cannot reach 127.0.0.1:" in first
    assert "Connection refused; retrying in" in first
