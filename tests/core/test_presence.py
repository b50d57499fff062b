"""Presence: one row per agent, heartbeat expiry, and a feed row only when others must redraw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm_desk.core import changes, presence, tickets
from crm_desk.errors import NotFoundError, ValidationError
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Event, Presence
from tests.support.factories import Team, make_team

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def team(db: Database) -> Team:
    return make_team(db)


def second_ticket(db: Database, team: Team) -> int:
    with db.write() as session:
        return tickets.create_ticket(session, None, subject="Second", contact_id=team.contact_id).id


def feed_after(db: Database, seq: int) -> list[tuple[str, int | None, str, int | None]]:
    with db.read() as session:
        return [
            (item.entity, item.entity_id, item.kind, item.agent_id)
            for item in changes.changes_since(session, seq)
        ]


def head(db: Database) -> int:
    with db.read() as session:
        return changes.latest_seq(session)


def announce(db: Database, agent_id: int, ticket_id: int, activity: str, at: datetime) -> None:
    with db.write() as session:
        presence.announce(session, agent_id, ticket_id, activity, now=at)


def on_ticket(
    db: Database, ticket_id: int, at: datetime, exclude: int | None = None
) -> list[tuple[str, str]]:
    with db.read() as session:
        return [
            (info.name, info.activity)
            for info in presence.present(session, ticket_id, at, exclude_agent_id=exclude)
        ]


def test_announce_is_seen_by_others_and_feeds_a_presence_change(db: Database, team: Team) -> None:
    seq = head(db)
    announce(db, team.alice_id, team.ticket_id, "viewing", T0)

    assert on_ticket(db, team.ticket_id, T0 + timedelta(seconds=1)) == [("Alice Agent", "viewing")]
    assert on_ticket(db, team.ticket_id, T0, exclude=team.alice_id) == []
    assert feed_after(db, seq) == [("presence", team.ticket_id, "presence", team.alice_id)]
    with db.read() as session:
        # Ephemeral: no audit trail for looking at a ticket.
        assert session.scalar(select(func.count(Event.id)).where(Event.kind == "presence")) == 0


def test_one_row_per_agent_and_replying_is_listed_first(db: Database, team: Team) -> None:
    announce(db, team.bob_id, team.ticket_id, "viewing", T0)
    announce(db, team.alice_id, team.ticket_id, "viewing", T0)
    announce(db, team.alice_id, team.ticket_id, "replying", T0 + timedelta(seconds=1))
    announce(db, team.lead_id, team.ticket_id, "viewing", T0 + timedelta(seconds=1))

    at = T0 + timedelta(seconds=2)
    assert on_ticket(db, team.ticket_id, at) == [
        ("Alice Agent", "replying"),
        ("Bob Agent", "viewing"),
        ("佐藤 美咲", "viewing"),
    ]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Presence)) == 3


def test_moving_to_another_ticket_tells_both_tickets(db: Database, team: Team) -> None:
    other = second_ticket(db, team)
    announce(db, team.alice_id, team.ticket_id, "viewing", T0)
    seq = head(db)

    announce(db, team.alice_id, other, "viewing", T0 + timedelta(seconds=1))

    at = T0 + timedelta(seconds=2)
    assert on_ticket(db, team.ticket_id, at) == []
    assert on_ticket(db, other, at) == [("Alice Agent", "viewing")]
    assert {entity_id for _, entity_id, _, _ in feed_after(db, seq)} == {team.ticket_id, other}


def test_a_heartbeat_that_changes_nothing_adds_nothing_to_the_feed(
    db: Database, team: Team
) -> None:
    announce(db, team.alice_id, team.ticket_id, "viewing", T0)
    seq = head(db)
    for beat in range(1, 4):
        announce(db, team.alice_id, team.ticket_id, "viewing", T0 + timedelta(seconds=3 * beat))
    assert feed_after(db, seq) == []

    announce(db, team.alice_id, team.ticket_id, "replying", T0 + timedelta(seconds=10))
    assert feed_after(db, seq) == [("presence", team.ticket_id, "presence", team.alice_id)]


def test_without_heartbeats_presence_expires(db: Database, team: Team) -> None:
    announce(db, team.alice_id, team.ticket_id, "viewing", T0)
    max_age = presence.MAX_AGE_S

    assert on_ticket(db, team.ticket_id, T0 + timedelta(seconds=max_age - 1)) != []
    assert on_ticket(db, team.ticket_id, T0 + timedelta(seconds=max_age + 1)) == []

    # Coming back after having expired is news for the others again.
    seq = head(db)
    announce(db, team.alice_id, team.ticket_id, "viewing", T0 + timedelta(seconds=60))
    assert len(feed_after(db, seq)) == 1
    assert on_ticket(db, team.ticket_id, T0 + timedelta(seconds=61)) == [("Alice Agent", "viewing")]


def test_leave_removes_the_row_and_tells_others(db: Database, team: Team) -> None:
    announce(db, team.alice_id, team.ticket_id, "replying", T0)
    seq = head(db)
    with db.write() as session:
        presence.leave(session, team.alice_id, now=T0 + timedelta(seconds=1))
        presence.leave(session, team.bob_id)  # never announced: nothing to do

    assert on_ticket(db, team.ticket_id, T0 + timedelta(seconds=1)) == []
    assert feed_after(db, seq) == [("presence", team.ticket_id, "presence", team.alice_id)]


def test_bad_input_is_refused(db: Database, team: Team) -> None:
    with pytest.raises(ValidationError, match="activity"), db.write() as session:
        presence.announce(session, team.alice_id, team.ticket_id, "typing")
    with pytest.raises(NotFoundError, match="ticket #999"), db.write() as session:
        presence.announce(session, team.alice_id, 999, "viewing")
    with pytest.raises(NotFoundError, match="agent"), db.write() as session:
        presence.announce(session, 999, team.ticket_id, "viewing")
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Presence)) == 0
        assert session.get(Agent, team.alice_id) is not None
