"""customer_history: exactly one contact's card, deals, orders, figures and earlier tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_desk.core import customers, demo, queries, tickets
from crm_desk.core.history import CustomerHistory, contact_card, customer_history
from crm_desk.errors import NotFoundError
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Deal, Order, OrderItem, Ticket
from tests.support.factories import Team, make_team

Item = tuple[str, str, int, str]  # sku, name, quantity, unit price


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def add_order(
    session: Session,
    contact_id: int,
    number: str,
    ordered_at: datetime,
    items: Sequence[Item],
    *,
    status: str = "delivered",
    currency: str = "JPY",
    points_earned: int = 0,
    points_used: int = 0,
) -> Order:
    """Orders arrive from the shop's export; there is no service to place one, so tests (like
    the demo builder) write the rows themselves."""
    total = sum((Decimal(price) * quantity for _, _, quantity, price in items), Decimal(0))
    order = Order(
        number=number,
        contact_id=contact_id,
        ordered_at=ordered_at,
        status=status,
        currency=currency,
        total=total,
        points_earned=points_earned,
        points_used=points_used,
        items=[
            OrderItem(sku=sku, name=name, quantity=quantity, unit_price=Decimal(price))
            for sku, name, quantity, price in items
        ],
    )
    session.add(order)
    session.flush()
    return order


def add_deal(
    session: Session,
    contact_id: int,
    title: str,
    stage: str,
    amount: str,
    *,
    updated_at: datetime,
    expected_close: datetime | None = None,
) -> Deal:
    deal = Deal(
        title=title,
        contact_id=contact_id,
        stage=stage,
        amount=Decimal(amount),
        currency="JPY",
        expected_close=expected_close,
        created_at=updated_at,
        updated_at=updated_at,
    )
    session.add(deal)
    session.flush()
    return deal


@dataclass(frozen=True)
class Shop:
    team: Team
    other_contact_id: int
    older_ticket_id: int  # Taro's, from January
    middle_ticket_id: int  # Taro's, from February
    other_ticket_id: int  # Hanako's
    no_contact_ticket_id: int
    renewal_deal_id: int


def make_shop(db: Database) -> Shop:
    """Taro (make_team's customer) with four orders in two currencies, two deals and three
    tickets; Hanako with an order, a deal and a ticket of her own that must never leak."""
    team = make_team(db)
    with db.write() as session:
        hanako, _ = customers.match_or_create_contact(
            session, None, "髙橋 花子 <hanako@example.co.jp>"
        )
        taro = team.contact_id
        add_order(
            session,
            taro,
            "A-1001",
            at("2025-01-05T10:00:00"),
            [("KB-01", "ワイヤレスキーボード", 1, "9800"), ("CB-02", "USB-C ケーブル", 2, "1500")],
            points_earned=128,
        )
        add_order(
            session,
            taro,
            "A-1002",
            at("2025-02-01T09:30:00"),
            [("MS-03", "マウス", 1, "3980")],
            status="shipped",
            points_used=500,
        )
        add_order(
            session,
            taro,
            "US-2001",
            at("2025-02-15T18:00:00"),
            [("BK-04", "Travel guide", 1, "49.50")],
            currency="USD",
        )
        add_order(
            session,
            taro,
            "A-1003",
            at("2025-03-01T08:00:00"),
            [("HP-05", "ヘッドホン", 1, "5000")],
            status="cancelled",
        )
        add_order(
            session,
            hanako.id,
            "H-9001",
            at("2025-02-20T12:00:00"),
            [("TV-09", "テレビ", 1, "128000")],
        )
        add_deal(
            session,
            taro,
            "年間保守契約",
            "proposal",
            "1200000",
            updated_at=at("2025-02-01T00:00:00"),
            expected_close=at("2025-06-30T00:00:00"),
        )
        renewal = add_deal(
            session, taro, "Renewal 2024", "won", "300000", updated_at=at("2025-01-01T00:00:00")
        )
        add_deal(
            session, hanako.id, "Hanako's deal", "negotiation", "50000", updated_at=at("2025-03-01")
        )
        older = tickets.create_ticket(
            session,
            None,
            subject="領収書をください",
            contact_id=taro,
            created_at=at("2025-01-10T09:00:00"),
        )
        middle = tickets.create_ticket(
            session,
            None,
            subject="Where is order A-1002?",
            contact_id=taro,
            created_at=at("2025-02-10T09:00:00"),
        )
        other = tickets.create_ticket(
            session, None, subject="テレビが映らない", contact_id=hanako.id
        )
        no_contact = tickets.create_ticket(session, None, subject="Web form, no address")
        # Linking a ticket to a deal has no service yet; the panel only reads the link.
        linked = session.get(Ticket, middle.id)
        assert linked is not None
        linked.deal_id = renewal.id
        return Shop(team, hanako.id, older.id, middle.id, other.id, no_contact.id, renewal.id)


@pytest.fixture
def shop(db: Database) -> Shop:
    return make_shop(db)


def history_of(db: Database, ticket_id: int, **limits: int) -> CustomerHistory:
    with db.read() as session:
        history = customer_history(session, ticket_id, **limits)
    assert history is not None
    return history


def test_card_figures_deals_orders_and_tickets_of_exactly_this_contact(
    db: Database, shop: Shop
) -> None:
    history = history_of(db, shop.team.ticket_id)

    card = history.contact
    assert card.id == shop.team.contact_id
    assert (card.name, card.email, card.company) == ("山田 太郎", "taro@example.jp", None)
    assert (card.lifecycle, card.qualification, card.version) == ("contact", "none", 1)

    # Newest first, with their items in order; Hanako's order never appears.
    assert [o.number for o in history.orders] == ["A-1003", "US-2001", "A-1002", "A-1001"]
    first = history.orders[-1]
    assert [(i.sku, i.quantity, i.unit_price) for i in first.items] == [
        ("KB-01", 1, Decimal("9800.00")),
        ("CB-02", 2, Decimal("1500.00")),
    ]
    assert first.total == Decimal("12800.00") and first.points_earned == 128
    assert history.orders[2].points_used == 500
    assert history.orders[1].currency == "USD" and history.orders[1].total == Decimal("49.50")
    assert not history.orders[0].counted  # cancelled
    assert not history.more_orders

    # Figures leave the cancelled order out and never add yen to dollars.
    summary = history.summary
    assert (summary.order_count, summary.all_orders) == (3, 4)
    assert [(s.currency, s.total, s.order_count, s.average) for s in summary.spend] == [
        ("JPY", Decimal("16780.00"), 2, Decimal("8390.00")),
        ("USD", Decimal("49.50"), 1, Decimal("49.50")),
    ]
    assert summary.first_purchase == at("2025-01-05T10:00:00")
    assert summary.last_purchase == at("2025-02-15T18:00:00")

    # Most recently updated first; the ticket's own deal is marked only from its ticket.
    assert [(d.title, d.stage, d.amount) for d in history.deals] == [
        ("年間保守契約", "proposal", Decimal("1200000.00")),
        ("Renewal 2024", "won", Decimal("300000.00")),
    ]
    assert history.deals[0].expected_close == at("2025-06-30T00:00:00")
    assert not any(d.is_ticket_deal for d in history.deals)

    # The current ticket is left out; the others newest first.
    assert [t.id for t in history.earlier_tickets] == [shop.middle_ticket_id, shop.older_ticket_id]
    assert history.earlier_tickets[0].subject == "Where is order A-1002?"
    assert history.earlier_tickets[0].status == "new"
    assert not history.more_tickets


def test_another_ticket_of_the_same_contact_lists_the_current_one_as_earlier(
    db: Database, shop: Shop
) -> None:
    history = history_of(db, shop.middle_ticket_id)
    assert [t.id for t in history.earlier_tickets] == [shop.team.ticket_id, shop.older_ticket_id]
    assert [d.is_ticket_deal for d in history.deals] == [False, True]


def test_the_other_contact_sees_only_her_own(db: Database, shop: Shop) -> None:
    history = history_of(db, shop.other_ticket_id)
    assert history.contact.id == shop.other_contact_id
    assert history.contact.name == "髙橋 花子"
    assert [o.number for o in history.orders] == ["H-9001"]
    assert [d.title for d in history.deals] == ["Hanako's deal"]
    assert history.earlier_tickets == ()
    assert history.summary.spend[0].total == Decimal("128000.00")


def test_limits_keep_the_newest_and_say_there_is_more(db: Database, shop: Shop) -> None:
    history = history_of(db, shop.team.ticket_id, order_limit=2, ticket_limit=1)
    assert [o.number for o in history.orders] == ["A-1003", "US-2001"]
    assert history.more_orders
    assert history.summary.all_orders == 4  # the figures still cover every order
    assert [t.id for t in history.earlier_tickets] == [shop.middle_ticket_id]
    assert history.more_tickets


def test_no_contact_gives_none_and_no_ticket_is_not_found(db: Database, shop: Shop) -> None:
    with db.read() as session:
        assert customer_history(session, shop.no_contact_ticket_id) is None
        with pytest.raises(NotFoundError):
            customer_history(session, 999_999)


def test_a_contact_without_orders_has_empty_figures(db: Database) -> None:
    team = make_team(db)
    history = history_of(db, team.ticket_id)
    assert history.orders == () and history.deals == () and history.earlier_tickets == ()
    summary = history.summary
    assert (summary.order_count, summary.all_orders, summary.spend) == (0, 0, ())
    assert summary.first_purchase is None and summary.last_purchase is None


def test_the_card_shows_the_edit_its_version_and_who_made_it(db: Database, shop: Shop) -> None:
    with db.write() as session:
        alice = session.get(Agent, shop.team.alice_id)
        assert alice is not None
        edited = customers.update_contact(
            session,
            alice,
            shop.team.contact_id,
            customers.ContactEdit(company_name="㈱髙橋商事", lifecycle="customer"),
            expected_version=1,
        )
        version = edited.version
    assert version > 1
    with db.read() as session:
        card = contact_card(session, shop.team.contact_id)
        assert (card.company, card.lifecycle, card.version) == ("㈱髙橋商事", "customer", version)
        assert card.updated_by == "Alice Agent"
        with pytest.raises(NotFoundError):
            contact_card(session, 999_999)


def test_demo_data_every_ticket_shows_its_own_contacts_rows(db: Database) -> None:
    demo.build_demo(db, tickets=40, seed=3)
    with db.read() as session:
        ticket_rows = session.execute(select(Ticket.id, Ticket.contact_id).limit(40)).all()
        checked = 0
        for ticket_id, contact_id in ticket_rows:
            history = customer_history(session, ticket_id)
            if contact_id is None:
                assert history is None
                continue
            assert history is not None and history.contact.id == contact_id
            order_ids = [o.id for o in history.orders]
            owners = set(
                session.scalars(select(Order.contact_id).where(Order.id.in_(order_ids))).all()
            )
            assert owners <= {contact_id}
            expected_orders = session.scalar(
                select(func.count(Order.id)).where(Order.contact_id == contact_id)
            )
            assert len(order_ids) == expected_orders == history.summary.all_orders
            ordered = [o.ordered_at for o in history.orders]
            assert ordered == sorted(ordered, reverse=True)
            expected_items = session.scalar(
                select(func.count(OrderItem.id)).where(OrderItem.order_id.in_(order_ids))
            )
            assert sum(len(o.items) for o in history.orders) == expected_items
            deal_ids = session.scalars(select(Deal.id).where(Deal.contact_id == contact_id)).all()
            assert sorted(d.id for d in history.deals) == sorted(deal_ids)
            # The same figures as `tickets show` (the demo sells in yen only).
            reference = queries.customer_summary(session, contact_id)
            assert history.summary.order_count == reference.order_count
            spend = history.summary.spend[0].total if history.summary.spend else Decimal(0)
            assert spend == reference.lifetime_spend
            assert history.summary.points == reference.points
            checked += 1
        assert checked > 10
