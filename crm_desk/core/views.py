"""The sidebar's views (Unassigned, Mine, All open, …) and their counts, in one batch of queries.

Each view is a ``TicketFilter`` (or, for Quarantine, no filter) with a key that stays the same
across refreshes, so a sidebar can update counts in place and keep its selection.

The counts come from two GROUP BY queries over ``tickets`` instead of one COUNT per view:

* the open-ish tickets (new, open, pending) grouped by status, assignee, category and
  mailbox; Unassigned, Mine, All open, Pending, every category, every mailbox and every agent
  are sums over that small result. It reads the open-ish tickets only, found through the index
  that leads with ``status`` (``ix_tickets_status_updated``); in a mature queue they are a few
  per cent of all tickets;
* resolved and closed grouped by status, an index-only count on that same index.

Names (categories, mailboxes, agents) are returned as they are stored: plain text to display.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from crm_desk.core.queries import TicketFilter
from crm_desk.store.models import (
    OPEN_STATUSES,
    Agent,
    Category,
    Contact,
    Mailbox,
    Quarantine,
    Ticket,
    TicketStatus,
)

OPEN_ISH: tuple[str, ...] = tuple(str(status) for status in OPEN_STATUSES)
ALL_OPEN: tuple[str, ...] = (TicketStatus.NEW.value, TicketStatus.OPEN.value)

# label_kind values: the UI turns each into a translated label (with label_arg for names).
UNASSIGNED = "unassigned"
MINE = "mine"
ALL_OPEN_KIND = "all_open"
PENDING = "pending"
RESOLVED = "resolved"
CLOSED = "closed"
CATEGORY = "category"
MAILBOX = "mailbox"
QUARANTINE = "quarantine"
AGENT = "agent"


class _Anyone(enum.Enum):
    ANYONE = "anyone"  # an assignee condition that matches every ticket


@dataclass(frozen=True)
class ViewCount:
    key: str  # stable: "unassigned", "category:3", "agent:7", …
    label_kind: str
    label_arg: str | None  # the category, mailbox or agent name; None for the fixed views
    count: int
    filter: TicketFilter | None  # None: not a ticket list (Quarantine)
    detail: str | None = None  # a second name to show on hover (a category's English name)


@dataclass(frozen=True)
class TicketHeadline:
    """What a notification about a new ticket says."""

    id: int
    subject: str
    sender: str | None


def open_ish_groups_statement() -> Select[str, int | None, int | None, int | None, int]:
    """Open-ish tickets counted per status, assignee, category and mailbox (one index)."""
    return (
        select(
            Ticket.status,
            Ticket.assignee_id,
            Ticket.category_id,
            Ticket.mailbox_id,
            func.count(),
        )
        .where(Ticket.status.in_(OPEN_ISH))
        .group_by(Ticket.status, Ticket.assignee_id, Ticket.category_id, Ticket.mailbox_id)
    )


def _open_ish_groups(session: Session) -> Counter[tuple[str, int | None, int | None, int | None]]:
    rows = session.execute(open_ish_groups_statement())
    return Counter({(s, a, c, m): int(n) for s, a, c, m, n in rows})


def _done_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Ticket.status, func.count())
        .where(Ticket.status.in_((TicketStatus.RESOLVED, TicketStatus.CLOSED)))
        .group_by(Ticket.status)
    )
    return {str(status): int(count) for status, count in rows}


def _sum(
    groups: Counter[tuple[str, int | None, int | None, int | None]],
    *,
    statuses: Iterable[str] = OPEN_ISH,
    assignee: int | _Anyone | None = _Anyone.ANYONE,
    category: int | None = None,
    mailbox: int | None = None,
) -> int:
    """Tickets in the groups that match; an ``assignee`` of None means unassigned."""
    wanted = set(statuses)
    return sum(
        count
        for (status, assignee_id, category_id, mailbox_id), count in groups.items()
        if status in wanted
        and (assignee is _Anyone.ANYONE or assignee_id == assignee)
        and (category is None or category_id == category)
        and (mailbox is None or mailbox_id == mailbox)
    )


def view_counts(session: Session, agent_id: int | None, is_lead: bool) -> list[ViewCount]:
    """Every sidebar view with its count, in display order.

    Mine is left out without an agent; the per-agent views only for a lead. Inactive
    mailboxes and agents appear only while they still hold open-ish tickets, so nothing open
    drops out of sight.
    """
    groups = _open_ish_groups(session)
    done = _done_counts(session)

    views = [
        ViewCount(
            UNASSIGNED,
            UNASSIGNED,
            None,
            _sum(groups, assignee=None),
            TicketFilter(statuses=OPEN_ISH, unassigned=True),
        )
    ]
    if agent_id is not None:
        views.append(
            ViewCount(
                MINE,
                MINE,
                None,
                _sum(groups, assignee=agent_id),
                TicketFilter(statuses=OPEN_ISH, assignee_id=agent_id),
            )
        )
    views += [
        ViewCount(
            ALL_OPEN_KIND,
            ALL_OPEN_KIND,
            None,
            _sum(groups, statuses=ALL_OPEN),
            TicketFilter(statuses=ALL_OPEN),
        ),
        ViewCount(
            PENDING,
            PENDING,
            None,
            _sum(groups, statuses=(TicketStatus.PENDING,)),
            TicketFilter(statuses=(TicketStatus.PENDING.value,)),
        ),
        ViewCount(
            RESOLVED,
            RESOLVED,
            None,
            done.get(TicketStatus.RESOLVED, 0),
            TicketFilter(statuses=(TicketStatus.RESOLVED.value,)),
        ),
        ViewCount(
            CLOSED,
            CLOSED,
            None,
            done.get(TicketStatus.CLOSED, 0),
            TicketFilter(statuses=(TicketStatus.CLOSED.value,)),
        ),
    ]
    for category_id, name, name_en in session.execute(
        select(Category.id, Category.name, Category.name_en).order_by(
            Category.position, Category.name, Category.id
        )
    ):
        views.append(
            ViewCount(
                f"{CATEGORY}:{category_id}",
                CATEGORY,
                name,
                _sum(groups, category=category_id),
                TicketFilter(statuses=OPEN_ISH, category_id=category_id),
                detail=name_en if name_en and name_en != name else None,
            )
        )
    for mailbox_id, name, active in session.execute(
        select(Mailbox.id, Mailbox.name, Mailbox.active).order_by(Mailbox.name, Mailbox.id)
    ):
        count = _sum(groups, mailbox=mailbox_id)
        if active or count:
            views.append(
                ViewCount(
                    f"{MAILBOX}:{mailbox_id}",
                    MAILBOX,
                    name,
                    count,
                    TicketFilter(statuses=OPEN_ISH, mailbox_id=mailbox_id),
                )
            )
    quarantined = session.scalar(
        select(func.count(Quarantine.id)).where(Quarantine.resolved_at.is_(None))
    )
    views.append(ViewCount(QUARANTINE, QUARANTINE, None, int(quarantined or 0), None))
    if is_lead:
        for member_id, name, active in session.execute(
            select(Agent.id, Agent.name, Agent.active).order_by(Agent.name, Agent.id)
        ):
            count = _sum(groups, assignee=member_id)
            if active or count:
                views.append(
                    ViewCount(
                        f"{AGENT}:{member_id}",
                        AGENT,
                        name,
                        count,
                        TicketFilter(statuses=OPEN_ISH, assignee_id=member_id),
                    )
                )
    return views


def headlines_in_views(
    session: Session, ticket_ids: Sequence[int], filters: Sequence[TicketFilter]
) -> list[TicketHeadline]:
    """The given tickets that fall in at least one of the views, newest first (notifications)."""
    if not ticket_ids or not filters:
        return []
    in_any_view = or_(false(), *(and_(Ticket.id.isnot(None), *f.conditions()) for f in filters))
    rows = session.execute(
        select(Ticket.id, Ticket.subject, Contact.name, Contact.email)
        .outerjoin(Contact, Contact.id == Ticket.contact_id)
        .where(Ticket.id.in_(list(ticket_ids)), in_any_view)
        .order_by(Ticket.id.desc())
    )
    return [
        TicketHeadline(ticket_id, subject, name or email or None)
        for ticket_id, subject, name, email in rows
    ]
