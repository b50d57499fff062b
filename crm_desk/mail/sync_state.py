"""The sync engine's own records: each mailbox's configuration as a pass sees it, and the
per-folder state (UIDVALIDITY, highest UID, last error) that makes a sync resumable.

``sync_state`` rows are the only rows the engine writes itself; everything else goes through
``core.ingest``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_desk.core import changes
from crm_desk.core.ingest import ImapKey, known_keys, lock_folder
from crm_desk.core.mailboxes import validate_after_import
from crm_desk.errors import ConfigurationError, CrmDeskError, NotFoundError, ValidationError
from crm_desk.mail.imap import ImapSettings
from crm_desk.store.db import Database
from crm_desk.store.models import Mailbox, Message, Quarantine, SyncState

# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AfterImport:
    kind: str  # none | seen | move
    target: str | None = None

    @classmethod
    def parse(cls, value: str) -> AfterImport:
        try:
            value = validate_after_import(value)
        except ValidationError as exc:
            raise ConfigurationError(str(exc)) from exc
        if value.startswith("move:"):
            return cls("move", value[5:])
        return cls(value)

    @property
    def active(self) -> bool:
        return self.kind != "none"


@dataclass(frozen=True)
class FolderConfig:
    mailbox_id: int
    name: str
    settings: ImapSettings
    folders: tuple[str, ...]
    after_import: AfterImport


def load_config(db: Database, mailbox_id: int) -> FolderConfig:
    with db.read() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is None:
            raise NotFoundError(f"there is no mailbox with id {mailbox_id}")
        if not mailbox.active:
            raise MailboxInactiveError(f"mailbox {mailbox.name} is deactivated")
        folders = tuple(dict.fromkeys(str(f) for f in (mailbox.folders or ["INBOX"])))
        after_import = AfterImport.parse(mailbox.after_import)
        if after_import.kind == "move" and after_import.target in folders:
            # Each moved message would be imported again from the target: a duplicate ticket.
            raise ConfigurationError(
                f"mailbox {mailbox.name} moves imported mail to {after_import.target}, which it "
                "also syncs; every message would be imported twice"
            )
        return FolderConfig(
            mailbox.id, mailbox.name, ImapSettings.from_mailbox(mailbox), folders, after_import
        )


class MailboxInactiveError(ConfigurationError):
    pass


class UidValidityChangedError(CrmDeskError):
    pass


# --- sync state (the only rows this module writes itself) ---------------------------------------


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int | None
    highest_uid: int
    dedupe_by_hash: bool


def uidvalidity_message(mailbox: str, folder: str, stored: int, found: int) -> str:
    return (
        f"UIDVALIDITY of {folder} changed from {stored} to {found} (the folder was recreated on "
        f"the server); nothing was imported from it. Run `crm-desk mailbox reset-folder "
        f"{mailbox} {folder}` after checking the server"
    )


def state_row(session: Session, mailbox_id: int, folder: str) -> SyncState | None:
    return session.scalar(
        select(SyncState).where(SyncState.mailbox_id == mailbox_id, SyncState.folder == folder)
    )


def adopt_state(db: Database, mailbox_id: int, folder: str, uidvalidity: int) -> FolderState:
    """The folder's sync state; a folder seen for the first time (or reset) adopts the server's
    UIDVALIDITY. Safe when two processes do it at once."""
    with db.read() as session:
        row = state_row(session, mailbox_id, folder)
        if row is not None and row.uidvalidity is not None:
            return FolderState(row.uidvalidity, row.highest_uid, row.dedupe_by_hash)
    with db.write() as session:
        lock_folder(session, mailbox_id, folder)
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        session.execute(
            insert(SyncState)
            .values(mailbox_id=mailbox_id, folder=folder, uidvalidity=uidvalidity, highest_uid=0)
            .on_conflict_do_nothing()
        )
        row = state_row(session, mailbox_id, folder)
        assert row is not None
        if row.uidvalidity is None:  # reset by a person: accept the server's value now
            row.uidvalidity = uidvalidity
        return FolderState(row.uidvalidity, row.highest_uid, row.dedupe_by_hash)


def record_error(db: Database, mailbox_id: int, folder: str, message: str) -> None:
    with db.write() as session:
        row = state_row(session, mailbox_id, folder)
        if row is None or row.last_error == message:
            return
        row.last_error = message
        # Desktops refresh the mailbox's status when they see this in the change feed.
        changes.record(
            session, None, entity="mailbox", entity_id=mailbox_id, kind="mailbox.sync_error"
        )


def finish_folder(
    db: Database, mailbox_id: int, folder: str, uidvalidity: int, *, refetch_done: bool
) -> None:
    """Mark a clean pass: time stamp, no error, and the end of a post-reset refetch."""
    with db.write() as session:
        row = state_row(session, mailbox_id, folder)
        if row is None or row.uidvalidity != uidvalidity:
            return
        row.last_sync_at = datetime.now(UTC)
        row.last_error = None
        if refetch_done:
            row.dedupe_by_hash = False


def reset_folder(db: Database, mailbox_id: int, folder: str) -> None:
    """Accept a folder's new UIDVALIDITY after a person checked the server.

    The next sync fetches the whole folder again, records the server's UIDVALIDITY, and skips
    every message whose bytes this mailbox already holds (as a message or in quarantine), so
    only new content is imported. The refetch mode ends when that sync completes.
    """
    with db.write() as session:
        lock_folder(session, mailbox_id, folder)
        row = state_row(session, mailbox_id, folder)
        if row is None:
            raise NotFoundError(f"mailbox {mailbox_id} has never synced a folder named {folder!r}")
        old = row.uidvalidity
        row.uidvalidity = None
        row.highest_uid = 0
        row.dedupe_by_hash = True
        row.last_error = None
        changes.record(
            session,
            None,
            entity="mailbox",
            entity_id=mailbox_id,
            kind="mailbox.folder_reset",
            data={"folder": folder, "old_uidvalidity": old},
        )


def have_bytes(session: Session, mailbox_id: int, sha256: str) -> bool:
    """Whether this mailbox already holds these exact bytes (ix_messages_mailbox_sha256)."""
    in_messages = exists().where(Message.mailbox_id == mailbox_id, Message.raw_sha256 == sha256)
    in_quarantine = exists().where(
        Quarantine.mailbox_id == mailbox_id, Quarantine.raw_sha256 == sha256
    )
    return bool(session.scalar(select(in_messages)) or session.scalar(select(in_quarantine)))


def keys_present(session: Session, base: ImapKey, uids: Sequence[int]) -> set[int]:
    """Which of ``uids`` have a message or quarantine row under this folder's current key."""
    keys = [ImapKey(base.mailbox_id, base.folder, base.uidvalidity, uid) for uid in uids]
    return {key.uid for key in known_keys(session, keys)}


def keyed_uids(db: Database, base: ImapKey, uids: Sequence[int]) -> list[int]:
    with db.read() as session:
        return sorted(keys_present(session, base, uids))
