"""Dragging tickets out of the queue: the MIME payload, and reading it back safely."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QItemSelectionModel, QMimeData, Qt
from PySide6.QtWidgets import QAbstractItemView
from pytestqt.qtbot import QtBot

from crm_desk.core import agents, tickets
from crm_desk.core.queries import TicketSort
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.models.queue_model import Column, QueueModel
from crm_desk.ui.models.ticket_drag import (
    TICKET_IDS_MIME_TYPE,
    DraggedTicket,
    dragged_tickets,
    ticket_mime_data,
)
from crm_desk.ui.views.queue_view import QueueView
from tests.ui.data import seed_tickets


@pytest.fixture
def view(ui_db: Database, qtbot: QtBot) -> QueueView:
    seeded = seed_tickets(ui_db, 6)
    with ui_db.write() as session:  # ticket 4 moves on to version 3
        lead = agents.by_id(session, seeded.lead_id)
        tickets.set_priority(session, lead, 4, "high")
        tickets.set_status(session, lead, 4, "open")
    model = QueueModel(ui_db, sort=TicketSort("number", descending=False))
    queue = QueueView(model)
    qtbot.addWidget(queue)
    qtbot.waitUntil(lambda: not model.busy and tasks.is_idle())
    return queue


def payload(mime: QMimeData) -> object:
    return json.loads(bytes(mime.data(TICKET_IDS_MIME_TYPE).data()).decode("utf-8"))


def test_the_view_is_a_drag_source_only(view: QueueView) -> None:
    assert view.dragEnabled()
    assert view.dragDropMode() == QAbstractItemView.DragDropMode.DragOnly
    assert not view.acceptDrops()
    model = view.model()
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsDragEnabled
    assert model.mimeTypes() == [TICKET_IDS_MIME_TYPE]
    assert model.supportedDragActions() & Qt.DropAction.MoveAction


def test_selected_rows_are_dragged_with_their_versions(view: QueueView) -> None:
    selection = view.selectionModel()
    model = view.model()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (3, 1):  # tickets 4 and 2, selected out of order
        selection.select(model.index(row, Column.SUBJECT), flags)
    indexes = view.selectedIndexes()
    assert len(indexes) == 2 * len(Column)  # one index per cell: each ticket must appear once

    mime = model.mimeData(indexes)
    assert payload(mime) == [{"id": 2, "version": 1}, {"id": 4, "version": 3}]
    assert mime.text() == "#2 #4"
    assert dragged_tickets(mime) == [DraggedTicket(2, 1), DraggedTicket(4, 3)]


def test_round_trip() -> None:
    tickets_out = [DraggedTicket(12, 3), DraggedTicket(7, 1)]
    assert dragged_tickets(ticket_mime_data(tickets_out)) == tickets_out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"tickets": [{"id": 5, "version": null}]}', [DraggedTicket(5, None)]),
        (b"[]", []),
        (b"not json", []),
        (b"\xff\xfe", []),
        (b'{"id": 5}', []),
        (b'[{"id": "5", "version": 1}]', []),
        (b'[{"id": true, "version": 1}]', []),
        (b'[{"id": 0, "version": 1}]', []),
        (b'[{"id": 5, "version": 1.5}]', []),
        (b'[{"id": 5, "version": 1}, 7]', []),
    ],
)
def test_a_drop_from_anywhere_is_read_defensively(
    raw: bytes, expected: list[DraggedTicket]
) -> None:
    mime = QMimeData()
    mime.setData(TICKET_IDS_MIME_TYPE, raw)
    assert dragged_tickets(mime) == expected


def test_other_formats_carry_no_tickets() -> None:
    mime = QMimeData()
    mime.setText("#12")
    assert dragged_tickets(mime) == []
