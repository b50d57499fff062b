"""Ticket services on both engines: roles, versions, audit events and the change feed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm_desk.core import agents, changes, customers, tickets
from crm_desk.errors import (
    AlreadyClaimedError,
    NotFoundError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Event, Message, Ticket
from tests.support.factories import Team, make_team


@pytest.fixture
def team(db: Database) -> Team:
    return make_team(db)


def actor(session: object, agent_id: int) -> Agent:
    return agents.by_id(session, agent_id)  # type: ignore[arg-type]


def test_claim_assigns_opens_and_records(db: Database, team: Team) -> None:
    with db.read() as session:
        seq_before = changes.latest_seq(session)
    with db.write() as session:
        tickets.claim(session, actor(session, team.alice_id), team.ticket_id)
    with db.read() as session:
        ticket = session.get(Ticket, team.ticket_id)
        assert ticket is not None
        assert ticket.assignee_id == team.alice_id
        assert ticket.status == "open"
        assert ticket.version == 2
        assert ticket.updated_by_id == team.alice_id
        feed = changes.changes_since(session, seq_before)
        assert [(c.entity, c.entity_id, c.kind) for c in feed] == [
            ("ticket", team.ticket_id, "ticket.claimed")
        ]
        event = session.scalars(select(Event).where(Event.kind == "ticket.claimed")).one()
        assert event.agent_id == team.alice_id
        assert event.data == {"assignee": "alice@example.com"}


def test_second_claim_names_the_owner(db: Database, team: Team) -> None:
    with db.write() as session:
        tickets.claim(session, actor(session, team.alice_id), team.ticket_id)
    with (
        pytest.raises(AlreadyClaimedError, match=r"Alice Agent <alice@example\.com>"),
        db.write() as s,
    ):
        tickets.claim(s, actor(s, team.bob_id), team.ticket_id)
    with db.write() as session:  # claiming your own ticket again is harmless
        tickets.claim(session, actor(session, team.alice_id), team.ticket_id)
    with db.read() as session:
        assert session.get(Ticket, team.ticket_id).version == 2  # type: ignore[union-attr]


def test_stale_edit_is_refused_naming_who_changed_it(db: Database, team: Team) -> None:
    with db.read() as session:
        shown_version = session.get(Ticket, team.ticket_id).version  # type: ignore[union-attr]
    with db.write() as session:  # the lead changes it meanwhile
        tickets.set_priority(session, actor(session, team.lead_id), team.ticket_id, "high")
    with pytest.raises(StaleEditError) as refused, db.write() as session:
        tickets.set_status(
            session,
            actor(session, team.alice_id),
            team.ticket_id,
            "pending",
            expected_version=shown_version,
        )
    assert "changed by 佐藤 美咲 at " in str(refused.value)
    with db.read() as session:
        ticket = session.get(Ticket, team.ticket_id)
        assert ticket is not None
        assert (ticket.status, ticket.priority) == ("new", "high")


def test_agent_cannot_touch_or_move_anothers_ticket(db: Database, team: Team) -> None:
    with db.write() as session:
        tickets.claim(session, actor(session, team.alice_id), team.ticket_id)
    for attempt in (
        lambda s: tickets.set_status(s, actor(s, team.bob_id), team.ticket_id, "resolved"),
        lambda s: tickets.release(s, actor(s, team.bob_id), team.ticket_id),
        lambda s: tickets.assign(s, actor(s, team.bob_id), team.ticket_id, team.bob_id),
        lambda s: tickets.assign(s, actor(s, team.alice_id), team.ticket_id, team.bob_id),
    ):
        with pytest.raises((PermissionDeniedError, AlreadyClaimedError)), db.write() as session:
            attempt(session)
    with db.read() as session:
        assert session.get(Ticket, team.ticket_id).assignee_id == team.alice_id  # type: ignore[union-attr]


def test_lead_reassigns_and_agent_releases_own(db: Database, team: Team) -> None:
    with db.write() as session:
        tickets.claim(session, actor(session, team.alice_id), team.ticket_id)
    with db.write() as session:
        tickets.assign(session, actor(session, team.lead_id), team.ticket_id, team.bob_id)
    with db.read() as session:
        assert session.get(Ticket, team.ticket_id).assignee_id == team.bob_id  # type: ignore[union-attr]
    with db.write() as session:
        tickets.release(session, actor(session, team.bob_id), team.ticket_id)
    with db.read() as session:
        assert session.get(Ticket, team.ticket_id).assignee_id is None  # type: ignore[union-attr]
        kinds = session.scalars(select(Event.kind).order_by(Event.id)).all()
        assert kinds[-3:] == ["ticket.claimed", "ticket.assigned", "ticket.released"]


def test_deactivated_agent_cannot_act(db: Database, team: Team) -> None:
    with db.write() as session:
        actor(
            session, team.bob_id
        ).active = False  # no service for it yet; the lead's UI comes later
    with pytest.raises(PermissionDeniedError, match="deactivated"), db.write() as session:
        tickets.claim(session, actor(session, team.bob_id), team.ticket_id)


def test_update_fields_validates_and_tracks_resolution(db: Database, team: Team) -> None:
    with db.write() as session:
        lead = actor(session, team.lead_id)
        tickets.update_ticket(
            session,
            lead,
            team.ticket_id,
            tickets.TicketEdit(
                status="resolved",
                priority="urgent",
                category_id=team.category_id,
                tags=["VIP", " vip ", "VIP", "配送遅延"],
            ),
        )
    with db.read() as session:
        ticket = session.get(Ticket, team.ticket_id)
        assert ticket is not None
        assert (ticket.status, ticket.priority, ticket.priority_rank) == ("resolved", "urgent", 3)
        assert ticket.category_id == team.category_id
        assert ticket.tags == ["VIP", "vip", "配送遅延"]
        assert ticket.resolved_at is not None
    with db.write() as session:
        tickets.set_status(session, actor(session, team.lead_id), team.ticket_id, "open")
    with db.read() as session:
        assert session.get(Ticket, team.ticket_id).resolved_at is None  # type: ignore[union-attr]
    with pytest.raises(ValidationError), db.write() as session:
        tickets.set_status(session, actor(session, team.lead_id), team.ticket_id, "done")
    with pytest.raises(NotFoundError), db.write() as session:
        tickets.set_category(session, actor(session, team.lead_id), team.ticket_id, 9999)


def test_note_and_merge(db: Database, team: Team) -> None:
    with db.write() as session:
        other = tickets.create_ticket(
            session,
            None,
            subject="Re: 注文した商品が届きません",
            contact_id=team.contact_id,
            body_text="追加の連絡です",
            from_address="taro@example.jp",
        )
        other_id = other.id
    with db.write() as session:
        tickets.add_note(session, actor(session, team.bob_id), team.ticket_id, "倉庫に確認中")
    with pytest.raises(ValidationError), db.write() as session:
        tickets.add_note(session, actor(session, team.bob_id), team.ticket_id, "   ")
    with db.write() as session:
        tickets.merge(session, actor(session, team.lead_id), other_id, team.ticket_id)
    with db.read() as session:
        target = session.get(Ticket, team.ticket_id)
        source = session.get(Ticket, other_id)
        assert target is not None and source is not None
        directions = session.scalars(
            select(Message.direction).where(Message.ticket_id == target.id).order_by(Message.id)
        ).all()
        assert directions == ["in", "in", "note"]  # by arrival, across both tickets
        assert target.message_count == 3
        assert (source.status, source.merged_into_id, source.message_count) == (
            "closed",
            target.id,
            0,
        )
    with pytest.raises(ValidationError, match="already merged"), db.write() as session:
        tickets.merge(session, actor(session, team.lead_id), other_id, team.ticket_id)


def test_contact_match_is_case_insensitive_and_unique(db: Database, team: Team) -> None:
    with db.write() as session:
        same, created = customers.match_or_create_contact(session, None, "TARO@example.jp")
        assert (same.id, created) == (team.contact_id, False)
        new, created = customers.match_or_create_contact(
            session, None, "Jane Roe <jane@example.com>"
        )
        assert created and new.name == "Jane Roe"
    with pytest.raises(ValidationError), db.write() as session:
        customers.match_or_create_contact(session, None, "not an address")
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_contact_edit_is_versioned(db: Database, team: Team) -> None:
    with db.write() as session:
        customers.update_contact(
            session,
            actor(session, team.alice_id),
            team.contact_id,
            customers.ContactEdit(lifecycle="customer", company_name="株式会社テスト"),
            expected_version=1,
        )
    with pytest.raises(StaleEditError, match="changed by Alice Agent"), db.write() as session:
        customers.update_contact(
            session,
            actor(session, team.bob_id),
            team.contact_id,
            customers.ContactEdit(phone="03-1234-5678"),
            expected_version=1,
        )


def test_a_failed_service_leaves_nothing_behind(db: Database, team: Team) -> None:
    """The change row, the event and the edit live or die together."""
    with db.read() as session:
        before = changes.latest_seq(session), session.scalar(select(func.count(Event.id)))
    with pytest.raises(RuntimeError), db.write() as session:
        tickets.claim(session, actor(session, team.alice_id), team.ticket_id)
        raise RuntimeError("crash after the write, before the commit")
    with db.read() as session:
        after = changes.latest_seq(session), session.scalar(select(func.count(Event.id)))
        assert after == before
        assert session.get(Ticket, team.ticket_id).assignee_id is None  # type: ignore[union-attr]
