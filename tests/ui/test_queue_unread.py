"""QueueModel: the viewer's unread tickets in bold, cleared by mark_read without a reload."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from crm_desk.core import agents, reads, tickets
from crm_desk.core.queries import TicketFilter, TicketSort, list_tickets
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.models.queue_model import Column, QueueModel
from tests.ui.data import Seeded, seed_tickets

COUNT = 12
PAGE = 5


def settle(qtbot: QtBot, model: QueueModel) -> None:
    qtbot.waitUntil(lambda: not model.busy and tasks.is_idle())


def is_bold(model: QueueModel, ticket_id: int, column: Column = Column.SUBJECT) -> bool:
    font = model.index_of(ticket_id, column).data(Qt.ItemDataRole.FontRole)
    return isinstance(font, QFont) and font.bold()


@pytest.fixture
def seeded(ui_db: Database) -> Seeded:
    return seed_tickets(ui_db, COUNT)


@pytest.fixture
def agent_id(ui_db: Database, seeded: Seeded) -> int:
    with ui_db.write() as session:
        return agents.add_agent(session, None, name="Alice", email="alice@example.com").id


@pytest.fixture
def model(ui_db: Database, seeded: Seeded, agent_id: int, qtbot: QtBot) -> Iterator[QueueModel]:
    with ui_db.write() as session:
        for ticket_id in seeded.ticket_ids[::2]:  # 1, 3, 5, ... seen; 2, 4, ... never
            reads.mark_read(session, agent_id, ticket_id)
    queue = QueueModel(
        ui_db, page_size=PAGE, sort=TicketSort("number", descending=False), viewer_id=agent_id
    )
    settle(qtbot, queue)
    yield queue
    settle(qtbot, queue)


def test_unread_rows_are_bold_in_every_column(model: QueueModel) -> None:
    assert [model.row_at(r).id for r in range(model.rowCount())] == [1, 2, 3, 4, 5]
    assert [is_bold(model, t) for t in (1, 2, 3, 4, 5)] == [False, True, False, True, False]
    assert all(is_bold(model, 2, column) for column in Column)
    font = model.index_of(2).data(Qt.ItemDataRole.FontRole)
    # Only the weight is set: the delegate keeps the view's own family and size.
    views_font = QFont("Noto Sans CJK JP", 23)
    shown = font.resolve(views_font)
    assert (shown.family(), shown.pointSize(), shown.bold()) == ("Noto Sans CJK JP", 23, True)


def test_mark_read_unbolds_one_row_without_a_reload(
    ui_db: Database, model: QueueModel, agent_id: int, qtbot: QtBot
) -> None:
    with (
        qtbot.assertNotEmitted(model.modelReset),
        qtbot.assertNotEmitted(model.loaded),
        qtbot.waitSignal(model.dataChanged) as changed,
    ):
        model.mark_read(2)
    top, bottom, roles = changed.args
    assert (top.row(), bottom.row(), top.column(), bottom.column()) == (1, 1, 0, len(Column) - 1)
    assert roles == [Qt.ItemDataRole.FontRole]
    assert not is_bold(model, 2)
    assert is_bold(model, 4)
    settle(qtbot, model)
    with ui_db.read() as session:  # written for good, not only shown
        rows = list_tickets(session, TicketFilter(), limit=COUNT, viewer_id=agent_id).rows
    assert {row.id: row.unread for row in rows}[2] is False


def test_mark_unread_bolds_again(model: QueueModel, qtbot: QtBot) -> None:
    with qtbot.waitSignal(model.dataChanged):
        model.mark_unread([3, 5])
    assert is_bold(model, 3) and is_bold(model, 5) and not is_bold(model, 1)


def test_another_agents_update_bolds_the_row_on_refresh(
    ui_db: Database, model: QueueModel, seeded: Seeded, agent_id: int, qtbot: QtBot
) -> None:
    with ui_db.write() as session:
        lead = agents.by_id(session, seeded.lead_id)
        tickets.set_priority(session, lead, 3, "high")
    with ui_db.write() as session:  # the viewer's own edit is not news to them
        tickets.claim(session, agents.by_id(session, agent_id), 5)
    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.dataChanged):
        model.refresh()  # what the change feed triggers
    settle(qtbot, model)
    assert is_bold(model, 3)
    assert not is_bold(model, 5) and not is_bold(model, 1)


def test_no_viewer_no_bold_and_switching_viewer_updates_in_place(
    model: QueueModel, qtbot: QtBot
) -> None:
    with qtbot.assertNotEmitted(model.modelReset):
        model.set_viewer(None)
        settle(qtbot, model)
    assert not any(is_bold(model, t) for t in (1, 2, 3, 4, 5))
    model.mark_read(2)  # nobody to mark it for: nothing happens
    assert tasks.is_idle()


def test_mark_read_of_a_ticket_not_loaded_changes_no_row(model: QueueModel, qtbot: QtBot) -> None:
    with qtbot.assertNotEmitted(model.dataChanged):
        model.mark_read(COUNT)  # beyond the first page
        settle(qtbot, model)
    model.fetchMore(QModelIndex())
    settle(qtbot, model)
    model.fetchMore(QModelIndex())
    settle(qtbot, model)
    assert not is_bold(model, COUNT) and is_bold(model, COUNT - 2)


def test_qtmodeltester_with_unread_rows(
    model: QueueModel, qtmodeltester: ModelTester, qtbot: QtBot
) -> None:
    qtmodeltester.check(model)
    model.mark_read(2)
    settle(qtbot, model)
    model.mark_unread([1, 3])
    settle(qtbot, model)
    model.set_viewer(None)
    settle(qtbot, model)
