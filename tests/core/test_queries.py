"""The queue's filters on both engines: priorities, categories, assignees, and the choices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_desk.core import agents, categories, customers, tickets
from crm_desk.core.queries import (
    AgentChoice,
    TicketFilter,
    TicketRow,
    TicketSort,
    filter_choices,
    list_tickets,
    sort_ticket_ids,
    tickets_by_ids,
)
from crm_desk.errors import ValidationError
from crm_desk.store.db import Database
from tests.support.factories import Team, make_team

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def team(db: Database) -> Team:
    return make_team(db)


@pytest.fixture
def queue(db: Database, team: Team) -> dict[str, int]:
    """Five tickets besides the team's: different priorities, categories and owners."""
    with db.write() as session:
        lead = agents.by_id(session, team.lead_id)
        alice = agents.by_id(session, team.alice_id)
        made = {}
        for name, priority in [
            ("urgent", "urgent"),
            ("high", "high"),
            ("low", "low"),
            ("alices", "normal"),
            ("bobs", "normal"),
        ]:
            made[name] = tickets.create_ticket(
                session, None, subject=name, priority=priority, body_text=name
            ).id
        tickets.set_category(session, lead, made["urgent"], team.category_id)
        tickets.set_category(session, lead, made["high"], team.category_id)
        tickets.claim(session, alice, made["alices"])
        tickets.assign(session, lead, made["bobs"], team.bob_id)
        tickets.set_status(session, lead, made["low"], "pending")
    made["team"] = team.ticket_id
    return made


def listed(db: Database, flt: TicketFilter) -> set[int]:
    with db.read() as session:
        return {row.id for row in list_tickets(session, flt, limit=100).rows}


def test_priorities(db: Database, queue: dict[str, int]) -> None:
    assert listed(db, TicketFilter(priorities=("urgent", "high"))) == {
        queue["urgent"],
        queue["high"],
    }
    assert listed(db, TicketFilter(priorities=("low",), statuses=("new",))) == set()


def test_category_and_uncategorised(db: Database, team: Team, queue: dict[str, int]) -> None:
    in_category = {queue["urgent"], queue["high"]}
    assert listed(db, TicketFilter(category_id=team.category_id)) == in_category
    assert listed(db, TicketFilter(uncategorised=True)) == set(queue.values()) - in_category
    # "Uncategorised" wins over a category id, like "unassigned" over an assignee.
    assert listed(db, TicketFilter(uncategorised=True, category_id=team.category_id)) == (
        set(queue.values()) - in_category
    )


def test_assignee_and_unassigned(db: Database, team: Team, queue: dict[str, int]) -> None:
    assert listed(db, TicketFilter(assignee_id=team.alice_id)) == {queue["alices"]}
    assert listed(db, TicketFilter(assignee_id=team.bob_id)) == {queue["bobs"]}
    assert listed(db, TicketFilter(unassigned=True)) == set(queue.values()) - {
        queue["alices"],
        queue["bobs"],
    }


def test_conditions_combine(db: Database, team: Team, queue: dict[str, int]) -> None:
    flt = TicketFilter(
        statuses=("new", "open"), priorities=("urgent", "low"), category_id=team.category_id
    )
    assert listed(db, flt) == {queue["urgent"]}


@pytest.mark.parametrize(
    "bad",
    [{"statuses": ("opened",)}, {"priorities": ("critical",)}],
)
def test_unknown_values_are_refused(bad: dict[str, tuple[str, ...]]) -> None:
    with pytest.raises(ValidationError, match="unknown status or priority"):
        TicketFilter(**bad)  # type: ignore[arg-type]


def test_tickets_by_ids_keeps_the_given_order(db: Database, queue: dict[str, int]) -> None:
    wanted = [queue["low"], 999_999, queue["urgent"], queue["team"]]
    with db.read() as session:
        rows = tickets_by_ids(session, wanted, viewer_id=None)
        assert tickets_by_ids(session, []) == []
    assert [row.id for row in rows] == [queue["low"], queue["urgent"], queue["team"]]
    assert rows[1].subject == "urgent" and rows[1].category == "注文・配送"


def test_tickets_by_ids_matches_list_tickets(
    db: Database, team: Team, queue: dict[str, int]
) -> None:
    with db.read() as session:
        page = list_tickets(
            session, TicketFilter(), TicketSort("number"), limit=100, viewer_id=team.alice_id
        )
        again = tickets_by_ids(session, [row.id for row in page.rows], viewer_id=team.alice_id)
    assert again == page.rows


