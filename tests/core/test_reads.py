"""Unread tickets on both engines: never seen, seen, changed by someone else since, private."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from crm_desk.core import agents, reads, tickets
from crm_desk.core.queries import TicketFilter, list_tickets
from crm_desk.errors import NotFoundError
from crm_desk.store.db import Database
from crm_desk.store.models import Change, Event, Ticket, TicketRead, utcnow
from tests.support.factories import Team, make_team


@pytest.fixture
def team(db: Database) -> Team:
    return make_team(db)


def unread_for(db: Database, viewer_id: int | None) -> dict[int, bool]:
    with db.read() as session:
        rows = list_tickets(session, TicketFilter(), limit=100, viewer_id=viewer_id).rows
    return {row.id: row.unread for row in rows}


def second_ticket(db: Database) -> int:
    with db.write() as session:
        return tickets.create_ticket(session, None, subject="Second", body_text="hello").id


def test_a_ticket_never_looked_at_is_unread(db: Database, team: Team) -> None:
    assert unread_for(db, team.alice_id) == {team.ticket_id: True}


def test_without_a_viewer_nothing_is_unread(db: Database, team: Team) -> None:
    assert unread_for(db, None) == {team.ticket_id: False}


def test_mark_read_is_per_agent(db: Database, team: Team) -> None:
    other = second_ticket(db)
    with db.write() as session:
        reads.mark_read(session, team.alice_id, team.ticket_id)
    assert unread_for(db, team.alice_id) == {team.ticket_id: False, other: True}
    assert unread_for(db, team.bob_id) == {team.ticket_id: True, other: True}


def test_someone_elses_change_makes_it_unread_again(db: Database, team: Team) -> None:
    with db.write() as session:
        reads.mark_read(session, team.alice_id, team.ticket_id)
        reads.mark_read(session, team.alice_id, team.ticket_id)  # again: an update, no clash
    with db.write() as session:
        tickets.set_priority(session, agents.by_id(session, team.bob_id), team.ticket_id, "high")
    assert unread_for(db, team.alice_id) == {team.ticket_id: True}

    with db.write() as session:
        reads.mark_read(session, team.alice_id, team.ticket_id)
    assert unread_for(db, team.alice_id) == {team.ticket_id: False}


def test_the_viewers_own_change_is_not_news_to_them(db: Database, team: Team) -> None:
    with db.write() as session:
        reads.mark_read(session, team.alice_id, team.ticket_id)
    with db.write() as session:
        tickets.claim(session, agents.by_id(session, team.alice_id), team.ticket_id)
    assert unread_for(db, team.alice_id) == {team.ticket_id: False}
    assert unread_for(db, team.bob_id) == {team.ticket_id: True}


def test_mail_arriving_after_a_look_makes_it_unread(db: Database, team: Team) -> None:
    with db.write() as session:
        reads.mark_read(session, team.alice_id, team.ticket_id)
    with db.write() as session:  # the mail sync and the web form write as nobody
        session.execute(
            update(Ticket)
            .where(Ticket.id == team.ticket_id)
            .values(updated_at=utcnow() + timedelta(seconds=1), updated_by_id=None)
        )
    assert unread_for(db, team.alice_id) == {team.ticket_id: True}


def test_a_look_counts_even_when_the_writers_clock_ran_ahead(db: Database, team: Team) -> None:
    ahead = utcnow() + timedelta(minutes=5)  # another desktop's clock is five minutes fast
    with db.write() as session:
        session.execute(update(Ticket).where(Ticket.id == team.ticket_id).values(updated_at=ahead))
    with db.write() as session:
        seen_at = reads.mark_read(session, team.alice_id, team.ticket_id)
    assert seen_at >= ahead
    assert unread_for(db, team.alice_id) == {team.ticket_id: False}


def test_mark_unread(db: Database, team: Team) -> None:
    other = second_ticket(db)
    with db.write() as session:
        reads.mark_read(session, team.alice_id, team.ticket_id)
        reads.mark_read(session, team.alice_id, other)
    with db.write() as session:
        reads.mark_unread(session, team.alice_id, [team.ticket_id])
        reads.mark_unread(session, team.alice_id, [])
    assert unread_for(db, team.alice_id) == {team.ticket_id: True, other: False}


def test_reading_is_private_no_audit_event_no_change_feed_no_new_version(
    db: Database, team: Team
) -> None:
    def counts() -> tuple[int, int, int]:
        with db.read() as session:
            events = session.scalar(select(func.count(Event.id))) or 0
            feed = session.scalar(select(func.count(Change.seq))) or 0
            version = session.scalar(select(Ticket.version).where(Ticket.id == team.ticket_id))
            return events, feed, version or 0

    before = counts()
    with db.write() as session:
        reads.mark_read(session, team.alice_id, team.ticket_id)
    assert counts() == before
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(TicketRead)) == 1


def test_marking_a_missing_ticket_is_refused(db: Database, team: Team) -> None:
    with db.write() as session, pytest.raises(NotFoundError, match="#999"):
        reads.mark_read(session, team.alice_id, 999)


def test_the_unread_join_keeps_the_queue_plan(db: Database, team: Team) -> None:
    """The first page still walks the sort index; the read row is one primary-key lookup."""
    if not db.is_sqlite:
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    statements: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        _connection, _cursor, statement, parameters = args[:4]
        statements.append((statement, parameters))

    with db.read() as session:
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            list_tickets(session, TicketFilter(), limit=100, viewer_id=team.alice_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        ((statement, parameters),) = [s for s in statements if "ticket_reads" in s[0]]
        connection = session.connection()
        plan = [
            row[3]
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        ]
    assert plan[0] == "SCAN tickets USING INDEX ix_tickets_updated"
    assert any(
        step.startswith("SEARCH ticket_reads USING") and "(agent_id=? AND ticket_id=?)" in step
        for step in plan
    ), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
