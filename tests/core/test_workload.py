"""The workload per agent on both engines: exact counts, the oldest waiting ticket, the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from crm_desk.core import agents, tickets
from crm_desk.core.workload import AgentLoad, OldestWaiting, totals, workload
from crm_desk.store.db import Database
from crm_desk.store.models import Agent
from tests.support.factories import Team, make_team

NOW = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)


def actor(session: Session, agent_id: int) -> Agent:
    return agents.by_id(session, agent_id)


def ticket(
    session: Session,
    subject: str,
    *,
    days_old: float,
    owner: int | None = None,
    status: str | None = None,
    due_in_hours: float | None = None,
    lead_id: int,
) -> int:
    lead = actor(session, lead_id)
    made = tickets.create_ticket(
        session, None, subject=subject, created_at=NOW - timedelta(days=days_old)
    )
    if owner is not None:
        tickets.assign(session, lead, made.id, owner)
    due = None if due_in_hours is None else NOW + timedelta(hours=due_in_hours)
    if status is not None or due is not None:
        tickets.update_ticket(session, lead, made.id, tickets.TicketEdit(status=status, due_at=due))
    return made.id


@pytest.fixture
def team(db: Database) -> Team:
    team = make_team(db)
    with db.write() as session:  # its ticket was made "today": keep it out of the numbers
        tickets.set_status(session, actor(session, team.lead_id), team.ticket_id, "closed")
    return team


def by_name(rows: list[AgentLoad]) -> dict[str, AgentLoad]:
    return {row.name: row for row in rows}


def test_counts_oldest_and_the_unassigned_queue(db: Database, team: Team) -> None:
    alice, bob, lead = team.alice_id, team.bob_id, team.lead_id
    with db.write() as session:
        oldest_alice = ticket(session, "alice oldest", days_old=5, owner=alice, lead_id=lead)
        ticket(session, "alice newer", days_old=2, owner=alice, due_in_hours=-3, lead_id=lead)
        ticket(
            session,
            "alice waits",
            days_old=9,
            owner=alice,
            status="pending",
            lead_id=lead,
            due_in_hours=-1,
        )
        ticket(
            session,
            "alice done",
            days_old=20,
            owner=alice,
            status="resolved",
            lead_id=lead,
            due_in_hours=-50,
        )
        oldest_bob = ticket(
            session, "bob open", days_old=1.5, owner=bob, due_in_hours=24, lead_id=lead
        )
        ticket(session, "bob closed", days_old=30, owner=bob, status="closed", lead_id=lead)
        ticket(session, "queue newer", days_old=0.25, due_in_hours=-0.5, lead_id=lead)
        oldest_queue = ticket(session, "queue oldest", days_old=3, lead_id=lead)
        ticket(session, "queue pending", days_old=4, status="pending", lead_id=lead)

    with db.read() as session:
        rows = workload(session, NOW)

    assert [row.name for row in rows] == ["Alice Agent", "Bob Agent", "佐藤 美咲", ""]
    named = by_name(rows)
    a, b, lead_row, queue = named["Alice Agent"], named["Bob Agent"], named["佐藤 美咲"], rows[-1]
    assert (a.open, a.pending, a.overdue) == (2, 1, 2)
    assert a.oldest is not None
    assert a.oldest == OldestWaiting(
        oldest_alice, "alice oldest", a.oldest.version, NOW - timedelta(days=5), timedelta(days=5)
    )
    assert a.oldest.version == 2  # created, then assigned
    assert (b.open, b.pending, b.overdue) == (1, 0, 0)
    assert b.oldest is not None
    assert (b.oldest.ticket_id, b.oldest.age) == (oldest_bob, timedelta(hours=36))
    assert (lead_row.open, lead_row.pending, lead_row.overdue, lead_row.oldest) == (0, 0, 0, None)
    assert lead_row.role == "lead" and lead_row.email == "lead@example.com"
    assert queue.unassigned and queue.agent_id is None
    assert (queue.open, queue.pending, queue.overdue) == (2, 1, 1)
    assert queue.oldest is not None
    assert (queue.oldest.ticket_id, queue.oldest.subject, queue.oldest.age) == (
        oldest_queue,
        "queue oldest",
        timedelta(days=3),
    )
    assert totals(rows) == (5, 2, 3)


def test_due_exactly_now_is_not_yet_overdue(db: Database, team: Team) -> None:
    with db.write() as session:
        ticket(
            session, "due now", days_old=1, owner=team.bob_id, due_in_hours=0, lead_id=team.lead_id
        )
    with db.read() as session:
        bob = by_name(workload(session, NOW))["Bob Agent"]
        later = by_name(workload(session, NOW + timedelta(seconds=1)))["Bob Agent"]
    assert (bob.open, bob.overdue) == (1, 0)
    assert later.overdue == 1


def test_deactivated_agents_show_only_while_they_hold_tickets(db: Database, team: Team) -> None:
    with db.write() as session:
        carol = agents.add_agent(session, None, name="Carol Former", email="carol@example.com")
        dave = agents.add_agent(session, None, name="Dave Former", email="dave@example.com")
        ticket(session, "left behind", days_old=2, owner=carol.id, lead_id=team.lead_id)
        carol.active = False
        dave.active = False
    with db.read() as session:
        rows = workload(session, NOW)
    assert [row.name for row in rows] == [
        "Alice Agent",
        "Bob Agent",
        "佐藤 美咲",
        "Carol Former",
        "",
    ]
    carol_row = rows[3]
    assert (carol_row.active, carol_row.open, carol_row.oldest is not None) == (False, 1, True)


def test_an_empty_team(db: Database) -> None:
    with db.read() as session:
        rows = workload(session, NOW)
    assert len(rows) == 1 and rows[0].unassigned
    assert (rows[0].open, rows[0].pending, rows[0].overdue, rows[0].oldest) == (0, 0, 0, None)


def test_now_must_be_aware(db: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), db.read() as session:
        workload(session, NOW.replace(tzinfo=None))
