"""Twenty agents claim one ticket at the same moment: exactly one wins, the rest are told who.

Run as threads sharing one engine and as separate processes with their own engines, on both
SQLite and PostgreSQL. A barrier releases all claimers together so they really race.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from crm_desk.core import agents, tickets
from crm_desk.errors import AlreadyClaimedError
from crm_desk.store.db import Database
from crm_desk.store.models import Event, Ticket
from tests.support.factories import make_team

CLAIMERS = 20


def _add_claimers(db: Database) -> list[str]:
    emails = [f"claimer{i:02d}@example.com" for i in range(CLAIMERS)]
    with db.write() as session:
        for i, email in enumerate(emails):
            agents.add_agent(session, None, name=f"Claimer {i:02d}", email=email)
    return emails


def _claim_once(db: Database, email: str, ticket_id: int) -> str:
    """'won', or 'lost:<owner email>'."""
    try:
        with db.write() as session:
            tickets.claim(session, agents.by_email(session, email), ticket_id)
        return "won"
    except AlreadyClaimedError as lost:
        return f"lost:{lost.owner_email}"


def _assert_one_winner(
    db: Database, emails: list[str], outcomes: dict[str, str], ticket_id: int
) -> None:
    winners = [email for email, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1, outcomes
    losers = {outcome for outcome in outcomes.values() if outcome != "won"}
    assert losers == {f"lost:{winners[0]}"}, "every loser is told the winner's name"
    assert len(outcomes) == len(emails)
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.assignee is not None and ticket.assignee.email == winners[0]
        claims = session.scalar(select(func.count(Event.id)).where(Event.kind == "ticket.claimed"))
        assert claims == 1


def test_threads_race_to_claim(db: Database) -> None:
    ticket_id = make_team(db).ticket_id
    emails = _add_claimers(db)
    barrier = threading.Barrier(CLAIMERS)
    outcomes: dict[str, str] = {}
    errors: list[BaseException] = []

    def run(email: str) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[email] = _claim_once(db, email, ticket_id)
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    _assert_one_winner(db, emails, outcomes, ticket_id)


def _process_claimer(
    url: str, email: str, ticket_id: int, barrier: threading.Barrier, results: multiprocessing.Queue
) -> None:
    database = Database(url)  # a fresh engine: connections must never cross a fork
    try:
        barrier.wait(timeout=60)
        results.put((email, _claim_once(database, email, ticket_id)))
    except BaseException as exc:
        results.put((email, f"error:{exc!r}"))
    finally:
        database.dispose()


def test_processes_race_to_claim(db: Database, db_url: str) -> None:
    ticket_id = make_team(db).ticket_id
    emails = _add_claimers(db)
    db.dispose()  # nothing open across the fork
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(CLAIMERS)
    results: multiprocessing.Queue = context.Queue()
    target: Callable[..., None] = _process_claimer
    processes = [
        context.Process(target=target, args=(db_url, email, ticket_id, barrier, results))
        for email in emails
    ]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert not [o for o in outcomes.values() if o.startswith("error:")], outcomes
    _assert_one_winner(db, emails, outcomes, ticket_id)


@pytest.mark.parametrize("claimers", [2])
def test_claim_then_release_then_claim_again(db: Database, claimers: int) -> None:
    """The winner releases; the next claimer wins; the feed saw both."""
    ticket_id = make_team(db).ticket_id
    emails = _add_claimers(db)[:claimers]
    assert _claim_once(db, emails[0], ticket_id) == "won"
    assert _claim_once(db, emails[1], ticket_id) == f"lost:{emails[0]}"
    with db.write() as session:
        tickets.release(session, agents.by_email(session, emails[0]), ticket_id)
    assert _claim_once(db, emails[1], ticket_id) == "won"
