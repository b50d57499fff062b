"""Agents: who may act, and as what."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_desk.core import changes
from crm_desk.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from crm_desk.store.models import Agent, Role

# Deliberately loose: one @, something on each side, no spaces. Real validation is delivery.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(address: str) -> str:
    value = address.strip().lower()
    if not _EMAIL.match(value):
        raise ValidationError(f"not an email address: {address!r}")
    return value


def is_lead(agent: Agent) -> bool:
    return agent.role in (Role.LEAD, Role.ADMIN)


def require_active(agent: Agent) -> None:
    if not agent.active:
        raise PermissionDeniedError(f"{agent.name} <{agent.email}> is deactivated")


def require_lead(agent: Agent, action: str) -> None:
    require_active(agent)
    if not is_lead(agent):
        raise PermissionDeniedError(f"only a team lead may {action}; {agent.name} is an agent")


def by_email(session: Session, email: str) -> Agent:
    address = email.strip().lower()
    agent = session.scalar(select(Agent).where(Agent.email == address))
    if agent is None:
        raise NotFoundError(f"no agent with the email address {email}")
    return agent


def by_id(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFoundError(f"no agent with id {agent_id}")
    return agent


def list_agents(session: Session, *, include_inactive: bool = True) -> Sequence[Agent]:
    query = select(Agent).order_by(Agent.name, Agent.id)
    if not include_inactive:
        query = query.where(Agent.active.is_(True))
    return session.scalars(query).all()


def add_agent(
    session: Session, actor: Agent | None, *, name: str, email: str, role: str = Role.AGENT
) -> Agent:
    """Add an agent. ``actor`` None means the local operator (the command line, first start)."""
    if actor is not None:
        require_lead(actor, "add agents")
        if role == Role.ADMIN and actor.role != Role.ADMIN:
            raise PermissionDeniedError("only an admin may add another admin")
    if role not in set(Role):
        raise ValidationError(f"role must be one of {', '.join(Role)}; got {role!r}")
    name = name.strip()
    if not name:
        raise ValidationError("an agent needs a name")
    address = normalise_email(email)
    if session.scalar(select(func.count()).where(Agent.email == address)):
        raise ConflictError(f"an agent with the email address {address} already exists")
    agent = Agent(name=name, email=address, role=role, active=True)
    session.add(agent)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent add of the same address
        raise ConflictError(f"an agent with the email address {address} already exists") from exc
    changes.record(session, actor, entity="agent", entity_id=agent.id, kind="agent.added")
    return agent
