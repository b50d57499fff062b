"""The customer beside a ticket: contact card, deals, orders with items, figures, earlier tickets.

``customer_history`` is what the desktop's customer panel loads each time the selected ticket
changes, so it is one short batch of indexed queries (ticket + contact, deals, orders, their
items, the purchase figures, earlier tickets) on one session, selecting columns rather than ORM
objects. It returns frozen dataclasses of plain values: nothing can lazy-load later on another
thread.

Purchase figures count orders that were neither cancelled nor returned, as
``queries.customer_summary`` does, but per currency: amounts in different currencies are never
added together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm_desk.errors import NotFoundError
from crm_desk.store.models import (
    Agent,
    Company,
    Contact,
    Deal,
    Order,
    OrderItem,
    OrderStatus,
    Ticket,
)

# Orders that did not end in a purchase: shown in the history, left out of the figures.
NOT_COUNTED_STATUSES: tuple[str, ...] = (OrderStatus.CANCELLED, OrderStatus.RETURNED)

# Enough for any real customer's history in one go; the figures always cover every order.
DEFAULT_ORDER_LIMIT = 500
DEFAULT_TICKET_LIMIT = 100

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class ContactCard:
    id: int
    name: str
    name_kana: str | None
    email: str
    phone: str | None
    company: str | None
    lifecycle: str
    qualification: str
    points: int
    version: int  # pass back as ``expected_version`` when saving an edit
    updated_at: datetime
    updated_by: str | None  # the agent's name; None for the mail sync or an import


@dataclass(frozen=True)
class DealLine:
    id: int
    title: str
    stage: str
    amount: Decimal
    currency: str
    expected_close: datetime | None
    is_ticket_deal: bool  # the deal this ticket is linked to


@dataclass(frozen=True)
class OrderItemLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class OrderLine:
    id: int
    number: str
    ordered_at: datetime
    status: str
    currency: str
    total: Decimal
    points_earned: int
    points_used: int
    items: tuple[OrderItemLine, ...]

    @property
    def counted(self) -> bool:
        """Whether the order is part of the purchase figures."""
        return self.status not in NOT_COUNTED_STATUSES


@dataclass(frozen=True)
class Spend:
    """Purchases in one currency."""

    currency: str
    total: Decimal
    order_count: int
    average: Decimal


@dataclass(frozen=True)
class PurchaseSummary:
    order_count: int  # counted orders (not cancelled or returned), every currency
    all_orders: int  # every order, the shown history's full length
    spend: tuple[Spend, ...]  # one per currency, the most used first
    first_purchase: datetime | None
    last_purchase: datetime | None
    points: int  # the contact's current balance


@dataclass(frozen=True)
class EarlierTicket:
    id: int
    subject: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class CustomerHistory:
    ticket_id: int
    contact: ContactCard
    summary: PurchaseSummary
    deals: tuple[DealLine, ...]
    orders: tuple[OrderLine, ...]  # newest first, at most the limit asked for
    earlier_tickets: tuple[EarlierTicket, ...]  # newest first, the ticket itself left out
    more_tickets: bool  # earlier tickets beyond the limit exist

    @property
    def more_orders(self) -> bool:
        return self.summary.all_orders > len(self.orders)


def customer_history(
    session: Session,
    ticket_id: int,
    *,
    order_limit: int = DEFAULT_ORDER_LIMIT,
    ticket_limit: int = DEFAULT_TICKET_LIMIT,
) -> CustomerHistory | None:
    """The history of the customer of ticket ``ticket_id``; None when it has no contact.

    Raises ``NotFoundError`` when there is no such ticket.
    """
    row = session.execute(
        select(Ticket.contact_id, Ticket.deal_id).where(Ticket.id == ticket_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no ticket #{ticket_id}")
    contact_id, ticket_deal_id = row
    if contact_id is None:
        return None
    card = contact_card(session, contact_id)
    earlier, more_tickets = _earlier_tickets(session, contact_id, ticket_id, ticket_limit)
    return CustomerHistory(
        ticket_id=ticket_id,
        contact=card,
        summary=_summary(session, contact_id, card.points),
        deals=_deals(session, contact_id, ticket_deal_id),
        orders=_orders(session, contact_id, order_limit),
        earlier_tickets=earlier,
        more_tickets=more_tickets,
    )


def contact_card(session: Session, contact_id: int) -> ContactCard:
    """The contact card alone (after an edit, without reloading the whole history)."""
    row = session.execute(
        select(
            Contact.id,
            Contact.name,
            Contact.name_kana,
            Contact.email,
            Contact.phone,
            Company.name,
            Contact.lifecycle,
            Contact.qualification,
            Contact.points,
            Contact.version,
            Contact.updated_at,
            Agent.name,
        )
        .outerjoin(Company, Company.id == Contact.company_id)
        .outerjoin(Agent, Agent.id == Contact.updated_by_id)
        .where(Contact.id == contact_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no contact with id {contact_id}")
    contact, name, kana, email, phone, company, lifecycle, qualification, points = row[:9]
    version, updated_at, updated_by = row[9:]
    return ContactCard(
        id=contact,
        name=name,
        name_kana=kana,
        email=email,
        phone=phone,
        company=company,
        lifecycle=lifecycle,
        qualification=qualification,
        points=points,
        version=version,
        updated_at=updated_at,
        updated_by=updated_by,
    )


def _deals(session: Session, contact_id: int, ticket_deal_id: int | None) -> tuple[DealLine, ...]:
    rows = session.execute(
        select(Deal.id, Deal.title, Deal.stage, Deal.amount, Deal.currency, Deal.expected_close)
        .where(Deal.contact_id == contact_id)
        .order_by(Deal.updated_at.desc(), Deal.id.desc())
    ).all()
    return tuple(
        DealLine(deal_id, title, stage, _money(amount), currency, close, deal_id == ticket_deal_id)
        for deal_id, title, stage, amount, currency, close in rows
    )


def _orders(session: Session, contact_id: int, limit: int) -> tuple[OrderLine, ...]:
    rows = session.execute(
        select(
            Order.id,
            Order.number,
            Order.ordered_at,
            Order.status,
            Order.currency,
            Order.total,
            Order.points_earned,
            Order.points_used,
        )
        .where(Order.contact_id == contact_id)
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return ()
    items: dict[int, list[OrderItemLine]] = {row[0]: [] for row in rows}
    item_rows = session.execute(
        select(
            OrderItem.order_id,
            OrderItem.sku,
            OrderItem.name,
            OrderItem.quantity,
            OrderItem.unit_price,
        )
        .where(OrderItem.order_id.in_(list(items)))
        .order_by(OrderItem.order_id, OrderItem.id)
    ).all()
    for order_id, sku, name, quantity, unit_price in item_rows:
        items[order_id].append(OrderItemLine(sku, name, quantity, _money(unit_price)))
    return tuple(
        OrderLine(
            id=order_id,
            number=number,
            ordered_at=ordered_at,
            status=status,
            currency=currency,
            total=_money(total),
            points_earned=earned,
            points_used=used,
            items=tuple(items[order_id]),
        )
        for order_id, number, ordered_at, status, currency, total, earned, used in rows
    )


def _summary(session: Session, contact_id: int, points: int) -> PurchaseSummary:
    counted = Order.status.not_in(NOT_COUNTED_STATUSES)
    rows = session.execute(
        select(
            Order.currency,
            func.count(Order.id),
            func.count(case((counted, Order.id))),
            func.sum(case((counted, Order.total), else_=0)),
            func.min(case((counted, Order.ordered_at))),
            func.max(case((counted, Order.ordered_at))),
        )
        .where(Order.contact_id == contact_id)
        .group_by(Order.currency)
    ).all()
    spend: list[Spend] = []
    firsts: list[datetime] = []
    lasts: list[datetime] = []
    all_orders = 0
    for currency, every, count, total, first, last in rows:
        all_orders += int(every)
        if not count:
            continue
        amount = _money(total)
        average = (amount / count).quantize(_CENT)
        spend.append(Spend(currency, amount, int(count), average))
        firsts.append(_utc(first))
        lasts.append(_utc(last))
    spend.sort(key=lambda s: (-s.order_count, s.currency))
    return PurchaseSummary(
        order_count=sum(s.order_count for s in spend),
        all_orders=all_orders,
        spend=tuple(spend),
        first_purchase=min(firsts, default=None),
        last_purchase=max(lasts, default=None),
        points=points,
    )


def _earlier_tickets(
    session: Session, contact_id: int, ticket_id: int, limit: int
) -> tuple[tuple[EarlierTicket, ...], bool]:
    rows = session.execute(
        select(Ticket.id, Ticket.subject, Ticket.status, Ticket.created_at)
        .where(Ticket.contact_id == contact_id, Ticket.id != ticket_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit + 1)
    ).all()
    return tuple(EarlierTicket(*row) for row in rows[:limit]), len(rows) > limit


def _money(value: Any) -> Decimal:
    """An amount as a Decimal in cents (SQLite may hand back a float for a SUM)."""
    if value is None:
        return Decimal(0).quantize(_CENT)
    return Decimal(str(value)).quantize(_CENT)


def _utc(value: datetime | str) -> datetime:
    """An aggregated timestamp: SQLite returns MIN/MAX over an expression as stored text."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
