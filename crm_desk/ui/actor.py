"""Who is working at this desktop: the acting agent, resolved once at start."""

from __future__ import annotations

from dataclasses import dataclass

from crm_desk.core import agents
from crm_desk.errors import NotFoundError
from crm_desk.store.db import Database
from crm_desk.store.models import Role


@dataclass(frozen=True)
class Actor:
    id: int
    name: str
    email: str
    role: str

    @property
    def is_lead(self) -> bool:
        return self.role in (Role.LEAD, Role.ADMIN)


def find_actor(db: Database, email: str | None) -> Actor | None:
    """The active agent with this email, or None (no profile chosen yet, or it was removed).

    One indexed row, read before the window opens: every view is built for this agent's role.
    """
    if not email:
        return None
    with db.read() as session:
        try:
            agent = agents.by_email(session, email)
        except NotFoundError:
            return None
        if not agent.active:
            return None
        return Actor(agent.id, agent.name, agent.email, agent.role)
