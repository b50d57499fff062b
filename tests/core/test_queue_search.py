"""Search within the queue on both engines: Japanese words, the view's filter, both orders."""

from __future__ import annotations

import pytest

from crm_desk.core import agents, customers, queue_search, reads, tickets
from crm_desk.core.queries import TicketFilter, TicketSort
from crm_desk.core.queue_search import (
    SearchCursor,
    is_searchable,
    matching_ticket_ids,
    search_tickets,
)
from crm_desk.store.db import Database
from tests.support.factories import Team, make_team

MAIL = [
    ("請求書の再発行をお願いします", "請求書の宛名を株式会社に変更してください。"),
    ("注文のキャンセル", "昨日の注文を取り消したいです。"),
    ("Invoice copy", "Please send the invoice again."),
    ("返品について", "サイズが合わないので返品したいです。"),
    ("領収書と請求書", "領収書と請求書を両方ください。"),
    ("注文内容の変更", "注文した色を青に変えられますか。"),
    ("配送状況", "注文した荷物が届きません。"),
]


@pytest.fixture
def team(db: Database) -> Team:
    return make_team(db)  # its own ticket: 注文した商品が届きません


@pytest.fixture
def mail(db: Database, team: Team) -> dict[str, int]:
    numbers = {"team": team.ticket_id}
    with db.write() as session:
        for index, (subject, body) in enumerate(MAIL):
            contact, _ = customers.match_or_create_contact(session, None, f"c{index}@example.net")
            numbers[subject] = tickets.create_ticket(
                session,
                None,
                subject=subject,
                contact_id=contact.id,
                body_text=body,
                from_address=contact.email,
            ).id
        lead = agents.by_id(session, team.lead_id)
        tickets.set_status(session, lead, numbers["注文のキャンセル"], "closed")
        tickets.set_priority(session, lead, numbers["注文内容の変更"], "urgent")
    return numbers


def found(db: Database, query: str, flt: TicketFilter | None = None, **kw: object) -> list[int]:
    with db.read() as session:
        page = search_tickets(session, query, flt, limit=50, **kw)  # type: ignore[arg-type]
    assert page.cursor is None
    return [row.id for row in page.rows]


def test_japanese_two_and_three_character_words(db: Database, mail: dict[str, int]) -> None:
    assert set(found(db, "請求書")) == {
        mail["請求書の再発行をお願いします"],
        mail["領収書と請求書"],
    }
    assert set(found(db, "注文")) == {
        mail["team"],
        mail["注文のキャンセル"],
        mail["注文内容の変更"],
        mail["配送状況"],
    }
    assert found(db, "invoice") == [mail["Invoice copy"]]
    assert found(db, "返品 サイズ") == [mail["返品について"]]
    assert found(db, "見積") == []


def test_the_view_filter_applies(db: Database, mail: dict[str, int]) -> None:
    open_only = TicketFilter(statuses=("new", "open", "pending"))
    assert set(found(db, "注文", open_only)) == {
        mail["team"],
        mail["注文内容の変更"],
        mail["配送状況"],
    }
    assert found(db, "注文", TicketFilter(priorities=("urgent",))) == [mail["注文内容の変更"]]
    assert found(db, "注文", TicketFilter(statuses=("resolved",))) == []


def test_rows_carry_the_viewers_unread_flag(db: Database, team: Team, mail: dict[str, int]) -> None:
    with db.write() as session:
        reads.mark_read(session, team.alice_id, mail["領収書と請求書"])
    with db.read() as session:
        rows = search_tickets(session, "請求書", viewer_id=team.alice_id).rows
    unread = {row.id: row.unread for row in rows}
    assert unread == {mail["請求書の再発行をお願いします"]: True, mail["領収書と請求書"]: False}


@pytest.mark.parametrize("batch", [2, 3, 500])
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_best_first_pages_cover_every_match_once(
    db: Database, mail: dict[str, int], limit: int, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paged by offset through the ranked hits, whatever the filter leaves of each batch."""
    flt = TicketFilter(statuses=("new", "open", "pending"))
    expected = found(db, "注文", flt)
    assert len(expected) == 3
    # Small batches: a page spans batches, and batches end inside pages.
    monkeypatch.setattr(queue_search, "_SEARCH_BATCH", batch)
    assert found(db, "注文", flt) == expected
    seen: list[int] = []
    cursor: SearchCursor | None = None
    with db.read() as session:
        for _ in range(10):
            page = search_tickets(session, "注文", flt, limit=limit, after=cursor)
            assert len(page.rows) <= limit
            seen.extend(row.id for row in page.rows)
            cursor = page.cursor
            if cursor is None:
                break
    assert cursor is None
    assert seen == expected


@pytest.mark.parametrize("descending", [False, True])
def test_sorted_by_a_column(db: Database, mail: dict[str, int], descending: bool) -> None:
    expected = sorted(found(db, "注文"), reverse=descending)
    by_number = TicketSort("number", descending=descending)
    with db.read() as session:
        first = search_tickets(session, "注文", None, by_number, limit=3)
        assert first.cursor is not None and first.cursor.ids == tuple(expected)
        second = search_tickets(session, "注文", None, by_number, limit=3, after=first.cursor)
        assert matching_ticket_ids(session, "注文", None, by_number) == tuple(expected)
    assert [row.id for row in first.rows + second.rows] == expected
    assert second.cursor is None


def test_contacts_are_not_rows(db: Database, team: Team) -> None:
    # 山田 is the team's customer: a contact document and the ticket's sender both match.
    assert found(db, "山田") == [team.ticket_id]


def test_count_of_matches(db: Database, mail: dict[str, int]) -> None:
    with db.read() as session:
        assert len(matching_ticket_ids(session, "注文")) == 4
        closed = TicketFilter(statuses=("closed",))
        assert matching_ticket_ids(session, "注文", closed) == (mail["注文のキャンセル"],)
        assert matching_ticket_ids(session, "nothing-like-this") == ()


@pytest.mark.parametrize(
    ("text", "searchable"), [("注", True), ("a", True), ("  ", False), ("!?", False)]
)
def test_is_searchable(text: str, searchable: bool) -> None:
    assert is_searchable(text) is searchable


def test_limit_must_be_positive(db: Database) -> None:
    with db.read() as session, pytest.raises(ValueError, match="limit"):
        search_tickets(session, "注文", limit=0)


@pytest.mark.parametrize("typed", ["{n}", "#{n}", " #{n} "])
@pytest.mark.parametrize("limit", [1, 2, 50])
def test_a_ticket_number_lists_that_ticket_first(
    db: Database, mail: dict[str, int], typed: str, limit: int
) -> None:
    number = mail["返品について"]
    with db.write() as session:  # another ticket mentions the number in its text
        mentions = tickets.create_ticket(
            session, None, subject=f"Re: ticket {number}", body_text=f"see {number}"
        ).id
    query = typed.format(n=number)
    seen: list[int] = []
    cursor: SearchCursor | None = None
    with db.read() as session:
        for _ in range(5):
            page = search_tickets(session, query, limit=limit, after=cursor)
            seen.extend(row.id for row in page.rows)
            cursor = page.cursor
            if cursor is None:
                break
        assert matching_ticket_ids(session, query) == (number, mentions)
        by_number = TicketSort("number", descending=True)
        assert matching_ticket_ids(session, query, None, by_number) == (mentions, number)
        closed = TicketFilter(statuses=("closed",))  # the numbered ticket is not closed
        assert search_tickets(session, query, closed).rows == []
    assert seen == [number, mentions]
