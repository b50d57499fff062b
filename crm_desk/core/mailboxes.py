"""Mailboxes: the shared addresses crm-desk fetches from and replies as.

Only settings live here; the password or OAuth token is in the system keyring (see
``crm_desk.secrets``), never in the database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_desk.core import agents, changes
from crm_desk.core.transport import TLS_MODES, is_loopback
from crm_desk.errors import ConflictError, NotFoundError, ValidationError
from crm_desk.store.models import Agent, Mailbox, Message, SyncState

AUTH_METHODS = ("password", "xoauth2")
_NAME = re.compile(r"^[\w.@+-]{1,100}$")


def validate_after_import(value: str) -> str:
    if value in ("none", "seen"):
        return value
    if value.startswith("move:") and value[5:].strip():
        return "move:" + value[5:].strip()
    raise ValidationError(f"after-import must be none, seen or move:FOLDER; got {value!r}")


def _validate_tls(host: str | None, mode: str | None, what: str) -> None:
    if mode is None:
        return
    if mode not in TLS_MODES:
        raise ValidationError(f"{what} TLS must be one of {', '.join(TLS_MODES)}; got {mode!r}")
    if mode == "none" and host and not is_loopback(host):
        raise ValidationError(
            f"{what} without TLS is only allowed to this machine (127.0.0.1, ::1, localhost); "
            f"{host} would see the password in clear text"
        )


def add_mailbox(
    session: Session,
    actor: Agent | None,
    *,
    name: str,
    address: str,
    imap_host: str,
    imap_port: int,
    imap_tls: str = "ssl",
    username: str,
    folders: Sequence[str] = ("INBOX",),
    after_import: str = "none",
    auth: str = "password",
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    smtp_tls: str | None = None,
) -> Mailbox:
    """Add a mailbox; a lead's job (``actor`` None: the local operator)."""
    if actor is not None:
        agents.require_lead(actor, "add mailboxes")
    if not _NAME.match(name):
        raise ValidationError(
            "a mailbox name is 1–100 letters, digits and . _ @ + - (it names the keyring entry)"
        )
    if session.scalar(select(func.count()).where(Mailbox.name == name)):
        raise ConflictError(f"a mailbox named {name!r} already exists")
    if auth not in AUTH_METHODS:
        raise ValidationError(f"auth must be one of {', '.join(AUTH_METHODS)}")
    for port, what in ((imap_port, "IMAP"), (smtp_port, "SMTP")):
        if port is not None and not 0 < port < 65536:
            raise ValidationError(f"{what} port must be 1–65535; got {port}")
    _validate_tls(imap_host, imap_tls, "IMAP")
    _validate_tls(smtp_host, smtp_tls, "SMTP")
    folder_list = [f.strip() for f in folders if f.strip()] or ["INBOX"]
    mailbox = Mailbox(
        name=name, address=agents.normalise_email(address), imap_host=imap_host.strip(),
        imap_port=imap_port, imap_tls=imap_tls, username=username.strip(), auth=auth,
        folders=folder_list, after_import=validate_after_import(after_import),
        smtp_host=smtp_host, smtp_port=smtp_port, smtp_tls=smtp_tls, active=True,
    )  # fmt: skip
    session.add(mailbox)
    session.flush()
    changes.record(session, actor, entity="mailbox", entity_id=mailbox.id, kind="mailbox.added")
    return mailbox


def by_name(session: Session, name: str) -> Mailbox:
    mailbox = session.scalar(select(Mailbox).where(Mailbox.name == name))
    if mailbox is None:
        raise NotFoundError(f"no mailbox named {name!r}")
    return mailbox


def list_mailboxes(session: Session, *, active_only: bool = False) -> Sequence[Mailbox]:
    query = select(Mailbox).order_by(Mailbox.name)
    if active_only:
        query = query.where(Mailbox.active.is_(True))
    return session.scalars(query).all()


def remove_mailbox(session: Session, actor: Agent | None, name: str) -> None:
    """Stop syncing a mailbox. Its tickets and messages stay; a mailbox with mail is deactivated."""
    if actor is not None:
        agents.require_lead(actor, "remove mailboxes")
    mailbox = by_name(session, name)
    has_mail = session.scalar(
        select(func.count(Message.id)).where(Message.mailbox_id == mailbox.id)
    )
    if has_mail:
        mailbox.active = False
        kind = "mailbox.deactivated"
    else:
        for state in session.scalars(select(SyncState).where(SyncState.mailbox_id == mailbox.id)):
            session.delete(state)
        session.delete(mailbox)
        kind = "mailbox.removed"
    session.flush()
    changes.record(session, actor, entity="mailbox", entity_id=mailbox.id, kind=kind)
