"""Contacts and companies: match a sender to a contact, edit the contact card."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm_desk.core import agents, changes, search
from crm_desk.errors import ConflictError, NotFoundError, StaleEditError, ValidationError
from crm_desk.store.models import Agent, Company, Contact, Lifecycle, Qualification, utcnow


def match_or_create_contact(
    session: Session, actor: Agent | None, address: str, name: str | None = None
) -> tuple[Contact, bool]:
    """The contact for ``address`` (``"Name <a@b>"`` or a bare address); created if new.

    Returns the contact and whether it was created. Safe under concurrency: two desktops
    ingesting mail from the same new sender end with one contact.
    """
    display, bare = parseaddr(address)
    email = agents.normalise_email(bare or address)
    existing = session.scalar(select(Contact).where(Contact.email == email))
    if existing is not None:
        return existing, False
    now = utcnow()
    contact = Contact(
        name=(name or display or "").strip()[:300],
        email=email,
        lifecycle=Lifecycle.CONTACT,
        qualification=Qualification.NONE,
        points=0,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(contact)
            session.flush()
    except IntegrityError:
        winner = session.scalar(select(Contact).where(Contact.email == email))
        if winner is None:
            raise
        return winner, False
    search.reindex_contact(session, contact)
    changes.record(session, actor, entity="contact", entity_id=contact.id, kind="contact.created")
    return contact, True


@dataclass(frozen=True)
class ContactEdit:
    name: str | None = None
    name_kana: str | None = None
    phone: str | None = None
    company_name: str | None = None
    lifecycle: str | None = None
    qualification: str | None = None


def update_contact(
    session: Session,
    actor: Agent,
    contact_id: int,
    edit: ContactEdit,
    *,
    expected_version: int | None = None,
) -> Contact:
    """Edit the contact card; any active agent may. Stale edits are refused like tickets'."""
    agents.require_active(actor)
    contact = session.get(Contact, contact_id, with_for_update=True, populate_existing=True)
    if contact is None:
        raise NotFoundError(f"no contact with id {contact_id}")
    if expected_version is not None and contact.version != expected_version:
        who = contact.updated_by.name if contact.updated_by else "the mail sync"
        raise StaleEditError(contact.id, who, contact.updated_at)
    if edit.lifecycle is not None:
        if edit.lifecycle not in set(Lifecycle):
            raise ValidationError(f"lifecycle must be one of {', '.join(Lifecycle)}")
        contact.lifecycle = edit.lifecycle
    if edit.qualification is not None:
        if edit.qualification not in set(Qualification):
            raise ValidationError(f"qualification must be one of {', '.join(Qualification)}")
        contact.qualification = edit.qualification
    for field in ("name", "name_kana", "phone"):
        value = getattr(edit, field)
        if value is not None:
            setattr(contact, field, value.strip())
    if edit.company_name is not None:
        contact.company_id = (
            company_id_for(session, edit.company_name) if edit.company_name.strip() else None
        )
    contact.updated_at = utcnow()
    contact.updated_by_id = actor.id
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError(
            f"contact {contact.id} was changed meanwhile; reload and try again"
        ) from None
    search.reindex_contact(session, contact)
    changes.record(session, actor, entity="contact", entity_id=contact.id, kind="contact.updated")
    return contact


def company_id_for(session: Session, name: str) -> int:
    """The company of this name, created when new."""
    clean = name.strip()
    company = session.scalar(select(Company).where(Company.name == clean))
    if company is None:
        company = Company(name=clean)
        session.add(company)
        session.flush()
    return company.id
