"""Every corpus message through a real IMAP server into the database: a ticket message or a
quarantine entry, never an unhandled error; Japanese subjects arrive intact in the tickets."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from crm_desk.mail.limits import ParseLimits
from crm_desk.mail.sync import MailboxSync
from crm_desk.store.db import Database
from crm_desk.store.models import Message, Quarantine
from tests.mail.test_corpus import CORPUS, EXPECTED, INDEX
from tests.support.dovecot import MailAccount, add_sync_mailbox, password_credentials


def test_whole_corpus_through_imap(db: Database, mail_account: MailAccount) -> None:
    server, user = mail_account.server, mail_account.user
    paths = sorted(INDEX)
    raws = [(CORPUS / path).read_bytes() for path in paths]
    uids = server.append_many(user, "INBOX", raws)
    stored = dict(zip(uids, paths, strict=True))
    mailbox_id = add_sync_mailbox(db, server, user)
    # A tight size limit, so the quarantine path is taken by real mail too.
    limits = ParseLimits(max_bytes=400_000)
    report = MailboxSync(
        db,
        mailbox_id,
        password_credentials(user, mail_account.password),
        batch_size=50,
        parse_limits=limits,
    ).sync_once()
    folder = report.folders[0]
    assert folder.error is None
    assert folder.imported + folder.quarantined == len(raws)
    with db.read() as session:
        messages = session.scalar(select(func.count(Message.id)))
        quarantined = session.execute(select(Quarantine.uid, Quarantine.reason)).all()
        assert messages + len(quarantined) == len(raws)
        big = {uid for uid, path in stored.items() if len(raws[paths.index(path)]) > 400_000}
        assert big, "the corpus should exercise the size limit"
        assert {uid for uid, _ in quarantined} == big
        assert all("limit" in reason for _, reason in quarantined)
        by_uid = {
            uid: (subject, sha)
            for uid, subject, sha in session.execute(
                select(Message.uid, Message.subject, Message.raw_sha256)
            )
        }
    server_bytes = server.fetch_raw(user, "INBOX")
    for uid, (subject, sha) in by_uid.items():
        assert sha == hashlib.sha256(server_bytes[uid]).hexdigest()
        expected = EXPECTED.get(stored[uid])
        if expected is not None:
            assert subject == expected[0], stored[uid]
