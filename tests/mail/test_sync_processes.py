"""The sync engine as separate processes: killed with SIGKILL mid-batch, and two at once.

Whatever happens to a sync process, every message on the server ends up in the database exactly
once and byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm_desk.store.db import Database
from crm_desk.store.models import Message, Quarantine, SyncState, Ticket
from tests.support.dovecot import MailAccount, add_sync_mailbox, make_conversations, poll_until

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 300


def start_worker(
    db: Database, account: MailAccount, mailbox_id: int, batch_size: int, fetch: str = "auto"
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "tests.mail.sync_worker",
            "--db", db.url.render_as_string(hide_password=False),
            "--mailbox-id", str(mailbox_id),
            "--user", account.user, "--password", account.password,
            "--batch-size", str(batch_size), "--fetch", fetch,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def finish(worker: subprocess.Popen[str]) -> dict[str, object]:
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    result: dict[str, object] = json.loads(out)
    return result


def highest_uid(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.max(SyncState.highest_uid))) or 0)


def assert_exactly_once(db: Database, account: MailAccount) -> None:
    """Every server message is in the database once, with the very same bytes."""
    on_server = account.server.fetch_raw(account.user, "INBOX")
    with db.read() as session:
        rows = session.execute(select(Message.uid, Message.raw_sha256, Message.raw)).all()
        quarantined = session.scalar(select(func.count()).select_from(Quarantine))
        tickets = session.scalar(select(func.count()).select_from(Ticket))
        replies = session.scalar(
            select(func.count()).select_from(Message).where(Message.in_reply_to.is_not(None))
        )
    assert quarantined == 0
    assert len(rows) == len(on_server) == MESSAGES
    assert len({uid for uid, _, _ in rows}) == MESSAGES
    for uid, sha256, raw in rows:
        assert uid is not None
        assert sha256 == hashlib.sha256(on_server[uid]).hexdigest()
        assert raw == on_server[uid]
    assert tickets == MESSAGES - (replies or 0)  # no ticket made twice either


def mapped_files(pid: int) -> str:
    """The shared libraries and files mapped into ``pid`` ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""


def child_pids(pid: int) -> set[int]:
    """Every process below ``pid``: the fetch-and-parse children."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found |= {int(child), *child_pids(int(child))}
    return found


def gone(pids: set[int]) -> bool:
    return not any(Path(f"/proc/{pid}").exists() for pid in pids)


# "child": the batches are fetched and parsed by child processes, which must die with it.
@pytest.mark.parametrize("fetch", ["inline", "child"])
def test_sigkill_mid_batch_loses_and_duplicates_nothing(
    db: Database, mail_account: MailAccount, fetch: str
) -> None:
    server, user = mail_account.server, mail_account.user
    server.append_many(user, "INBOX", make_conversations(MESSAGES))
    mailbox_id = add_sync_mailbox(db, server, user)
    kills = 0
    # Kill after different amounts of committed progress: early, mid-folder, late.
    for step in (7, 23, 41, 60):
        target = highest_uid(db) + step
        worker = start_worker(db, mail_account, mailbox_id, batch_size=7, fetch=fetch)

        def progressed(t: int = target, w: subprocess.Popen[str] = worker) -> bool:
            return highest_uid(db) >= t or w.poll() is not None

        children: set[int] = set()
        try:
            poll_until(progressed, 60, f"highest_uid >= {target}", interval=0.005)
            if worker.poll() is None:
                children = child_pids(worker.pid)
                # Children import the parser only: not the database layer the sync runs on.
                assert not any("sqlalchemy" in mapped_files(pid) for pid in children)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.communicate(timeout=30)
        kills += worker.returncode == -signal.SIGKILL
        if fetch == "child":
            assert len(children) >= 2, "the batches were fetched by children"
            poll_until(lambda c=children: gone(c), 10, "the children to end with their parent")
        assert highest_uid(db) < MESSAGES, "the folder was done before the kill"
    assert kills == 4

    result = finish(start_worker(db, mail_account, mailbox_id, batch_size=7, fetch=fetch))

    assert result["report"]["folders"][0]["error"] is None  # type: ignore[index]
    assert highest_uid(db) == MESSAGES
    assert_exactly_once(db, mail_account)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("fetch", ["inline", "child"])
def test_two_sync_processes_at_once_import_each_message_once(
    db: Database, mail_account: MailAccount, fetch: str
) -> None:
    server, user = mail_account.server, mail_account.user
    server.append_many(user, "INBOX", make_conversations(MESSAGES))
    mailbox_id = add_sync_mailbox(db, server, user)

    workers = [
        start_worker(db, mail_account, mailbox_id, batch_size=20, fetch=fetch) for _ in range(2)
    ]
    results = [finish(worker) for worker in workers]

    reports = [r["report"]["folders"][0] for r in results]  # type: ignore[index]
    assert sum(r["imported"] for r in reports) == MESSAGES
    assert all(r["error"] is None for r in reports)
    assert all(r["fetched"] > 0 for r in reports)  # they really ran side by side
    assert_exactly_once(db, mail_account)
