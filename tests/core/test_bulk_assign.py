"""bulk_assign on both engines: a lead's job, all or nothing, one event and change per ticket."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_desk.core import agents, changes, tickets
from crm_desk.errors import PermissionDeniedError, StaleEditError, ValidationError
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Event, Ticket
from tests.support.factories import Team, make_team


@pytest.fixture
def team(db: Database) -> Team:
    return make_team(db)


def actor(session: Session, agent_id: int) -> Agent:
    return agents.by_id(session, agent_id)


def add_tickets(db: Database, count: int) -> list[int]:
    with db.write() as session:
        return [tickets.create_ticket(session, None, subject=f"extra {n}").id for n in range(count)]


def owners_and_versions(db: Database, ids: list[int]) -> list[tuple[int | None, int]]:
    with db.read() as session:
        return [
            (ticket.assignee_id, ticket.version)
            for ticket in (session.get_one(Ticket, ticket_id) for ticket_id in ids)
        ]


def test_lead_moves_every_ticket_with_one_event_and_change_each(db: Database, team: Team) -> None:
    ids = [team.ticket_id, *add_tickets(db, 2)]
    with db.write() as session:
        tickets.claim(session, actor(session, team.alice_id), ids[1])
    with db.read() as session:
        seq_before = changes.latest_seq(session)
    with db.write() as session:
        moved = tickets.bulk_assign(
            session,
            actor(session, team.lead_id),
            ids,
            team.bob_id,
            expected_versions={ids[0]: 1, ids[1]: 2, ids[2]: 1},
        )
        assert [ticket.id for ticket in moved] == ids
    assert owners_and_versions(db, ids) == [(team.bob_id, 2), (team.bob_id, 3), (team.bob_id, 2)]
    with db.read() as session:
        feed = changes.changes_since(session, seq_before)
        assert [(c.entity_id, c.kind, c.agent_id) for c in feed] == [
            (ticket_id, "ticket.assigned", team.lead_id) for ticket_id in ids
        ]
        events = session.scalars(
            select(Event).where(Event.kind == "ticket.assigned").order_by(Event.id)
        ).all()
        assert [(e.ticket_id, e.data) for e in events] == [
            (ids[0], {"previous": None, "assignee": "bob@example.com"}),
            (ids[1], {"previous": "alice@example.com", "assignee": "bob@example.com"}),
            (ids[2], {"previous": None, "assignee": "bob@example.com"}),
        ]
        statuses = session.scalars(select(Ticket.status).where(Ticket.id.in_(ids))).all()
        assert set(statuses) == {"open"}  # new tickets are opened when someone takes them


def test_tickets_already_with_the_assignee_are_left_alone(db: Database, team: Team) -> None:
    ids = [team.ticket_id, *add_tickets(db, 1)]
    with db.write() as session:
        tickets.claim(session, actor(session, team.bob_id), ids[0])
    with db.read() as session:
        seq_before = changes.latest_seq(session)
    with db.write() as session:
        tickets.bulk_assign(session, actor(session, team.lead_id), ids, team.bob_id)
    assert owners_and_versions(db, ids) == [(team.bob_id, 2), (team.bob_id, 2)]
    with db.read() as session:
        assert [c.entity_id for c in changes.changes_since(session, seq_before)] == [ids[1]]


def test_back_to_the_queue(db: Database, team: Team) -> None:
    ids = add_tickets(db, 2)
    with db.write() as session:
        tickets.bulk_assign(session, actor(session, team.lead_id), ids, team.alice_id)
    with db.write() as session:
        tickets.bulk_assign(session, actor(session, team.lead_id), ids, None)
    assert owners_and_versions(db, ids) == [(None, 3), (None, 3)]


def test_one_stale_ticket_refuses_the_whole_move_naming_who(db: Database, team: Team) -> None:
    ids = [team.ticket_id, *add_tickets(db, 2)]
    with db.write() as session:  # Alice edits the second ticket after the lead looked
        tickets.set_priority(session, actor(session, team.alice_id), ids[1], "high")
    with db.read() as session:
        seq_before = changes.latest_seq(session)
    stale = rf"^ticket #{ids[1]} was changed by Alice Agent at .*; reload and try again$"
    with pytest.raises(tickets.StaleTicketsError, match=stale) as caught, db.write() as session:
        tickets.bulk_assign(
            session,
            actor(session, team.lead_id),
            ids,
            team.bob_id,
            expected_versions=dict.fromkeys(ids, 1),
        )
    assert isinstance(caught.value, StaleEditError)  # one handler serves single and bulk
    assert caught.value.ticket_ids == (ids[1],)
    assert owners_and_versions(db, ids) == [(None, 1), (None, 2), (None, 1)]
    with db.read() as session:
        assert changes.changes_since(session, seq_before) == []


def test_several_stale_tickets_are_each_named(db: Database, team: Team) -> None:
    ids = add_tickets(db, 3)
    with db.write() as session:
        tickets.set_priority(session, actor(session, team.alice_id), ids[0], "high")
        tickets.set_status(session, actor(session, team.bob_id), ids[2], "pending")
    with pytest.raises(tickets.StaleTicketsError) as caught, db.write() as session:
        tickets.bulk_assign(
            session,
            actor(session, team.lead_id),
            list(reversed(ids)),
            team.bob_id,
            expected_versions=dict.fromkeys(ids, 1),
        )
    error = caught.value
    assert error.ticket_ids == (ids[0], ids[2])
    assert [e.changed_by for e in error.stale] == ["Alice Agent", "Bob Agent"]
    message = str(error)
    assert message.startswith("2 tickets were changed meanwhile")
    assert f"#{ids[0]} by Alice Agent" in message and f"#{ids[2]} by Bob Agent" in message
    assert "nothing was reassigned" in message
    assert owners_and_versions(db, ids) == [(None, 2), (None, 1), (None, 2)]


def test_agents_may_not_bulk_assign(db: Database, team: Team) -> None:
    ids = add_tickets(db, 2)
    with pytest.raises(PermissionDeniedError, match="only a team lead"), db.write() as session:
        tickets.bulk_assign(session, actor(session, team.alice_id), ids, team.alice_id)
    assert owners_and_versions(db, ids) == [(None, 1), (None, 1)]


def test_a_missing_ticket_rolls_back_the_others(db: Database, team: Team) -> None:
    ids = add_tickets(db, 1)
    with pytest.raises(Exception, match="no ticket #9999"), db.write() as session:
        tickets.bulk_assign(session, actor(session, team.lead_id), [*ids, 9999], team.bob_id)
    assert owners_and_versions(db, ids) == [(None, 1)]


def test_deactivated_assignee_and_oversized_moves_are_refused(db: Database, team: Team) -> None:
    with db.write() as session:
        session.get_one(Agent, team.bob_id).active = False
    with pytest.raises(ValidationError, match="deactivated"), db.write() as session:
        tickets.bulk_assign(session, actor(session, team.lead_id), [team.ticket_id], team.bob_id)
    too_many = list(range(1, tickets.MAX_BULK_ASSIGN + 2))
    with pytest.raises(ValidationError, match="at most"), db.write() as session:
        tickets.bulk_assign(session, actor(session, team.lead_id), too_many, team.alice_id)
    with db.read() as session:
        assert session.scalar(select(func.count()).where(Ticket.assignee_id.is_not(None))) == 0


def test_merge_checks_the_version_the_person_saw(db: Database, team: Team) -> None:
    (other,) = add_tickets(db, 1)
    with db.write() as session:
        tickets.set_priority(session, actor(session, team.alice_id), other, "low")
    with pytest.raises(StaleEditError, match="changed by Alice Agent"), db.write() as session:
        tickets.merge(
            session, actor(session, team.lead_id), other, team.ticket_id, expected_version=1
        )
    with db.write() as session:
        tickets.merge(
            session, actor(session, team.lead_id), other, team.ticket_id, expected_version=2
        )
    with db.read() as session:
        assert session.get_one(Ticket, other).merged_into_id == team.ticket_id
