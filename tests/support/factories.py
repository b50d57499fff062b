"""Test data made through the core services, the way the app makes it."""

from __future__ import annotations

from dataclasses import dataclass

from crm_desk.core import agents, categories, customers, tickets
from crm_desk.store.db import Database


@dataclass(frozen=True)
class Team:
    lead_id: int
    alice_id: int
    bob_id: int
    category_id: int
    contact_id: int
    ticket_id: int


def make_team(db: Database) -> Team:
    """A lead, two agents, one category, one customer and one unassigned ticket."""
    with db.write() as session:
        lead = agents.add_agent(
            session, None, name="佐藤 美咲", email="lead@example.com", role="lead"
        )
        alice = agents.add_agent(session, None, name="Alice Agent", email="alice@example.com")
        bob = agents.add_agent(session, None, name="Bob Agent", email="bob@example.com")
        category = categories.add_category(
            session, None, name="注文・配送", name_en="Orders & delivery"
        )
        contact, _ = customers.match_or_create_contact(session, None, "山田 太郎 <Taro@Example.JP>")
        ticket = tickets.create_ticket(
            session,
            None,
            subject="注文した商品が届きません",
            contact_id=contact.id,
            body_text="先週注文した商品がまだ届いていません。注文番号は A-1001 です。",
            from_address="山田 太郎 <taro@example.jp>",
        )
        return Team(lead.id, alice.id, bob.id, category.id, contact.id, ticket.id)
