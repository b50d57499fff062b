"""Full-text search over tickets (subject, message text, senders) and contacts, on both engines.

Why our own tokens: SQLite's FTS5 trigram tokenizer cannot find a two-character Japanese word
(注文, 返品), and PostgreSQL's parsers do not segment Japanese at all. So text is cut into terms
here, once, the same way for both engines, and stored pre-tokenized in ``search_docs.body``:

* runs of kana and kanji become overlapping bigrams plus the run's last character
  (``請求書を`` → ``請求 求書 書を を``), the classic n-gram approach for CJK;
* everything else becomes lower-cased words (``taro@example.co.jp`` → ``taro example co jp``);
* text is NFKC-normalised first, so full-width ``ＡＢＣ`` and half-width ``ﾊﾝｶｸ`` match their
  ordinary forms.

A query term becomes a phrase of the same tokens, so 請求書 is the phrase ``請求 求書``; a
two-character term is one token; a single character and the last term typed are prefixes.
SQLite matches with FTS5 (unicode61 over the tokens) ranked by bm25; PostgreSQL with a
``tsvector`` (the ``simple`` configuration) ranked by ``ts_rank_cd``.

Ranking is by relevance among the newest ``RANK_WINDOW`` matching documents: a term found in
half a million tickets is answered in milliseconds, and for a support queue the newest matches
are the ones wanted. Below that many matches, the ranking covers every match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from crm_desk.core.tokens import TOKEN_RUN, bigrams, index_text, is_cjk, normalise, tokenize
from crm_desk.store.models import Company, Contact, Message, SearchDoc, Ticket

__all__ = ["index_text", "tokenize"]  # re-exported: the indexer's names

RANK_WINDOW = 2000
MAX_QUERY_TERMS = 16


@dataclass(frozen=True)
class QueryTerm:
    tokens: tuple[str, ...]
    prefix: bool


def parse_query(query: str) -> list[QueryTerm]:
    """Whitespace-separated terms, each a phrase of tokens; all terms must match."""
    terms: list[QueryTerm] = []
    words = query.split()
    for index, word in enumerate(words[:MAX_QUERY_TERMS]):
        is_last = index == len(words) - 1
        for match in TOKEN_RUN.finditer(normalise(word)):
            run = match.group()
            if is_cjk(run):
                tokens = tuple(bigrams(run))
                terms.append(QueryTerm(tokens, prefix=len(run) == 1))
            else:
                terms.append(QueryTerm((run,), prefix=is_last))
    return terms


def fts5_expression(terms: Sequence[QueryTerm]) -> str:
    # Tokens hold only word characters, so quoting cannot be broken out of.
    return " AND ".join(f'"{" ".join(t.tokens)}"' + ("*" if t.prefix else "") for t in terms)


def tsquery_expression(terms: Sequence[QueryTerm]) -> str:
    phrases = []
    for term in terms:
        quoted = [f"'{token}'" for token in term.tokens]
        if term.prefix:
            quoted[-1] += ":*"
        phrases.append("(" + " <-> ".join(quoted) + ")")
    return " & ".join(phrases)


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "ticket" | "contact"
    id: int
    title: str
    detail: str
    status: str | None
    score: float


@dataclass(frozen=True)
class SearchPage:
    query: str
    hits: list[SearchHit]
    offset: int
    limit: int
    has_more: bool


_SQLITE_PAGE = text(
    """
    SELECT d.ticket_id, d.contact_id, w.score FROM (
        SELECT rowid AS doc_id, bm25(search_fts) AS score FROM search_fts
        WHERE search_fts MATCH :expr ORDER BY rowid DESC LIMIT :window
    ) AS w JOIN search_docs AS d ON d.id = w.doc_id
    ORDER BY w.score, w.doc_id DESC LIMIT :limit OFFSET :offset
    """
)
_POSTGRES_WINDOW = text(
    """
    SELECT id, ticket_id, contact_id, -ts_rank_cd(tsv, q) AS score
    FROM search_docs, to_tsquery('simple', :expr) AS q
    WHERE tsv @@ q AND id > :floor ORDER BY id DESC LIMIT :window
    """
)
# PostgreSQL first looks at the newest this-many documents, then at a range sized by the hits.
POSTGRES_FIRST_SPAN = 40_000


def _postgres_window(
    session: Session, terms: Sequence[QueryTerm]
) -> list[tuple[int, int | None, int | None, float]]:
    """The newest ``RANK_WINDOW`` matches, looked for in growing ranges of recent documents.

    Without the range, a phrase (請求書 = 請求 <-> 求書) that the planner thinks rare makes it
    recheck the phrase in every document holding both bigrams (tens of thousands at a million
    tickets, ~0.5 s); an ``id > floor`` bound lets it combine the GIN index with the primary
    key and recheck only recent candidates. Anything above the floor is newer than anything
    below, so a full window from the range is exactly the newest matches overall.
    """
    top = session.scalar(select(func.max(SearchDoc.id))) or 0
    span = POSTGRES_FIRST_SPAN
    expression = tsquery_expression(terms)
    while True:
        floor = max(0, top - span)
        rows = session.execute(
            _POSTGRES_WINDOW, {"expr": expression, "floor": floor, "window": RANK_WINDOW}
        ).all()
        if len(rows) >= RANK_WINDOW or floor == 0:
            return [(r[0], r[1], r[2], float(r[3])) for r in rows]
        # Size the next range from this one's hit rate (with room to spare), not blindly.
        span = int(span * (min(64.0, max(2.0, 1.5 * RANK_WINDOW / len(rows))) if rows else 16))


def _ranked_doc_rows(
    session: Session, terms: Sequence[QueryTerm], limit: int, offset: int
) -> list[tuple[int | None, int | None, float]]:
    """(ticket_id, contact_id, score) of one page of matching documents, best (lowest) first."""
    if session.get_bind().dialect.name == "sqlite":
        params = {
            "expr": fts5_expression(terms),
            "window": RANK_WINDOW,
            "limit": limit,
            "offset": offset,
        }
        return [(r[0], r[1], float(r[2])) for r in session.execute(_SQLITE_PAGE, params)]
    window = sorted(_postgres_window(session, terms), key=lambda r: (r[3], -r[0]))
    return [(r[1], r[2], r[3]) for r in window[offset : offset + limit]]


def search(session: Session, query: str, *, limit: int = 50, offset: int = 0) -> SearchPage:
    """Tickets and contacts matching every term of ``query``, best first, one page."""
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    terms = parse_query(query)
    if not terms:
        return SearchPage(query, [], offset, limit, has_more=False)
    rows = _ranked_doc_rows(session, terms, limit + 1, offset)
    has_more = len(rows) > limit
    rows = rows[:limit]
    ticket_ids = [r[0] for r in rows if r[0] is not None]
    contact_ids = [r[1] for r in rows if r[1] is not None]
    tickets = {
        t.id: t
        for t in session.execute(
            select(Ticket.id, Ticket.subject, Ticket.status, Contact.email)
            .outerjoin(Contact, Contact.id == Ticket.contact_id)
            .where(Ticket.id.in_(ticket_ids))
        )
    }
    contacts = {
        c.id: c
        for c in session.execute(
            select(Contact.id, Contact.name, Contact.email, Contact.lifecycle).where(
                Contact.id.in_(contact_ids)
            )
        )
    }
    hits: list[SearchHit] = []
    for ticket_id, contact_id, score in rows:
        if ticket_id is not None and ticket_id in tickets:
            t = tickets[ticket_id]
            hits.append(SearchHit("ticket", t.id, t.subject, t.email or "", t.status, -score))
        elif contact_id is not None and contact_id in contacts:
            c = contacts[contact_id]
            hits.append(SearchHit("contact", c.id, c.name or c.email, c.email, c.lifecycle, -score))
    return SearchPage(query, hits, offset, limit, has_more)


# --- keeping the index in step; called by the core services inside their transaction ---


def append_to_ticket(session: Session, ticket_id: int, *parts: str | None) -> None:
    """Add text (a new message, say) to a ticket's document, creating it if needed."""
    tokens = index_text(*parts)
    if not tokens:
        return
    result = session.execute(
        update(SearchDoc)
        .where(SearchDoc.ticket_id == ticket_id)
        .values(body=SearchDoc.body + " " + tokens)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(SearchDoc(ticket_id=ticket_id, body=tokens))
        session.flush()


def ticket_document(session: Session, ticket_id: int) -> str:
    subject = session.scalar(select(Ticket.subject).where(Ticket.id == ticket_id))
    # The same pieces, in the same order, as create_ticket() and add_note() append them.
    message_parts: Iterable[tuple[str | None, str | None]] = session.execute(
        select(Message.from_address, Message.body_text)
        .where(Message.ticket_id == ticket_id)
        .order_by(Message.id)
    ).all()
    return index_text(subject, *(part for row in message_parts for part in row))


def reindex_ticket(session: Session, ticket_id: int) -> None:
    """Rebuild a ticket's document from scratch (after a merge or a subject change)."""
    _upsert(session, SearchDoc.ticket_id, ticket_id, ticket_document(session, ticket_id))


def contact_text(
    name: str | None,
    name_kana: str | None,
    email: str | None,
    phone: str | None,
    company: str | None,
) -> str:
    """A contact's search document: the one rule, used by the services and by bulk ingest."""
    return index_text(name, name_kana, email, phone, company)


def contact_document(session: Session, contact: Contact) -> str:
    company = (
        session.scalar(select(Company.name).where(Company.id == contact.company_id))
        if contact.company_id
        else None
    )
    return contact_text(contact.name, contact.name_kana, contact.email, contact.phone, company)


def reindex_contact(session: Session, contact: Contact) -> None:
    _upsert(session, SearchDoc.contact_id, contact.id, contact_document(session, contact))


def _upsert(session: Session, key: object, key_value: int, body: str) -> None:
    result = session.execute(
        update(SearchDoc)
        .where(key == key_value)  # type: ignore[arg-type]
        .values(body=body)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        column = "ticket_id" if key is SearchDoc.ticket_id else "contact_id"
        session.add(SearchDoc(**{column: key_value, "body": body}))
        session.flush()
