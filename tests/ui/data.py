"""Queue data for UI tests and the screenshot, made through the core services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crm_desk.core import agents, categories, customers, tickets
from crm_desk.store.db import Database

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

ENGLISH_SUBJECTS = [
    "Order #{n} has not arrived",
    "Invoice request for March",
    "How do I change my delivery address?",
    "Refund for a damaged item",
    "Password reset link does not work",
    "Question about bulk pricing",
]
JAPANESE_SUBJECTS = [
    "注文した商品が届きません（注文番号 A-{n}）",
    "請求書の再発行をお願いします",
    "返品の手続きについて",
    "ポイントが反映されていません",
    "配送先住所の変更について",
    "領収書の宛名を㈱髙橋商事に変更したい",
]


@dataclass(frozen=True)
class Seeded:
    ticket_ids: list[int]
    lead_id: int


def seed_tickets(
    db: Database,
    count: int,
    *,
    subject: str = "Ticket {n}",
    same_time: bool = False,
) -> Seeded:
    """``count`` new tickets from one customer, one minute apart (or all at one instant)."""
    with db.write() as session:
        lead = agents.add_agent(session, None, name="Lead", email="lead@example.com", role="lead")
        contact, _ = customers.match_or_create_contact(session, None, "Taro <taro@example.jp>")
        ids = []
        for n in range(1, count + 1):
            ticket = tickets.create_ticket(
                session,
                None,
                subject=subject.format(n=n),
                contact_id=contact.id,
                body_text=f"body {n}",
                created_at=START if same_time else START + timedelta(minutes=n),
            )
            ids.append(ticket.id)
        return Seeded(ids, lead.id)


def seed_showcase(db: Database, count: int = 60) -> None:
    """A queue that looks like a real one: both languages, every status, some assigned."""
    statuses = ["new", "open", "open", "pending", "new", "resolved", "open", "closed"]
    priorities = ["normal", "normal", "high", "low", "urgent", "normal"]
    with db.write() as session:
        lead = agents.add_agent(
            session, None, name="佐藤 美咲", email="lead@example.com", role="lead"
        )
        alice = agents.add_agent(session, None, name="Alice Agent", email="alice@example.com")
        cats = [
            categories.add_category(session, None, name="注文・配送", name_en="Orders"),
            categories.add_category(session, None, name="請求", name_en="Billing"),
            categories.add_category(session, None, name="アカウント", name_en="Account"),
        ]
        people = [
            "山田 太郎 <taro@example.jp>",
            "Jane Doe <jane@example.com>",
            "<nameless@example.org>",
            "髙橋 花子 <hanako@example.co.jp>",
        ]
        contacts = [customers.match_or_create_contact(session, None, p)[0] for p in people]
        for n in range(1, count + 1):
            pool = JAPANESE_SUBJECTS if n % 2 else ENGLISH_SUBJECTS
            ticket = tickets.create_ticket(
                session,
                None,
                subject=pool[n % len(pool)].format(n=1000 + n),
                contact_id=contacts[n % len(contacts)].id,
                body_text="…",
                created_at=START + timedelta(hours=n),
            )
            if n % 3 == 0:
                tickets.assign(session, lead, ticket.id, alice.id if n % 2 else lead.id)
            tickets.update_ticket(
                session,
                lead,
                ticket.id,
                tickets.TicketEdit(
                    status=statuses[n % len(statuses)],
                    priority=priorities[n % len(priorities)],
                    category_id=cats[n % len(cats)].id if n % 4 else None,
                    due_at=START + timedelta(days=n % 9) if n % 5 == 0 else None,
                ),
            )
