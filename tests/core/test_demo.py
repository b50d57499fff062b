"""Demo data: complete, consistent, searchable and reproducible, on both engines."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from crm_desk.core import demo, search, tickets
from crm_desk.core.queries import TicketFilter, list_tickets
from crm_desk.errors import ConflictError
from crm_desk.store.bulk import Timestamps
from crm_desk.store.db import Database
from crm_desk.store.models import (
    PRIORITY_RANK,
    Agent,
    Category,
    Change,
    Company,
    Contact,
    Deal,
    DealStage,
    Lifecycle,
    Message,
    Order,
    OrderItem,
    Priority,
    Qualification,
    SearchDoc,
    Template,
    Ticket,
    TicketStatus,
)
from crm_desk.store.schema import open_database
from tests.support.postgres import PostgresCluster

TICKETS = 300
_KANA_OR_KANJI = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _other_database(db: Database, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """A second new database on the same engine as ``db``."""
    if db.is_sqlite:
        return open_database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    return open_database(cluster.create_database())


@pytest.fixture
def built(db: Database) -> Iterator[tuple[Database, demo.DemoResult]]:
    result = demo.build_demo(db, tickets=TICKETS, seed=7)
    yield db, result


def digest(db: Database, *, with_money: bool = True) -> str:
    """A fingerprint of the generated conversations (ids, text, times, headers) and orders.

    ``with_money=False`` leaves out the amounts, whose Decimal scale differs between engines.
    """
    hasher = hashlib.sha256()
    queries = [
        select(
            Ticket.id, Ticket.subject, Ticket.status, Ticket.priority, Ticket.created_at,
            Ticket.updated_at, Ticket.contact_id, Ticket.assignee_id,
        ).order_by(Ticket.id),
        select(
            Message.ticket_id, Message.direction, Message.from_address, Message.body_text,
            Message.message_id_header, Message.references, Message.created_at,
        ).order_by(Message.id),
        select(Order.number, Order.ordered_at, Order.total if with_money else Order.status)
        .order_by(Order.id),
    ]  # fmt: skip
    with db.read() as session:
        for query in queries:
            for row in session.execute(query):
                hasher.update(repr(tuple(row)).encode())
    return hasher.hexdigest()


def test_counts_and_every_kind_of_record(built: tuple[Database, demo.DemoResult]) -> None:
    db, result = built
    assert result.tickets == TICKETS
    assert result.seconds > 0
    with db.read() as session:

        def count(model: type[object]) -> int:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

        assert count(Ticket) == TICKETS
        assert count(Message) == result.messages
        assert TICKETS <= result.messages <= 5 * TICKETS
        assert count(Contact) == result.contacts == demo.MIN_CONTACTS
        assert count(Company) == result.companies >= 40
        assert count(Deal) == result.deals > 0
        assert count(Order) == result.orders > 0
        assert count(OrderItem) == result.order_items >= result.orders
        assert count(Agent) == result.agents >= 5
        assert count(SearchDoc) == TICKETS + result.contacts

        roles = Counter(session.scalars(select(Agent.role)))
        assert roles["lead"] >= 1 and roles["admin"] >= 1 and roles["agent"] >= 3
        lead = session.scalar(select(Agent).where(Agent.email == demo.DEMO_LEAD_EMAIL))
        assert lead is not None and lead.role == "lead"

        statuses = set(session.scalars(select(Ticket.status)))
        assert statuses == {s.value for s in TicketStatus}
        assert set(session.scalars(select(Ticket.priority))) == {p.value for p in Priority}
        assert set(session.scalars(select(Deal.stage))) == {s.value for s in DealStage}
        assert set(session.scalars(select(Contact.lifecycle))) == {s.value for s in Lifecycle}
        assert set(session.scalars(select(Contact.qualification))) == {
            q.value for q in Qualification
        }
        assert set(session.scalars(select(Ticket.channel))) == {"mail", "form"}
        assert set(session.scalars(select(Message.direction))) == {"in", "out", "note"}

        categories = {c.name: c.name_en for c in session.scalars(select(Category))}
        assert categories["注文・配送"] == "Orders & delivery"
        assert categories["返品・交換"] == "Returns & exchanges"
        assert categories["請求・支払い"] == "Billing & payment"
        assert categories["製品の使い方"] == "Product how-to"
        assert categories["その他"] == "Other"
        categorised = session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.category_id.is_not(None))
        )
        assert categorised is not None and categorised > TICKETS // 2

        templates = session.scalars(select(Template)).all()
        assert len(templates) >= 6
        assert {t.language for t in templates} == {"ja", "en"}
        bodies = " ".join(t.body for t in templates)
        for placeholder in ("{{ customer.name }}", "{{ order.number }}", "{{ ticket.number }}"):
            assert placeholder in bodies

        # Japanese and English, in names and in mail.
        names = session.scalars(select(Contact.name)).all()
        assert any(_KANA_OR_KANJI.search(n) for n in names)
        assert any(n.isascii() for n in names)
        kana = session.scalars(select(Contact.name_kana).where(Contact.name_kana.is_not(None)))
        assert all(re.fullmatch(r"[\u30a0-\u30ff ]+", k or "") for k in kana)
        company_names = session.scalars(select(Company.name)).all()
        assert any("株式会社" in n for n in company_names)
        assert any(n.endswith("Inc.") for n in company_names)
        texts = session.scalars(select(Message.body_text)).all()
        japanese = sum(1 for t in texts if _KANA_OR_KANJI.search(t))
        assert japanese > len(texts) // 2  # most mail is Japanese
        assert any(t.isascii() for t in texts)
        for word in ("注文番号", "返品", "配送", "請求書", "お問い合わせ", "refund", "order"):
            assert any(word in t for t in texts), word

        feed = session.scalars(select(Change).where(Change.entity == "demo")).all()
        assert [c.kind for c in feed] == ["demo.loaded"]


def test_records_are_consistent(built: tuple[Database, demo.DemoResult]) -> None:
    db, _ = built
    with db.read() as session:
        # Orders: totals are the sum of their items; points follow the orders.
        item_sums = dict(
            session.execute(
                select(OrderItem.order_id, func.sum(OrderItem.quantity * OrderItem.unit_price))
                .group_by(OrderItem.order_id)
            ).all()
        )  # fmt: skip
        orders = session.scalars(select(Order)).all()
        statuses = Counter(o.status for o in orders)
        assert statuses["delivered"] > statuses["cancelled"] > 0
        points: Counter[int] = Counter()
        for order in orders:
            assert Decimal(item_sums[order.id]) == order.total
            assert order.currency == "JPY"
            assert order.ordered_at <= demo.DEMO_NOW
            if order.status in ("cancelled", "returned"):
                assert order.points_earned == 0
            else:
                assert order.points_earned == int(order.total) // 100  # about 1 %
            points[order.contact_id] += order.points_earned - order.points_used
        assert any(o.points_used for o in orders)
        contacts = session.scalars(select(Contact)).all()
        for contact in contacts:
            assert contact.points == points[contact.id] >= 0
        per_stage = Counter(c.lifecycle for c in contacts)
        orders_of = Counter(o.contact_id for o in orders)
        lifecycle = {c.id: c.lifecycle for c in contacts}
        customer_orders = sum(n for c, n in orders_of.items() if lifecycle[c] == "customer")
        lead_orders = sum(n for c, n in orders_of.items() if lifecycle[c] == "lead")
        assert customer_orders / per_stage["customer"] > 1 + lead_orders / per_stage["lead"]

        # Tickets agree with their messages.
        messages: dict[int, list[Message]] = {}
        for message in session.scalars(select(Message).order_by(Message.id)):
            messages.setdefault(message.ticket_id, []).append(message)
        order_numbers: dict[int, set[str]] = {}
        for order in orders:
            order_numbers.setdefault(order.contact_id, set()).add(order.number)
        mentioned = 0
        for ticket in session.scalars(select(Ticket)):
            thread = messages[ticket.id]
            assert 1 <= len(thread) == ticket.message_count <= 5
            assert ticket.version == 1
            assert ticket.priority_rank == PRIORITY_RANK[Priority(ticket.priority)]
            assert ticket.tags is not None
            assert ticket.contact_id is not None
            assert thread[0].direction == "in"
            assert ticket.created_at == thread[0].created_at
            assert ticket.updated_at == thread[-1].created_at <= demo.DEMO_NOW
            assert [m.created_at for m in thread] == sorted(m.created_at for m in thread)
            replies = [m for m in thread if m.direction == "out"]
            assert ticket.first_response_at == (replies[0].created_at if replies else None)
            if ticket.status in ("resolved", "closed"):
                assert ticket.resolved_at == ticket.updated_at
            else:
                assert ticket.resolved_at is None
            if ticket.status == "new":
                assert ticket.assignee_id is None and not replies
            if ticket.due_at is not None:
                assert ticket.status in ("new", "open", "pending")
            # Threading headers point at earlier messages of the same conversation.
            seen: list[str] = []
            for message in thread:
                if message.direction == "note":
                    assert message.message_id_header is None
                    continue
                assert message.message_id_header and message.message_id_header.startswith("<")
                if seen:
                    assert message.in_reply_to == seen[-1]
                    assert message.references == " ".join(seen)
                else:
                    assert message.in_reply_to is None
                seen.append(message.message_id_header)
            # Order numbers in the mail are orders of this customer.
            for number in re.findall(r"\d{8}-\d{7}", ticket.subject + thread[0].body_text):
                assert number in order_numbers.get(ticket.contact_id, set())
                mentioned += 1
        assert mentioned > 10

        deals = session.scalars(select(Deal)).all()
        for deal in deals:
            assert deal.currency == "JPY" and deal.amount > 0 and deal.owner_id is not None
            assert deal.expected_close is not None
            if deal.stage in ("won", "lost"):
                assert deal.expected_close <= demo.DEMO_NOW
            else:
                assert deal.expected_close > demo.DEMO_NOW


def test_search_finds_demo_text_and_documents_match(
    built: tuple[Database, demo.DemoResult],
) -> None:
    db, _ = built
    with db.read() as session:
        for term in ("注文", "返品", "請求書", "refund", "配送"):
            page = search.search(session, term)
            assert any(hit.kind == "ticket" for hit in page.hits), term
        contact = session.scalars(select(Contact).order_by(Contact.id.desc())).first()
        assert contact is not None
        hits = search.search(session, contact.email).hits
        assert any(hit.kind == "contact" and hit.id == contact.id for hit in hits)

        ticket_ids = session.scalars(select(Ticket.id).order_by(Ticket.id)).all()
        for ticket_id in [*ticket_ids[:: max(1, len(ticket_ids) // 40)], ticket_ids[-1]]:
            body = session.scalar(select(SearchDoc.body).where(SearchDoc.ticket_id == ticket_id))
            assert body == search.ticket_document(session, ticket_id)
        for contact in session.scalars(select(Contact).order_by(Contact.id).limit(40)):
            body = session.scalar(select(SearchDoc.body).where(SearchDoc.contact_id == contact.id))
            assert body == search.contact_document(session, contact)


def test_queue_and_services_work_on_demo_data(built: tuple[Database, demo.DemoResult]) -> None:
    db, _ = built
    with db.read() as session:
        page = list_tickets(session, TicketFilter(statuses=("closed",)), limit=20)
        assert len(page.rows) == 20 and page.cursor is not None
        updated = [row.updated_at for row in page.rows]
        assert updated == sorted(updated, reverse=True)
        assert all(row.updated_at.tzinfo is not None for row in page.rows)
        newest = session.scalar(select(func.max(Ticket.id)))
    # Ids were given explicitly: the next ticket, message and search document still get new
    # ones (PostgreSQL's sequences were moved past them).
    with db.write() as session:
        lead = session.scalar(select(Agent).where(Agent.email == demo.DEMO_LEAD_EMAIL))
        assert lead is not None
        contact_id = session.scalar(select(func.min(Contact.id)))
        ticket = tickets.create_ticket(
            session, lead, subject="新しいお問い合わせ", contact_id=contact_id, body_text="注文"
        )
        tickets.add_note(session, lead, ticket.id, "確認します")
        assert newest is not None and ticket.id == newest + 1


def test_same_seed_same_data_other_seed_other_data(
    db: Database, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    other = _other_database(db, request, tmp_path)
    third = _other_database(db, request, tmp_path / "third") if db.is_postgres else None
    try:
        demo.build_demo(db, tickets=120, seed=3)
        demo.build_demo(other, tickets=120, seed=3)
        assert digest(db) == digest(other)
        if third is None:
            (tmp_path / "third").mkdir()
            third = open_database(f"sqlite:///{tmp_path / 'third' / 'db.sqlite3'}")
        demo.build_demo(third, tickets=120, seed=4)
        assert digest(third) != digest(db)
    finally:
        other.dispose()
        if third is not None:
            third.dispose()


@pytest.mark.postgres
def test_both_engines_get_the_same_data(pg_cluster: PostgresCluster, tmp_path: Path) -> None:
    """Times are encoded differently per engine (naive text, timestamptz); they must agree."""
    lite = open_database(f"sqlite:///{tmp_path / 'lite.sqlite3'}")
    postgres = open_database(pg_cluster.create_database())
    try:
        demo.build_demo(lite, tickets=80, seed=9)
        demo.build_demo(postgres, tickets=80, seed=9)
        assert digest(lite, with_money=False) == digest(postgres, with_money=False)
    finally:
        lite.dispose()
        postgres.dispose()


def test_generation_in_a_child_process_gives_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inline = open_database(f"sqlite:///{tmp_path / 'inline.sqlite3'}")
    forked = open_database(f"sqlite:///{tmp_path / 'forked.sqlite3'}")
    monkeypatch.setattr(demo, "TICKET_CHUNK", 40)
    demo.build_demo(inline, tickets=150, seed=5)
    monkeypatch.setattr(demo, "PARALLEL_MIN_TICKETS", 1)
    seen: list[tuple[str, int, int]] = []
    demo.build_demo(forked, tickets=150, seed=5, progress=lambda *a: seen.append(a))
    assert digest(inline) == digest(forked)
    assert [s for s in seen if s[0] == "tickets"] == [
        ("tickets", 40, 150),
        ("tickets", 80, 150),
        ("tickets", 120, 150),
        ("tickets", 150, 150),
    ]
    inline.dispose()
    forked.dispose()


def test_a_failure_in_the_child_process_is_raised_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'broken.sqlite3'}")
    monkeypatch.setattr(demo, "PARALLEL_MIN_TICKETS", 1)

    def broken(self: object, start: int, size: int) -> None:
        raise ValueError("no more tickets today")

    monkeypatch.setattr(demo._TicketMaker, "chunk", broken)
    with pytest.raises(RuntimeError, match="no more tickets today"):
        demo.build_demo(db, tickets=50)
    db.dispose()


def test_refuses_a_database_that_holds_data(db: Database) -> None:
    with db.write() as session:
        session.add(Agent(name="Someone", email="someone@example.com", role="agent"))
    with pytest.raises(ConflictError, match="already holds data"):
        demo.build_demo(db, tickets=10)


def test_refuses_to_load_twice(db: Database) -> None:
    demo.build_demo(db, tickets=10)
    with pytest.raises(ConflictError, match=r"1\d tickets"):
        demo.build_demo(db, tickets=10)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 10


def test_ten_tickets_still_cover_every_status_and_priority(db: Database) -> None:
    stages: list[tuple[str, int, int]] = []
    result = demo.build_demo(db, tickets=10, progress=lambda *a: stages.append(a))
    assert result.tickets == 10
    assert stages[-1] == ("tickets", 10, 10)
    assert ("contacts", demo.MIN_CONTACTS, demo.MIN_CONTACTS) in stages
    with db.read() as session:
        assert set(session.scalars(select(Ticket.status))) == {s.value for s in TicketStatus}
        assert set(session.scalars(select(Ticket.priority))) == {p.value for p in Priority}


def test_no_tickets_is_allowed(db: Database) -> None:
    result = demo.build_demo(db, tickets=0)
    assert result.tickets == result.messages == 0
    assert result.contacts == demo.MIN_CONTACTS


def test_timestamps_are_stored_as_the_orm_stores_them(db: Database) -> None:
    """Bulk-written times must sort and compare exactly like ORM-written ones."""
    demo.build_demo(db, tickets=20)
    moment = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    with db.write() as session:
        agent = Agent(name="Check", email="check@example.com", role="agent", created_at=moment)
        session.add(agent)
        session.flush()
        if db.is_sqlite:
            orm_text = session.execute(
                text("SELECT created_at FROM agents WHERE id = :id"), {"id": agent.id}
            ).scalar()
            seconds = int((moment - demo.DEMO_EPOCH).total_seconds())
            assert Timestamps("sqlite", demo.DEMO_EPOCH)(seconds) == orm_text
            raw = session.execute(text("SELECT created_at, updated_at FROM tickets")).all()
            for created, updated in raw:
                assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", created)
                assert created <= updated
        first = session.scalars(select(Ticket).order_by(Ticket.id)).first()
        assert first is not None
        assert first.created_at.tzinfo is not None
        assert demo.DEMO_EPOCH <= first.created_at <= demo.DEMO_NOW
        assert session.scalar(select(func.count()).where(Ticket.created_at < moment)) == sum(
            1 for t in session.scalars(select(Ticket)) if t.created_at < moment
        )
