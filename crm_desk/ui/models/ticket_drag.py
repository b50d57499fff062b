"""Tickets dragged between views: the MIME type, and encoding and decoding its payload.

The payload is JSON, ``[{"id": 12, "version": 3}, ...]``: the ticket numbers and the versions
the user saw, so the drop target can assign with ``expected_version`` and a ticket changed on
another desktop meanwhile is refused with "changed by X" instead of being overwritten.

A drop can come from another application, so decoding trusts nothing: anything that is not a
list of objects with integer ``id`` and ``version`` yields no tickets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QMimeData

TICKET_IDS_MIME_TYPE = "application/x-crm-desk-ticket-ids"


@dataclass(frozen=True)
class DraggedTicket:
    id: int
    version: int | None  # the version the dragging view showed; None: not checked


def ticket_mime_data(tickets: Iterable[DraggedTicket]) -> QMimeData:
    """MIME data for a drag; also plain text (``#12 #15``) for dropping into other programs."""
    items = list(tickets)
    mime = QMimeData()
    payload = [{"id": t.id, "version": t.version} for t in items]
    mime.setData(TICKET_IDS_MIME_TYPE, json.dumps(payload).encode("utf-8"))
    mime.setText(" ".join(f"#{t.id}" for t in items))
    return mime


def dragged_tickets(mime: QMimeData) -> list[DraggedTicket]:
    """The tickets in a drop, in drag order; [] when it holds none (or is malformed).

    Also reads the object form ``{"tickets": [...]}`` and a ``null`` version (not checked),
    so a drop target using this function understands either way of writing the payload.
    """
    if not mime.hasFormat(TICKET_IDS_MIME_TYPE):
        return []
    try:
        payload = json.loads(bytes(mime.data(TICKET_IDS_MIME_TYPE).data()).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return []
    if isinstance(payload, dict):
        payload = payload.get("tickets")
    if not isinstance(payload, list):
        return []
    tickets: list[DraggedTicket] = []
    for item in payload:
        if not isinstance(item, dict):
            return []
        ticket_id, version = item.get("id"), item.get("version")
        # type() rather than isinstance(): a JSON true is a bool, which is an int in Python.
        if type(ticket_id) is not int or ticket_id < 1:
            return []
        if version is not None and type(version) is not int:
            return []
        tickets.append(DraggedTicket(ticket_id, version))
    return tickets
