"""What the mailbox forms do on the worker: test a login, add, list, test and remove mailboxes.

The same steps as ``crm-desk mailbox add|test|remove`` (``crm_desk.cli_mail``): the settings go
through ``core.mailboxes``, the password only ever into the keyring (``crm_desk.secrets``), and
a login goes through ``mail.imap``, whose errors are one line each. No Qt here: every function
runs inside an ``Op`` and returns plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from crm_desk import secrets
from crm_desk.core import agents, mailboxes
from crm_desk.mail import imap
from crm_desk.store.db import Database
from crm_desk.store.models import Mailbox, SyncState


@dataclass(frozen=True)
class MailboxDraft:
    """The fields of ``crm-desk mailbox add``, as typed into the form."""

    name: str
    address: str
    imap_host: str
    imap_port: int
    imap_tls: str
    username: str  # empty: the address
    auth: str  # password | xoauth2
    secret: str
    folders: tuple[str, ...]
    after_import: str
    smtp_host: str | None
    smtp_port: int | None
    smtp_tls: str | None

    @property
    def login(self) -> str:
        return self.username or self.address


@dataclass(frozen=True)
class FolderCount:
    folder: str
    messages: int


@dataclass(frozen=True)
class LoginResult:
    server: str
    username: str
    folders: tuple[FolderCount, ...]


@dataclass(frozen=True)
class MailboxInfo:
    name: str
    address: str
    server: str
    tls: str
    active: bool
    last_error: str | None


def keyring_backend() -> str:
    """The keyring in use, or ``secrets.SecretStoreError`` saying why none can be used."""
    secrets.backend()  # raises when there is none, or an unencrypted one nobody chose
    return secrets.describe_backend()


def _count_folders(
    settings: imap.ImapSettings, credentials: imap.Credentials, folders: tuple[str, ...]
) -> LoginResult:
    settings.check_policy()
    counts = []
    with imap.connected(settings, credentials) as client, imap.imap_errors(settings):
        for folder in folders:
            status = client.folder_status(folder, ["MESSAGES"])
            counts.append(FolderCount(folder, int(status[b"MESSAGES"])))
    return LoginResult(settings.address, settings.username, tuple(counts))


def try_login(draft: MailboxDraft) -> LoginResult:
    """Log in with what the form holds (not yet saved) and count the folders' messages."""
    settings = imap.ImapSettings(draft.imap_host, draft.imap_port, draft.imap_tls, draft.login)
    if draft.auth == "xoauth2":
        credentials = imap.Credentials(draft.login, draft.secret, "xoauth2")
    else:
        credentials = imap.Credentials(draft.login, draft.secret, "password")
    return _count_folders(settings, credentials, draft.folders or ("INBOX",))


def try_saved(db: Database, name: str) -> LoginResult:
    """``crm-desk mailbox test NAME``: the stored settings, the password from the keyring."""
    with db.read() as session:
        mailbox = mailboxes.by_name(session, name)
        settings = imap.ImapSettings.from_mailbox(mailbox)
        credentials = imap.credentials_for(mailbox)
        folders = tuple(mailbox.folders)
    return _count_folders(settings, credentials(), folders)


def _info(mailbox: Mailbox, last_error: str | None) -> MailboxInfo:
    server = f"{mailbox.imap_host or ''}:{mailbox.imap_port or ''}"
    return MailboxInfo(
        mailbox.name, mailbox.address, server, mailbox.imap_tls, mailbox.active, last_error
    )


def add(db: Database, draft: MailboxDraft, actor_email: str | None) -> MailboxInfo:
    """Add the mailbox as ``actor_email`` (a lead); its password goes to the keyring."""
    secrets.backend()  # refuse before anything is written when the password cannot be kept
    with db.write() as session:
        actor = agents.by_email(session, actor_email) if actor_email else None
        mailbox = mailboxes.add_mailbox(
            session,
            actor,
            name=draft.name.strip(),
            address=draft.address,
            imap_host=draft.imap_host,
            imap_port=draft.imap_port,
            imap_tls=draft.imap_tls,
            username=draft.login,
            folders=draft.folders or ("INBOX",),
            after_import=draft.after_import,
            auth=draft.auth,
            smtp_host=draft.smtp_host,
            smtp_port=draft.smtp_port,
            smtp_tls=draft.smtp_tls,
        )
        # Inside the transaction: if the keyring refuses, the mailbox is not added either.
        secrets.set_secret(secrets.mailbox_account(mailbox.name), draft.secret)
        return _info(mailbox, None)


def load(db: Database) -> list[MailboxInfo]:
    with db.read() as session:
        errors: dict[int, str] = {}
        for state in session.scalars(select(SyncState).where(SyncState.last_error.is_not(None))):
            errors.setdefault(state.mailbox_id, f"{state.folder}: {state.last_error}")
        return [_info(m, errors.get(m.id)) for m in mailboxes.list_mailboxes(session)]


def remove(db: Database, name: str, actor_email: str | None) -> None:
    """Stop syncing ``name`` (its tickets stay) and forget its password."""
    with db.write() as session:
        actor = agents.by_email(session, actor_email) if actor_email else None
        mailboxes.remove_mailbox(session, actor, name)
    secrets.delete_secret(secrets.mailbox_account(name))
