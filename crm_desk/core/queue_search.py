"""Search within the queue: the tickets matching a query that the view's filter allows.

Search looks within what the user is looking at: in "All open", a search for 請求書 lists the
open tickets about invoices, not last year's closed ones. ``core.search`` does the matching and
ranking (CJK bigrams, FTS5 / tsvector, the newest ``RANK_WINDOW`` matching documents ranked);
this module keeps the ticket hits the filter allows and turns them into queue rows.

Two orders:

* **best match first** (no sort): pages by offset through the ranked hits. One call of
  ``core.search.search`` reads ``_SEARCH_BATCH`` hits, so a page usually costs one ranking,
  however restrictive the filter (a batch that yields too few rows is followed by the next);
* **by a column** (a ``TicketSort``): every matching id is read once (at most ``RANK_WINDOW``)
  and sorted in SQL through the primary key; the sorted ids travel in the cursor, so the next
  pages only load rows.

Both return at most ``limit`` rows and a ``SearchCursor`` for the next page (None at the end).

A query that is a ticket number (``1234`` or ``#1234``) lists that ticket first, when the
filter allows it, followed by the text matches (order numbers and the like).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_desk.core import search
from crm_desk.core.queries import (
    TicketFilter,
    TicketRow,
    TicketSort,
    sort_ticket_ids,
    tickets_by_ids,
)
from crm_desk.store.models import Ticket

_SEARCH_BATCH = 500  # hits per call of core.search.search (the most it returns at once)
_TICKET_NUMBER = re.compile(r"#?([0-9]{1,18})")  # ASCII digits; 18 stays within BIGINT


@dataclass(frozen=True)
class SearchCursor:
    """Where the next page starts: an offset into the ranked hits, or into ``ids``."""

    offset: int
    ids: tuple[int, ...] | None = None  # sorted by a column: every matching ticket, in order


@dataclass(frozen=True)
class SearchResultPage:
    rows: list[TicketRow]
    cursor: SearchCursor | None  # pass as ``after`` for the next page; None at the end


def is_searchable(query: str) -> bool:
    """Whether ``query`` holds anything to search for (not only spaces or punctuation)."""
    return bool(search.parse_query(query))


def search_tickets(
    session: Session,
    query: str,
    flt: TicketFilter | None = None,
    sort: TicketSort | None = None,
    *,
    limit: int = 50,
    after: SearchCursor | None = None,
    viewer_id: int | None = None,
) -> SearchResultPage:
    """One page of the tickets matching ``query`` within ``flt`` (see the module docstring)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    flt = flt or TicketFilter()
    if sort is not None:
        return _sorted_page(
            session, query, flt, sort=sort, limit=limit, after=after, viewer_id=viewer_id
        )
    return _ranked_page(session, query, flt, limit=limit, after=after, viewer_id=viewer_id)


def matching_ticket_ids(
    session: Session, query: str, flt: TicketFilter | None = None, sort: TicketSort | None = None
) -> tuple[int, ...]:
    """Every ticket matching ``query`` within ``flt`` (best first, or in ``sort`` order).

    ``len()`` of it is the number of matches, for a count in the status bar.
    """
    ranked = _all_ranked_ticket_ids(session, query)
    number = _ticket_number(query)
    if number is not None:
        ranked = [number, *(i for i in ranked if i != number)]
    if not ranked:
        return ()
    flt = flt or TicketFilter()
    if sort is not None:
        return sort_ticket_ids(session, ranked, flt, sort)
    allowed = _allowed(session, ranked, flt)
    return tuple(i for i in ranked if i in allowed)


def _ticket_number(query: str) -> int | None:
    match = _TICKET_NUMBER.fullmatch(query.strip())
    return int(match.group(1)) if match else None


def _ranked_ticket_ids(hits: Sequence[search.SearchHit]) -> list[tuple[int, int]]:
    """(position among the hits, ticket id) of the ticket hits; contacts are not queue rows."""
    return [(position, hit.id) for position, hit in enumerate(hits) if hit.kind == "ticket"]


def _all_ranked_ticket_ids(session: Session, query: str) -> list[int]:
    ranked: list[int] = []
    offset = 0
    while True:
        page = search.search(session, query, limit=_SEARCH_BATCH, offset=offset)
        ranked.extend(ticket_id for _, ticket_id in _ranked_ticket_ids(page.hits))
        offset += len(page.hits)
        if not page.has_more or not page.hits:
            return ranked


def _allowed(session: Session, ids: Sequence[int], flt: TicketFilter) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Ticket.id).where(Ticket.id.in_(ids), *flt.conditions())))


def _ranked_page(
    session: Session,
    query: str,
    flt: TicketFilter,
    *,
    limit: int,
    after: SearchCursor | None,
    viewer_id: int | None,
) -> SearchResultPage:
    offset = after.offset if after is not None else 0
    taken: list[int] = []
    number = _ticket_number(query)
    if number is not None and after is None and _allowed(session, [number], flt):
        taken.append(number)  # the ticket with that number first (on the first page only)
        if limit == 1:  # that is the page; the text matches follow from the first hit
            return SearchResultPage(
                tickets_by_ids(session, taken, viewer_id=viewer_id), SearchCursor(0)
            )
    while True:
        page = search.search(session, query, limit=_SEARCH_BATCH, offset=offset)
        candidates = _ranked_ticket_ids(page.hits)
        allowed = _allowed(session, [ticket_id for _, ticket_id in candidates], flt)
        for position, ticket_id in candidates:
            if ticket_id in allowed and ticket_id != number:
                taken.append(ticket_id)
                if len(taken) == limit:
                    # More may follow: later hits of this batch, or further batches.
                    more = position + 1 < len(page.hits) or page.has_more
                    cursor = SearchCursor(offset + position + 1) if more else None
                    return SearchResultPage(
                        tickets_by_ids(session, taken, viewer_id=viewer_id), cursor
                    )
        offset += len(page.hits)
        if not page.has_more or not page.hits:
            return SearchResultPage(tickets_by_ids(session, taken, viewer_id=viewer_id), None)


def _sorted_page(
    session: Session,
    query: str,
    flt: TicketFilter,
    *,
    sort: TicketSort,
    limit: int,
    after: SearchCursor | None,
    viewer_id: int | None,
) -> SearchResultPage:
    if after is not None and after.ids is not None:
        ids, offset = after.ids, after.offset
    else:
        ids, offset = matching_ticket_ids(session, query, flt, sort), 0
    end = offset + limit
    rows = tickets_by_ids(session, ids[offset:end], viewer_id=viewer_id)
    return SearchResultPage(rows, SearchCursor(end, ids) if end < len(ids) else None)
