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

The rules work on a ``ThreadIndex``: what the database knows about the Message-IDs and
tickets a batch of mail mentions, fetched in a few queries per batch (``core.ingest`` fills
it), and updated as each message of the batch is filed, so that a reply later in the same
batch finds its question.

(Imported elsewhere as ``thread_rules``: the module name follows the architecture map, not
the standard library's ``threading``.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from crm_desk.store.models import TicketStatus

MAX_MERGE_HOPS = 20


@dataclass(frozen=True)
class ThreadDecision:
    ticket_id: int | None  # None: open a new ticket
    reason: str
    reopen: bool = False
    follows_up_id: int | None = None  # the old ticket a new one continues


@dataclass
class TicketState:
    """The fields of a ticket the rules look at (kept current while a batch is filed)."""

    id: int
    status: str
    merged_into_id: int | None
    resolved_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class ThreadRules:
    token_pattern: str
    reopen_closed_within_days: int

    @property
    def token(self) -> re.Pattern[str]:
        return _compile(self.token_pattern)


@dataclass
class ThreadIndex:
    rules: ThreadRules
    ticket_by_message_id: dict[str, int] = field(default_factory=dict)
    tickets: dict[int, TicketState] = field(default_factory=dict)

    def token_number(self, subject: str) -> tuple[int, str] | None:
        found = self.rules.token.search(subject or "")
        if found and found.group(1).isdigit():
            return int(found.group(1)), found.group(0)
        return None


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


def mentioned_message_ids(in_reply_to: str | None, references: Iterable[str]) -> list[str]:
    """The Message-IDs a message points at, normalised, In-Reply-To first."""
    ids = [normalise_message_id(in_reply_to), *(normalise_message_id(r) for r in references)]
    return [i for i in ids if i]


def _follow_merges(index: ThreadIndex, ticket: TicketState) -> TicketState:
    for _ in range(MAX_MERGE_HOPS):
        if ticket.merged_into_id is None or ticket.merged_into_id not in index.tickets:
            return ticket
        ticket = index.tickets[ticket.merged_into_id]
    return ticket


def _match(
    index: ThreadIndex, subject: str, in_reply_to: str | None, references: Sequence[str]
) -> tuple[TicketState, str] | None:
    reply_to = normalise_message_id(in_reply_to)
    if reply_to and reply_to in index.ticket_by_message_id:
        return index.tickets[index.ticket_by_message_id[reply_to]], f"In-Reply-To {reply_to}"
    for reference in reversed(references):
        ref = normalise_message_id(reference)
        if ref and ref in index.ticket_by_message_id:
            return index.tickets[index.ticket_by_message_id[ref]], f"References {ref}"
    token = index.token_number(subject)
    if token and token[0] in index.tickets:
        return index.tickets[token[0]], f"subject token {token[1]}"
    return None


def decide(
    index: ThreadIndex,
    *,
    subject: str,
    in_reply_to: str | None,
    references: Sequence[str],
    is_auto_reply: bool,
    received_at: datetime,
) -> ThreadDecision:
    match = _match(index, subject, in_reply_to, references)
    if match is None:
        return ThreadDecision(None, "new conversation")
    ticket, reason = match
    final = _follow_merges(index, ticket)
    if final.id != ticket.id:
        reason += f" (ticket #{ticket.id} was merged into #{final.id})"
    if is_auto_reply:
        return ThreadDecision(final.id, reason + "; auto-reply, status left as it is")
    if final.status == TicketStatus.RESOLVED:
        return ThreadDecision(final.id, reason + "; reopened", reopen=True)
    if final.status == TicketStatus.CLOSED:
        days = index.rules.reopen_closed_within_days
        closed_at = final.resolved_at or final.updated_at
        if received_at - closed_at > timedelta(days=days):
            return ThreadDecision(
                None,
                f"{reason}; #{final.id} was closed over {days} days ago: new linked ticket",
                follows_up_id=final.id,
            )
        return ThreadDecision(final.id, reason + "; reopened", reopen=True)
    return ThreadDecision(final.id, reason)
