"""How the command line prints things: stable JSON shapes and terminal tables.

Terminal columns are measured in display cells, not characters, so Japanese subjects (two
cells a character) line up with English ones.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from typing import Any

from crm_desk.core.queries import TicketRow, iso
from crm_desk.store.models import Agent


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def agent_json(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "name": agent.name,
        "email": agent.email,
        "role": agent.role,
        "active": agent.active,
    }


def row_json(row: TicketRow) -> dict[str, Any]:
    return {
        "number": row.id,
        "subject": row.subject,
        "status": row.status,
        "priority": row.priority,
        "category": row.category,
        "category_en": row.category_en,
        "contact": {"name": row.contact_name, "email": row.contact_email}
        if row.contact_email
        else None,
        "assignee": {"id": row.assignee_id, "name": row.assignee_name, "email": row.assignee_email}
        if row.assignee_id is not None
        else None,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "due_at": iso(row.due_at),
        "message_count": row.message_count,
        "version": row.version,
    }


SUMMARY_KEYS = (
    "number",
    "subject",
    "status",
    "priority",
    "category",
    "tags",
    "assignee",
    "updated_at",
    "updated_by",
    "version",
)


def ticket_summary_json(detail: dict[str, Any]) -> dict[str, Any]:
    return {key: detail[key] for key in SUMMARY_KEYS}


def cell_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(text: str, width: int) -> str:
    """Cut or pad ``text`` to exactly ``width`` display cells."""
    out, used = [], 0
    room = width - 1 if cell_width(text) > width else width  # keep a cell for the ellipsis
    for ch in text.replace("\n", " "):
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > room:
            out.append("…")
            used += 1
            break
        out.append(ch)
        used += w
    return "".join(out) + " " * max(0, width - used)


def print_rows(rows: list[TicketRow]) -> None:
    header = f"{'#':>8}  {fit('status', 9)}{fit('priority', 9)}{fit('assignee', 16)}"
    print(header + f"{fit('category', 16)}subject")
    for row in rows:
        print(
            f"{row.id:>8}  {fit(row.status, 9)}{fit(row.priority, 9)}"
            f"{fit(row.assignee_name or '-', 16)}{fit(row.category or '-', 16)}"
            f"{fit(row.subject, 60).rstrip()}"
        )
    if not rows:
        print("(no tickets)")


def print_detail(detail: dict[str, Any]) -> None:
    assignee = detail["assignee"]
    print(f"#{detail['number']}  {detail['subject']}")
    print(
        f"status {detail['status']} · priority {detail['priority']} · "
        f"category {detail['category'] or '-'} · "
        f"assigned to {assignee['name'] if assignee else 'nobody'} · version {detail['version']}"
    )
    for message in detail["messages"]:
        label = {"in": "customer", "out": "reply", "note": "internal note"}[message["direction"]]
        print(f"\n--- {label} · {message['from'] or ''} · {message['created_at']}")
        print(message["text"].rstrip())
    contact = detail["contact"]
    if contact is None:
        return
    print(f"\n=== customer: {contact['name']} <{contact['email']}>", end="")
    print(f" · {contact['company'] or '-'} · {contact['lifecycle']} · {contact['points']} points")
    summary = detail["customer_summary"]
    print(
        f"orders {summary['order_count']} (not counting cancelled or returned) · "
        f"lifetime {summary['lifetime_spend']} · "
        f"average {summary['average_order_value']} · last {summary['last_purchase'] or '-'}"
    )
    for order in detail["orders"][:10]:
        items = ", ".join(f"{i['name']} ×{i['quantity']}" for i in order["items"])
        print(
            f"  {order['number']}  {order['ordered_at'][:10]}  {fit(order['status'], 9)}"
            f"{order['total']:>12}  {items}"
        )
    for deal in detail["deals"]:
        print(f"  deal: {deal['title']} · {deal['stage']} · {deal['amount']} {deal['currency']}")
    for earlier in detail["earlier_tickets"][:10]:
        print(f"  earlier #{earlier['number']} {earlier['status']}: {earlier['subject']}")
