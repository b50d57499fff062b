"""Which ticket a new inbound message belongs to, and why.

In order:

1. its In-Reply-To, then its References (newest first), name a message we already hold;
2. its subject carries a ticket token (``[#1234]``, the team's ``thread_token_pattern``);
3. otherwise it opens a new ticket.

A ticket that was merged is followed to the ticket it was merged into. A reply to a resolved
ticket reopens it; a reply to a ticket closed longer ago than ``reopen_closed_within_days``
opens a new ticket linked to the old one. An auto-reply (out-of-office, bounce) joins its
ticket without reopening anything, and when it matches no ticket it is filed as a closed
ticket, so that no automatic mail ever opens work (or a mail loop).

(Imported elsewhere as ``thread_rules``: the module name follows the architecture map, not
the standard library's ``threading``.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_desk.core import team_settings
from crm_desk.store.models import Message, Ticket, TicketStatus

MAX_MERGE_HOPS = 20


@dataclass(frozen=True)
class ThreadDecision:
    ticket_id: int | None  # None: open a new ticket
    reason: str
    reopen: bool = False
    follows_up_id: int | None = None  # the old ticket a new one continues


@lru_cache(maxsize=8)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def normalise_message_id(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if not value:
        return None
    return value if value.startswith("<") else f"<{value.strip('<>')}>"


def _by_message_ids(session: Session, ids: Sequence[str]) -> tuple[int, str] | None:
    """The ticket of the first of ``ids`` (in order) that we hold, with that id."""
    wanted = [i for i in (normalise_message_id(v) for v in ids) if i]
    if not wanted:
        return None
    found = dict(
        session.execute(
            select(Message.message_id_header, Message.ticket_id).where(
                Message.message_id_header.in_(wanted)
            )
        ).all()
    )
    for message_id in wanted:
        if message_id in found:
            return found[message_id], message_id
    return None


def _follow_merges(session: Session, ticket: Ticket) -> Ticket:
    for _ in range(MAX_MERGE_HOPS):
        if ticket.merged_into_id is None:
            return ticket
        target = session.get(Ticket, ticket.merged_into_id)
        if target is None:
            return ticket
        ticket = target
    return ticket


def decide(
    session: Session,
    *,
    subject: str,
    in_reply_to: str | None,
    references: Sequence[str],
    is_auto_reply: bool,
    received_at: datetime,
) -> ThreadDecision:
    match: tuple[Ticket, str] | None = None
    if found := _by_message_ids(session, [in_reply_to] if in_reply_to else []):
        match = (session.get(Ticket, found[0]), f"In-Reply-To {found[1]}")  # type: ignore[assignment]
    elif found := _by_message_ids(session, list(reversed(references))):
        match = (session.get(Ticket, found[0]), f"References {found[1]}")  # type: ignore[assignment]
    else:
        pattern = _compile(team_settings.get(session, "thread_token_pattern"))
        token = pattern.search(subject or "")
        if token and token.group(1).isdigit():
            candidate = session.get(Ticket, int(token.group(1)))
            if candidate is not None:
                match = (candidate, f"subject token {token.group(0)}")
    if match is None:
        return ThreadDecision(None, "new conversation")
    ticket, reason = match
    final = _follow_merges(session, ticket)
    if final.id != ticket.id:
        reason += f" (ticket #{ticket.id} was merged into #{final.id})"
    if is_auto_reply:
        return ThreadDecision(final.id, reason + "; auto-reply, status left as it is")
    if final.status == TicketStatus.RESOLVED:
        return ThreadDecision(final.id, reason + "; reopened", reopen=True)
    if final.status == TicketStatus.CLOSED:
        days = int(team_settings.get(session, "reopen_closed_within_days"))
        closed_at = final.resolved_at or final.updated_at
        if received_at - closed_at > timedelta(days=days):
            return ThreadDecision(
                None,
                f"{reason}; #{final.id} was closed over {days} days ago: new linked ticket",
                follows_up_id=final.id,
            )
        return ThreadDecision(final.id, reason + "; reopened", reopen=True)
    return ThreadDecision(final.id, reason)
