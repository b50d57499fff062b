"""Sidebar views: exact counts from the grouped queries, and each count matches its own filter."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from crm_desk.core import agents, categories, ingest, mailboxes, tickets
from crm_desk.core.queries import count_tickets
from crm_desk.core.views import ViewCount, headlines_in_views, view_counts
from crm_desk.store.db import Database
from crm_desk.store.models import Mailbox, Quarantine, utcnow
from tests.support.factories import Team, make_team


@dataclass(frozen=True)
class Scene:
    team: Team
    billing_id: int
    support_id: int
    old_id: int
    sales_id: int
    dave_id: int
    new_ids: list[int]


def _mailbox(session: Session, name: str) -> Mailbox:
    return mailboxes.add_mailbox(
        session,
        None,
        name=name,
        address=f"{name}@example.com",
        imap_host="imap.example.com",
        imap_port=993,
        username=name,
    )


@pytest.fixture
def scene(db: Database) -> Scene:
    team = make_team(db)  # one new, unassigned, uncategorised ticket
    with db.write() as session:
        lead = agents.by_id(session, team.lead_id)
        alice = agents.by_id(session, team.alice_id)
        bob = agents.by_id(session, team.bob_id)
        billing = categories.add_category(session, None, name="請求", name_en="Billing")
        support, old, sales, gone = (
            _mailbox(session, name) for name in ("support", "old", "sales", "gone")
        )
        carol = agents.add_agent(session, None, name="Carol", email="carol@example.com")
        dave = agents.add_agent(session, None, name="Dave", email="dave@example.com")

        def new(subject: str, category_id: int | None = None, mailbox_id: int | None = None) -> int:
            return tickets.create_ticket(
                session,
                None,
                subject=subject,
                contact_id=team.contact_id,
                category_id=category_id,
                mailbox_id=mailbox_id,
            ).id

        orders = team.category_id
        t1 = new("new, orders, support", category_id=orders, mailbox_id=support.id)
        t2 = new("alice, orders, support", category_id=orders, mailbox_id=support.id)
        tickets.claim(session, alice, t2)
        t3 = new("alice, pending, billing", category_id=billing.id)
        tickets.claim(session, alice, t3)
        tickets.set_status(session, alice, t3, "pending")
        t4 = new("bob, resolved")
        tickets.claim(session, bob, t4)
        tickets.set_status(session, bob, t4, "resolved")
        t5 = new("pending, unassigned, old mailbox", mailbox_id=old.id)
        tickets.set_status(session, lead, t5, "pending")
        t6 = new("lead, closed")
        tickets.claim(session, lead, t6)
        tickets.set_status(session, lead, t6, "closed")
        t7 = new("alice, closed")
        tickets.claim(session, alice, t7)
        tickets.set_status(session, alice, t7, "closed")
        t8 = new("dave, open")
        tickets.claim(session, dave, t8)

        for n in range(3):
            ingest.quarantine_mail(session, None, b"broken %d" % n, "unparseable")
        session.flush()
        # No service deactivates agents or empty mailboxes yet: set the state directly.
        for row in (carol, dave, old, gone):
            row.active = False
        first_entry = session.query(Quarantine).order_by(Quarantine.id).first()
        assert first_entry is not None
        first_entry.resolved_at = utcnow()
    return Scene(
        team, billing.id, support.id, old.id, sales.id, dave.id, [team.ticket_id, t1, t2, t3]
    )


def counts(views: list[ViewCount]) -> dict[str, int]:
    return {view.key: view.count for view in views}


def test_counts_for_an_agent(db: Database, scene: Scene) -> None:
    team = scene.team
    with db.read() as session:
        views = view_counts(session, team.alice_id, is_lead=False)

    assert counts(views) == {
        "unassigned": 3,  # the team's ticket, t1, t5
        "mine": 2,  # t2 open, t3 pending
        "all_open": 4,  # new: team's, t1; open: t2, t8
        "pending": 2,
        "resolved": 1,
        "closed": 2,
        f"category:{team.category_id}": 2,
        f"category:{scene.billing_id}": 1,
        f"mailbox:{scene.old_id}": 1,  # deactivated, but still holds an open ticket
        f"mailbox:{scene.sales_id}": 0,
        f"mailbox:{scene.support_id}": 2,
        "quarantine": 2,  # three quarantined, one resolved
    }
    assert [view.key for view in views][:6] == [
        "unassigned",
        "mine",
        "all_open",
        "pending",
        "resolved",
        "closed",
    ]
    assert [(v.label_kind, v.label_arg) for v in views if v.label_kind == "category"] == [
        ("category", "注文・配送"),
        ("category", "請求"),
    ]
    billing = next(v for v in views if v.key == f"category:{scene.billing_id}")
    assert billing.detail == "Billing"
    assert views[-1].key == "quarantine" and views[-1].filter is None


def test_a_lead_also_sees_each_agents_open_tickets(db: Database, scene: Scene) -> None:
    team = scene.team
    with db.read() as session:
        views = view_counts(session, team.lead_id, is_lead=True)
    per_agent = [(v.label_arg, v.count) for v in views if v.label_kind == "agent"]
    # Carol is deactivated and holds nothing; Dave is deactivated but holds an open ticket.
    assert per_agent == [("Alice Agent", 2), ("Bob Agent", 0), ("Dave", 1), ("佐藤 美咲", 0)]
    assert counts(views)["mine"] == 0


def test_without_an_agent_there_is_no_mine(db: Database, scene: Scene) -> None:
    with db.read() as session:
        views = view_counts(session, None, is_lead=False)
    assert "mine" not in counts(views)
    assert not any(v.label_kind == "agent" for v in views)


def test_every_count_matches_its_own_filter(db: Database, scene: Scene) -> None:
    with db.read() as session:
        views = view_counts(session, scene.team.alice_id, is_lead=True)
        for view in views:
            if view.filter is not None:
                assert count_tickets(session, view.filter) == view.count, view.key


def test_headlines_only_for_tickets_in_the_given_views(db: Database, scene: Scene) -> None:
    team = scene.team
    with db.read() as session:
        views = {v.key: v for v in view_counts(session, team.bob_id, is_lead=False)}
        unassigned, mine = views["unassigned"].filter, views["mine"].filter
        assert unassigned is not None and mine is not None
        headlines = headlines_in_views(session, scene.new_ids, [unassigned, mine])
        assert headlines_in_views(session, scene.new_ids, []) == []
        assert headlines_in_views(session, [], [unassigned]) == []

    # t2 and t3 are Alice's: in neither of Bob's views.
    team_ticket, t1 = scene.new_ids[0], scene.new_ids[1]
    assert [(h.id, h.subject, h.sender) for h in headlines] == [
        (t1, "new, orders, support", "山田 太郎"),
        (team_ticket, "注文した商品が届きません", "山田 太郎"),
    ]