def test_filter_choices(db: Database, team: Team) -> None:
    with db.write() as session:
        categories.add_category(session, None, name="請求", name_en="Billing")
        carol = agents.add_agent(session, None, name="Carol Gone", email="carol@example.com")
        carol.active = False
    with db.read() as session:
        choices = filter_choices(session)
    assert [c.name for c in choices.categories] == ["注文・配送", "請求"]  # by position
    assert choices.categories[0].name_en == "Orders & delivery"
    assert choices.agents == (  # active agents only, by name
        AgentChoice(team.alice_id, "Alice Agent", "alice@example.com"),
        AgentChoice(team.bob_id, "Bob Agent", "bob@example.com"),
        AgentChoice(team.lead_id, "佐藤 美咲", "lead@example.com"),
    )


# --- sorting by every column -----------------------------------------------------------------


@pytest.fixture
def varied(db: Database, team: Team) -> None:
    """Tickets differing in due date, customer, category and assignee (with ties and gaps)."""
    with db.write() as session:
        lead = agents.by_id(session, team.lead_id)
        second = categories.add_category(session, None, name="請求", name_en="Billing")
        people = [
            "zoe@example.com",  # no name: the address is shown, and sorted
            "Bob Builder <bob.b@example.com>",
            "alice Lower <alice.l@example.com>",
            "山田 花子 <hanako@example.jp>",
            None,
            "Bob Builder <bob.b@example.com>",
        ]
        for n, person in enumerate(people):
            contact_id = None
            if person is not None:
                contact_id = customers.match_or_create_contact(session, None, person)[0].id
            ticket = tickets.create_ticket(
                session, None, subject=f"t{n}", contact_id=contact_id, body_text="x"
            )
            edit = tickets.TicketEdit(
                due_at=START + timedelta(days=n % 3) if n % 2 else None,
                category_id=[team.category_id, second.id, None][n % 3],
            )
            tickets.update_ticket(session, lead, ticket.id, edit)
            owner = [None, team.bob_id, team.alice_id, team.lead_id][n % 4]
            if owner is not None:
                tickets.assign(session, lead, ticket.id, owner)


def _display_key(row: TicketRow, key: str) -> Any:
    match key:
        case "due":
            return row.due_at or datetime(9999, 12, 31, tzinfo=UTC)
        case "customer":
            return (row.contact_name or row.contact_email or "").lower()
        case "category":
            return {"注文・配送": 1, "請求": 2, None: 2**31 - 1}[row.category]
        case "assignee":
            return (row.assignee_name or row.assignee_email or "").lower()
    raise AssertionError(key)


@pytest.mark.usefixtures("varied")
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("key", ["due", "customer", "category", "assignee"])
def test_sort_by_every_column_pages_by_key(db: Database, key: str, descending: bool) -> None:
    sort = TicketSort(key, descending=descending)
    with db.read() as session:
        everything = list_tickets(session, TicketFilter(), TicketSort("number"), limit=100).rows
        paged: list[TicketRow] = []
        after = None
        for _ in range(20):  # pages of two: ties in every key cross page boundaries
            page = list_tickets(session, TicketFilter(), sort, limit=2, after=after)
            paged += page.rows
            after = page.cursor
            if after is None:
                break
        assert sort_ticket_ids(session, [r.id for r in everything], TicketFilter(), sort) == tuple(
            r.id for r in paged
        )
    expected = sorted(everything, key=lambda r: (_display_key(r, key), r.id), reverse=descending)
    assert [r.id for r in paged] == [r.id for r in expected]
    assert len({_display_key(r, key) for r in paged}) < len(paged)  # there were ties


# --- several statuses: one index range per status, merged ---------------------------------------


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("key", ["updated", "due"])
def test_several_statuses_page_like_one_sorted_list(
    db: Database, team: Team, key: str, descending: bool
) -> None:
    statuses = ("new", "open", "pending", "resolved")
    with db.write() as session:
        lead = agents.by_id(session, team.lead_id)
        for n in range(14):
            ticket = tickets.create_ticket(
                session, None, subject=f"s{n}", created_at=START + timedelta(hours=n // 3)
            )
            edit = tickets.TicketEdit(
                status=statuses[n % 4],
                due_at=START + timedelta(days=n % 4) if n % 3 else None,
            )
            tickets.update_ticket(session, lead, ticket.id, edit)
    wanted = TicketFilter(statuses=("new", "open", "pending"))
    sort = TicketSort(key, descending=descending)
    with db.read() as session:
        everything = list_tickets(session, wanted, TicketSort("number"), limit=100).rows
        paged: list[TicketRow] = []
        after = None
        for _ in range(30):  # pages of two: ties cross page boundaries
            page = list_tickets(session, wanted, sort, limit=2, after=after)
            paged += page.rows
            after = page.cursor
            if after is None:
                break
        expected = sort_ticket_ids(session, [r.id for r in everything], wanted, sort)
    assert len(everything) > 6 and {r.status for r in everything} == {"new", "open", "pending"}
    assert tuple(r.id for r in paged) == expected
