"""Read-side queries: the queue (keyset-paged), one ticket with its customer, database facts.

Nothing here writes. The queue is paged by key, never by OFFSET: the next page starts after the
last row's (sort value, id), so page 20,000 costs what page 1 costs, on indexes that match the
sorts (see the indexes on ``Ticket``). The sorts by due date, customer, category and assignee
have no index: within a view's statuses they cost little, over every ticket of a large
database each page sorts them all (about 80 ms at 100,000 tickets on SQLite).

Given a ``viewer_id``, each row also says whether that agent has unread activity on it
(``core.reads``): one LEFT JOIN on ``ticket_reads``' primary key per row of the page, which
leaves the plan (and the cost) of the page as it was.

Search within the queue is in ``core.queue_search``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased, selectinload

from crm_desk.core.reads import read_join_condition, unread_expression
from crm_desk.errors import NotFoundError, ValidationError
from crm_desk.store.models import (
    Agent,
    Base,
    Category,
    Contact,
    Deal,
    Message,
    Order,
    Priority,
    Ticket,
    TicketRead,
    TicketStatus,
    UTCDateTime,
)

_Assignee = aliased(Agent)
_NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)  # sorts tickets without a due date last
_NO_CATEGORY = 2**31 - 1  # and uncategorised tickets after every category


def _person(name: Any, email: Any) -> ColumnElement[str]:
    """What the list shows for a person (the name, else the address), case-folded to sort."""
    return func.lower(func.coalesce(func.nullif(name, ""), email, ""))


# Sort key -> the expression the queue is ordered by (never NULL: the keyset compares it).
SORTABLE: dict[str, Any] = {
    "updated": Ticket.updated_at,
    "created": Ticket.created_at,
    "number": Ticket.id,
    "priority": Ticket.priority_rank,
    "status": Ticket.status,
    "subject": Ticket.subject,
    "due": func.coalesce(Ticket.due_at, literal(_NO_DUE_DATE, UTCDateTime())),
    "customer": _person(Contact.name, Contact.email),
    "category": func.coalesce(Category.position, _NO_CATEGORY),  # the team's own order
    "assignee": _person(_Assignee.name, _Assignee.email),  # unassigned first
}


@dataclass(frozen=True)
class TicketFilter:
    """Which tickets to list. Empty tuples and None mean "any"; all conditions must hold."""

    statuses: tuple[str, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False  # wins over assignee_id
    category_id: int | None = None
    uncategorised: bool = False  # wins over category_id
    mailbox_id: int | None = None
    contact_id: int | None = None
    priorities: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown_status = set(self.statuses) - set(TicketStatus)
        unknown_priority = set(self.priorities) - set(Priority)
        if unknown_status or unknown_priority:
            unknown = ", ".join(sorted(unknown_status | unknown_priority))
            raise ValidationError(f"unknown status or priority in the filter: {unknown}")

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.statuses:
            where.append(Ticket.status.in_(self.statuses))
        if self.unassigned:
            where.append(Ticket.assignee_id.is_(None))
        elif self.assignee_id is not None:
            where.append(Ticket.assignee_id == self.assignee_id)
        if self.uncategorised:
            where.append(Ticket.category_id.is_(None))
        elif self.category_id is not None:
            where.append(Ticket.category_id == self.category_id)
        if self.priorities:
            where.append(Ticket.priority.in_(self.priorities))
        if self.mailbox_id is not None:
            where.append(Ticket.mailbox_id == self.mailbox_id)
        if self.contact_id is not None:
            where.append(Ticket.contact_id == self.contact_id)
        return where


@dataclass(frozen=True)
class TicketSort:
    key: str = "updated"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.key not in SORTABLE:
            raise ValidationError(f"sort must be one of {', '.join(SORTABLE)}; got {self.key!r}")


@dataclass(frozen=True)
class TicketRow:
    id: int
    subject: str
    status: str
    priority: str
    category: str | None
    category_en: str | None
    contact_name: str | None
    contact_email: str | None
    assignee_id: int | None
    assignee_name: str | None
    assignee_email: str | None
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    message_count: int
    version: int
    # The viewer has not looked since someone else changed it (False when no viewer was given).
    unread: bool = False


_ROW_COLUMNS = 16  # the TicketRow fields before ``unread``, in _queue_select()'s order


def _queue_select(viewer_id: int | None = None) -> Select[*tuple[Any, ...]]:
    query = (
        select(
            Ticket.id,
            Ticket.subject,
            Ticket.status,
            Ticket.priority,
            Category.name,
            Category.name_en,
            Contact.name,
            Contact.email,
            Ticket.assignee_id,
            _Assignee.name,
            _Assignee.email,
            Ticket.created_at,
            Ticket.updated_at,
            Ticket.due_at,
            Ticket.message_count,
            Ticket.version,
            Ticket.priority_rank,
        )
        .outerjoin(Category, Category.id == Ticket.category_id)
        .outerjoin(Contact, Contact.id == Ticket.contact_id)
        .outerjoin(_Assignee, _Assignee.id == Ticket.assignee_id)
    )
    if viewer_id is not None:
        query = query.outerjoin(TicketRead, read_join_condition(viewer_id)).add_columns(
            unread_expression(viewer_id)
        )
    return query


def _ticket_row(row: Any, viewer_id: int | None) -> TicketRow:
    # The unread flag, when asked for, follows priority_rank (the last column the cursor uses).
    unread = bool(row[_ROW_COLUMNS + 1]) if viewer_id is not None else False
    values = (*row[:_ROW_COLUMNS], unread)
    return TicketRow(*values)


@dataclass(frozen=True)
class QueuePage:
    rows: list[TicketRow]
    cursor: tuple[Any, int] | None  # pass as ``after`` for the next page; None at the end


def list_tickets(
    session: Session,
    flt: TicketFilter = TicketFilter(),
    sort: TicketSort = TicketSort(),
    *,
    limit: int = 50,
    after: tuple[Any, int] | None = None,
    viewer_id: int | None = None,
) -> QueuePage:
    """One page of the queue; ``after`` is the cursor of the previous page.

    With ``viewer_id``, ``TicketRow.unread`` tells whether that agent has unread activity.
    """
    column = SORTABLE[sort.key]
    # The sort value comes last in each row, for the cursor.
    query = _queue_select(viewer_id).add_columns(column)
    if len(flt.statuses) > 1 and sort.key in PER_STATUS_SORTS:
        ids = _page_ids_per_status(session, flt, sort, after, limit + 1)
        query = query.where(Ticket.id.in_(ids))
    else:
        query = query.where(*flt.conditions(), *_after(sort, after))
    rows = session.execute(query.order_by(*order_by(sort)).limit(limit + 1)).all()
    more = len(rows) > limit
    page = [_ticket_row(row, viewer_id) for row in rows[:limit]]
    cursor = None
    if more and page:
        last = rows[limit - 1]
        cursor = (last[-1], last[0])
    return QueuePage(page, cursor)


# Sorts with an index led by the status (``ix_tickets_status_updated``, ``…_status_due`` and the
# category / assignee variants): for several statuses, each status's page is read from the index
# and the pages are merged, instead of sorting every matching ticket (500 ms at 1M on SQLite for
# "new or open" by last update; 2 ms merged).
PER_STATUS_SORTS = frozenset({"updated", "due"})


def _after(sort: TicketSort, after: tuple[Any, int] | None) -> list[ColumnElement[bool]]:
    """The keyset condition: rows strictly after the cursor (value, ticket number)."""
    if after is None:
        return []
    column = SORTABLE[sort.key]
    value, last_id = after
    if sort.descending:
        return [or_(column < value, and_(column == value, Ticket.id < last_id))]
    return [or_(column > value, and_(column == value, Ticket.id > last_id))]


def _page_ids_per_status(
    session: Session,
    flt: TicketFilter,
    sort: TicketSort,
    after: tuple[Any, int] | None,
    limit: int,
) -> list[int]:
    """The ids of the next ``limit`` tickets over several statuses, one index range each."""
    column = SORTABLE[sort.key]
    parts = []
    for status in flt.statuses:
        one = replace(flt, statuses=(status,))
        part = (
            select(Ticket.id.label("id"), column.label("sort_value"))
            .where(*one.conditions(), *_after(sort, after))
            .order_by(*order_by(sort))
            .limit(limit)
            .subquery()
        )
        parts.append(select(part.c.id, part.c.sort_value))
    merged = union_all(*parts).subquery()
    if sort.descending:
        ordering = [merged.c.sort_value.desc(), merged.c.id.desc()]
    else:
        ordering = [merged.c.sort_value.asc(), merged.c.id.asc()]
    return list(session.scalars(select(merged.c.id).order_by(*ordering).limit(limit)))


def count_tickets(session: Session, flt: TicketFilter = TicketFilter()) -> int:
    return int(session.scalar(select(func.count(Ticket.id)).where(*flt.conditions())) or 0)


def order_by(sort: TicketSort) -> list[ColumnElement[Any]]:
    """ORDER BY for ``sort``, the ticket number breaking ties (the keyset needs a total order)."""
    column = SORTABLE[sort.key]
    if column is Ticket.id:
        return [Ticket.id.desc() if sort.descending else Ticket.id.asc()]
    if sort.descending:
        return [column.desc(), Ticket.id.desc()]
    return [column.asc(), Ticket.id.asc()]


def sort_ticket_ids(
    session: Session, ids: Sequence[int], flt: TicketFilter, sort: TicketSort
) -> tuple[int, ...]:
    """Those of ``ids`` that ``flt`` allows, in ``sort`` order (the list's joins included)."""
    if not ids:
        return ()
    query = (
        select(Ticket.id)
        .outerjoin(Category, Category.id == Ticket.category_id)
        .outerjoin(Contact, Contact.id == Ticket.contact_id)
        .outerjoin(_Assignee, _Assignee.id == Ticket.assignee_id)
        .where(Ticket.id.in_(list(ids)), *flt.conditions())
        .order_by(*order_by(sort))
    )
    return tuple(session.scalars(query))


def tickets_by_ids(
    session: Session, ids: Sequence[int], *, viewer_id: int | None = None
) -> list[TicketRow]:
    """Queue rows for these tickets, in the order given; ids that no longer exist are skipped."""
    if not ids:
        return []
    found = {
        row[0]: _ticket_row(row, viewer_id)
        for row in session.execute(_queue_select(viewer_id).where(Ticket.id.in_(list(ids))))
    }
    return [found[i] for i in ids if i in found]


# --- what the filter controls offer ------------------------------------------------------------


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    name: str
    name_en: str | None


@dataclass(frozen=True)
class AgentChoice:
    id: int
    name: str
    email: str


@dataclass(frozen=True)
class FilterChoices:
    categories: tuple[CategoryChoice, ...]
    agents: tuple[AgentChoice, ...]  # active agents, by name


def filter_choices(session: Session) -> FilterChoices:
    categories = session.execute(
        select(Category.id, Category.name, Category.name_en).order_by(
            Category.position, Category.id
        )
    )
    people = session.execute(
        select(Agent.id, Agent.name, Agent.email)
        .where(Agent.active.is_(True))
        .order_by(Agent.name, Agent.id)
    )
    return FilterChoices(
        tuple(CategoryChoice(*row) for row in categories),
        tuple(AgentChoice(*row) for row in people),
    )


def category_by_name(session: Session, name: str) -> Category:
    category = session.scalar(
        select(Category).where(
            or_(Category.name == name, func.lower(Category.name_en) == name.lower())
        )
    )
    if category is None:
        raise NotFoundError(f"no category named {name!r}")
    return category


# --- one ticket, with the customer's history -------------------------------------------------


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def money(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


@dataclass
class CustomerSummary:
    order_count: int = 0
    lifetime_spend: Decimal = Decimal(0)
    average_order_value: Decimal = Decimal(0)
    first_purchase: datetime | None = None
    last_purchase: datetime | None = None
    points: int = 0
    currencies: list[str] = field(default_factory=list)


def customer_summary(session: Session, contact_id: int) -> CustomerSummary:
    """Purchase figures over orders that were not cancelled or returned."""
    count, total, first, last = session.execute(
        select(
            func.count(Order.id),
            func.coalesce(func.sum(Order.total), 0),
            func.min(Order.ordered_at),
            func.max(Order.ordered_at),
        ).where(Order.contact_id == contact_id, Order.status.not_in(("cancelled", "returned")))
    ).one()
    contact = session.get(Contact, contact_id)
    total = Decimal(total)
    summary = CustomerSummary(
        order_count=int(count),
        lifetime_spend=total,
        average_order_value=(total / count).quantize(Decimal("0.01")) if count else Decimal(0),
        first_purchase=first,
        last_purchase=last,
        points=contact.points if contact else 0,
    )
    # SQLite returns text for MIN/MAX over a TypeDecorator column in an aggregate.
    if isinstance(summary.first_purchase, str):
        summary.first_purchase = datetime.fromisoformat(summary.first_purchase + "+00:00")
        summary.last_purchase = datetime.fromisoformat(str(summary.last_purchase) + "+00:00")
    return summary


def contact_orders(session: Session, contact_id: int, limit: int = 200) -> Sequence[Order]:
    return session.scalars(
        select(Order)
        .where(Order.contact_id == contact_id)
        .options(selectinload(Order.items))
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(limit)
    ).all()


def contact_deals(session: Session, contact_id: int) -> Sequence[Deal]:
    return session.scalars(
        select(Deal).where(Deal.contact_id == contact_id).order_by(Deal.updated_at.desc())
    ).all()


def contact_tickets(
    session: Session, contact_id: int, *, exclude: int | None = None, limit: int = 100
) -> Sequence[tuple[int, str, str, datetime]]:
    query = (
        select(Ticket.id, Ticket.subject, Ticket.status, Ticket.created_at)
        .where(Ticket.contact_id == contact_id)
        .order_by(Ticket.created_at.desc())
        .limit(limit)
    )
    if exclude is not None:
        query = query.where(Ticket.id != exclude)
    return session.execute(query).all()


def _agent_json(agent: Agent | None) -> dict[str, Any] | None:
    if agent is None:
        return None
    return {"id": agent.id, "name": agent.name, "email": agent.email, "role": agent.role}


def ticket_detail(session: Session, ticket_id: int) -> dict[str, Any]:
    """Everything `tickets show` prints: the ticket, its messages, its customer's history."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError(f"no ticket #{ticket_id}")
    messages = session.scalars(
        select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
    ).all()
    contact_json: dict[str, Any] | None = None
    orders_json: list[dict[str, Any]] = []
    deals_json: list[dict[str, Any]] = []
    earlier: list[dict[str, Any]] = []
    summary_json: dict[str, Any] | None = None
    if ticket.contact is not None:
        contact = ticket.contact
        contact_json = {
            "id": contact.id,
            "name": contact.name,
            "name_kana": contact.name_kana,
            "email": contact.email,
            "phone": contact.phone,
            "company": contact.company.name if contact.company else None,
            "lifecycle": contact.lifecycle,
            "qualification": contact.qualification,
            "points": contact.points,
            "version": contact.version,
        }
        orders_json = [
            {
                "id": o.id,
                "number": o.number,
                "ordered_at": iso(o.ordered_at),
                "status": o.status,
                "currency": o.currency,
                "total": money(o.total),
                "points_earned": o.points_earned,
                "points_used": o.points_used,
                "items": [
                    {
                        "sku": i.sku,
                        "name": i.name,
                        "quantity": i.quantity,
                        "unit_price": money(i.unit_price),
                    }
                    for i in o.items
                ],
            }
            for o in contact_orders(session, contact.id)
        ]
        deals_json = [
            {
                "id": d.id,
                "title": d.title,
                "stage": d.stage,
                "amount": money(d.amount),
                "currency": d.currency,
                "expected_close": iso(d.expected_close),
            }
            for d in contact_deals(session, contact.id)
        ]
        earlier = [
            {"number": n, "subject": s, "status": st, "created_at": iso(c)}
            for n, s, st, c in contact_tickets(session, contact.id, exclude=ticket.id)
        ]
        summary = customer_summary(session, contact.id)
        summary_json = {
            "order_count": summary.order_count,
            "lifetime_spend": money(summary.lifetime_spend),
            "average_order_value": money(summary.average_order_value),
            "first_purchase": iso(summary.first_purchase),
            "last_purchase": iso(summary.last_purchase),
        }
    return {
        "number": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category.name if ticket.category else None,
        "tags": list(ticket.tags or []),
        "channel": ticket.channel,
        "assignee": _agent_json(ticket.assignee),
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "updated_by": _agent_json(ticket.updated_by),
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
        "due_at": iso(ticket.due_at),
        "merged_into": ticket.merged_into_id,
        "version": ticket.version,
        "messages": [
            {
                "id": m.id,
                "direction": m.direction,
                "from": m.from_address,
                "to": m.to_addresses,
                "subject": m.subject,
                "created_at": iso(m.created_at),
                "text": m.body_text,
                "thread_reason": m.thread_reason,
            }
            for m in messages
        ],
        "contact": contact_json,
        "customer_summary": summary_json,
        "orders": orders_json,
        "deals": deals_json,
        "earlier_tickets": earlier,
    }


# --- database facts ----------------------------------------------------------------------------

# The entities `db info` counts, in the order it prints them.
COUNTED_TABLES = (
    "agents",
    "tickets",
    "messages",
    "contacts",
    "companies",
    "deals",
    "orders",
    "order_items",
    "categories",
    "templates",
    "mailboxes",
    "attachments",
    "quarantine",
    "outbox",
    "events",
    "changes",
)


def table_counts(session: Session) -> dict[str, int]:
    """Row counts per entity, for `db info`."""
    tables = Base.metadata.tables
    counts: dict[str, int] = {}
    for name in COUNTED_TABLES:
        counts[name] = int(session.scalar(select(func.count()).select_from(tables[name])) or 0)
    return counts
