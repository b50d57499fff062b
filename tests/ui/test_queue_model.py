"""QueueModel: keyset pages through Op, SQL sorting and filtering, plain text everywhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtGui import QTextDocument
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text
from sqlalchemy.orm import Session

from crm_desk.core import agents, tickets
from crm_desk.core.queries import TicketFilter, TicketRow, TicketSort
from crm_desk.store.db import Database
from crm_desk.store.models import Agent
from crm_desk.ui import tasks
from crm_desk.ui.formatting import format_datetime
from crm_desk.ui.models.queue_model import ALL_SORT_KEYS, Column, QueueModel, TicketRowRole
from tests.ui.data import seed_tickets

PAGE = 50
COUNT = 130


def numbers(model: QueueModel) -> list[int]:
    return [model.row_at(row).id for row in range(model.rowCount())]


def settle(qtbot: QtBot, model: QueueModel) -> None:
    qtbot.waitUntil(lambda: not model.busy and tasks.is_idle())


def load_all(qtbot: QtBot, model: QueueModel) -> None:
    settle(qtbot, model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        settle(qtbot, model)


@pytest.fixture
def seeded(ui_db: Database) -> Database:
    seed_tickets(ui_db, COUNT)
    return ui_db


@pytest.fixture
def model(seeded: Database, qtbot: QtBot) -> Iterator[QueueModel]:
    queue = QueueModel(seeded, page_size=PAGE)
    settle(qtbot, queue)
    yield queue
    settle(qtbot, queue)


def test_first_page_loads_off_the_gui_thread_and_pages_follow(
    seeded: Database, qtbot: QtBot
) -> None:
    model = QueueModel(seeded, page_size=PAGE)
    assert model.rowCount() == 0 and model.busy  # the constructor only starts the load
    assert not model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.loaded):
        pass
    assert model.rowCount() == PAGE
    assert model.canFetchMore(QModelIndex())

    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())  # a second call while one is in flight is ignored
    settle(qtbot, model)
    assert model.rowCount() == 2 * PAGE

    load_all(qtbot, model)
    assert model.rowCount() == COUNT
    assert not model.canFetchMore(QModelIndex())
    # Default sort: last update, newest first; every ticket exactly once.
    assert numbers(model) == list(range(COUNT, 0, -1))


def test_qtmodeltester(model: QueueModel, qtmodeltester: ModelTester, qtbot: QtBot) -> None:
    qtmodeltester.check(model)  # Qt's C++ tester stays attached through what follows
    load_all(qtbot, model)
    model.sort(Column.SUBJECT, Qt.SortOrder.AscendingOrder)
    settle(qtbot, model)
    model.refresh()
    settle(qtbot, model)


def test_python_modeltester(model: QueueModel, qtmodeltester: ModelTester, qtbot: QtBot) -> None:
    model.fetchMore(QModelIndex())
    settle(qtbot, model)
    qtmodeltester.check(model, force_py=True)
    settle(qtbot, model)  # the tester itself calls fetchMore


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (Qt.SortOrder.AscendingOrder, list(range(1, COUNT + 1))),
        (Qt.SortOrder.DescendingOrder, list(range(COUNT, 0, -1))),
    ],
)
def test_sort_by_number(
    model: QueueModel, qtbot: QtBot, order: Qt.SortOrder, expected: list[int]
) -> None:
    model.sort(Column.NUMBER, order)
    settle(qtbot, model)
    assert numbers(model) == expected[:PAGE]
    load_all(qtbot, model)
    assert numbers(model) == expected
    assert model.sort_column() == Column.NUMBER
    assert model.sort_order() == order


def test_sort_ties_page_by_id(ui_db: Database, qtbot: QtBot) -> None:
    seed_tickets(ui_db, COUNT, same_time=True)  # one updated_at for all: the id breaks ties
    model = QueueModel(ui_db, page_size=PAGE, sort=TicketSort("updated", descending=False))
    load_all(qtbot, model)
    assert numbers(model) == list(range(1, COUNT + 1))


def test_unsortable_columns_are_ignored(model: QueueModel) -> None:
    before = model.ticket_sort
    model.sort(Column.CUSTOMER, Qt.SortOrder.AscendingOrder)
    model.sort(-1, Qt.SortOrder.AscendingOrder)
    assert model.ticket_sort == before
    assert not model.busy
    assert not model.is_sortable(Column.CUSTOMER)
    assert model.is_sortable(Column.PRIORITY)


def test_every_column_sorts_when_asked(seeded: Database, qtbot: QtBot) -> None:
    model = QueueModel(seeded, page_size=PAGE, sort_keys=ALL_SORT_KEYS)
    settle(qtbot, model)
    assert all(model.is_sortable(column) for column in Column)
    model.sort(Column.DUE, Qt.SortOrder.AscendingOrder)
    settle(qtbot, model)
    assert model.ticket_sort == TicketSort("due", descending=False)
    assert model.sort_column() == Column.DUE
    load_all(qtbot, model)
    assert numbers(model) == list(range(1, COUNT + 1))  # no due dates: by number


def test_a_sql_sort_without_a_column_shows_no_indicator(ui_db: Database, qtbot: QtBot) -> None:
    model = QueueModel(ui_db, sort=TicketSort("created"))
    settle(qtbot, model)
    assert model.sort_column() == -1


def test_status_filter(seeded: Database, model: QueueModel, qtbot: QtBot) -> None:
    with seeded.write() as session:
        for ticket_id in (3, 7, 120):
            tickets.set_status(session, _lead(session), ticket_id, "pending")
    model.set_filter(TicketFilter(statuses=("pending",)))
    settle(qtbot, model)
    assert sorted(numbers(model)) == [3, 7, 120]
    assert {model.row_at(r).status for r in range(model.rowCount())} == {"pending"}
    assert not model.canFetchMore(QModelIndex())

    model.set_filter(TicketFilter(statuses=("new",)))
    settle(qtbot, model)
    assert model.rowCount() == PAGE
    load_all(qtbot, model)
    assert model.rowCount() == COUNT - 3


def test_a_newer_filter_wins_over_pages_in_flight(model: QueueModel, qtbot: QtBot) -> None:
    model.fetchMore(QModelIndex())
    model.set_filter(TicketFilter(statuses=("closed",)))
    model.set_filter(TicketFilter(statuses=("new",)))
    settle(qtbot, model)
    assert model.ticket_filter.statuses == ("new",)
    assert model.rowCount() == PAGE


def test_display_and_roles(model: QueueModel) -> None:
    row = model.row_at(0)
    index = model.index(0, Column.NUMBER)
    assert index.data() == f"#{row.id}"
    assert isinstance(index.data(TicketRowRole), TicketRow)
    assert index.data(TicketRowRole).id == row.id
    assert model.index(0, Column.CUSTOMER).data() == "Taro"
    assert model.index(0, Column.STATUS).data() == "New"
    assert model.index(0, Column.PRIORITY).data() == "Normal"
    assert model.index(0, Column.ASSIGNEE).data() == ""
    assert model.index(0, Column.DUE).data() == ""
    # The locale's short date and time, in the desktop's time zone.
    assert model.index(0, Column.UPDATED).data() == format_datetime(row.updated_at)
    assert model.index(0, Column.UPDATED).data()
    assert model.headerData(Column.UPDATED, Qt.Orientation.Horizontal) == "Last update"
    assert model.index_of(row.id).row() == 0
    assert not model.index_of(999_999).isValid()


@pytest.mark.parametrize(
    "subject",
    [
        "<b>bold</b><img src=x>",
        "<b>bold</b><img src=x> " + " ".join(["a long subject that wraps in its tooltip"] * 3),
    ],
)
def test_markup_in_a_subject_is_shown_literally(
    ui_db: Database, qtbot: QtBot, subject: str
) -> None:
    seed_tickets(ui_db, 1, subject=subject)
    model = QueueModel(ui_db)
    settle(qtbot, model)
    index = model.index(0, Column.SUBJECT)
    assert index.data(Qt.ItemDataRole.DisplayRole) == subject
    assert isinstance(index.data(), str)

    tooltip = index.data(Qt.ItemDataRole.ToolTipRole)
    # QToolTip treats the raw subject as HTML (that is the danger) ...
    assert QtGuiNamespace.mightBeRichText(subject)
    # ... so the tooltip is HTML whose rendered text is exactly the subject: no bold, no image.
    document = QTextDocument()
    document.setHtml(tooltip)
    assert document.toPlainText() == subject
    assert "<img" not in tooltip and "<b>" not in tooltip


def test_refresh_updates_rows_in_place(seeded: Database, qtbot: QtBot) -> None:
    model = QueueModel(seeded, page_size=PAGE, sort=TicketSort("number", descending=True))
    settle(qtbot, model)
    model.fetchMore(QModelIndex())
    settle(qtbot, model)
    assert model.rowCount() == 2 * PAGE
    with seeded.write() as session:
        tickets.set_status(session, _lead(session), COUNT - 5, "pending")

    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.dataChanged) as changed:
        model.refresh()
    assert changed.args[0].row() == changed.args[1].row() == 5
    settle(qtbot, model)
    assert model.index(5, Column.STATUS).data() == "Pending"
    assert model.rowCount() == 2 * PAGE  # the loaded range is kept, not cut to one page


def test_refresh_inserts_and_removes_rows(seeded: Database, qtbot: QtBot) -> None:
    new_only = TicketFilter(statuses=("new",))
    model = QueueModel(seeded, page_size=PAGE, ticket_filter=new_only, sort=TicketSort("number"))
    settle(qtbot, model)
    with seeded.write() as session:
        tickets.set_status(session, _lead(session), COUNT - 1, "closed")  # leaves the filter
    with seeded.write() as session:
        tickets.create_ticket(session, None, subject="fresh", body_text="x")  # enters at the top

    with (
        qtbot.assertNotEmitted(model.modelReset),
        qtbot.waitSignals([model.rowsRemoved, model.rowsInserted]),
    ):
        model.refresh()
    settle(qtbot, model)
    ids = numbers(model)
    assert ids[0] == COUNT + 1
    assert COUNT - 1 not in ids
    assert len(ids) == PAGE


def test_refresh_during_a_fetch_is_coalesced(model: QueueModel, qtbot: QtBot) -> None:
    model.fetchMore(QModelIndex())
    model.refresh()
    model.refresh()
    settle(qtbot, model)
    assert model.rowCount() == 2 * PAGE
    assert numbers(model) == list(range(COUNT, COUNT - 2 * PAGE, -1))


def test_a_failed_load_is_reported_and_clears_busy(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture, ui_db: Database
) -> None:
    errors: list[BaseException] = []
    tasks.install_error_handler(errors.append)
    with ui_db.engine.begin() as connection:
        connection.execute(text("DROP TABLE search_docs"))  # harmless to the queue
        connection.execute(text("ALTER TABLE tickets RENAME TO tickets_gone"))
    model = QueueModel(ui_db)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert not model.busy
    assert model.rowCount() == 0
    assert tasks.describe_error(errors[0]).startswith("Unexpected error: OperationalError")
    caplog.clear()


def _lead(session: Session) -> Agent:
    return agents.by_email(session, "lead@example.com")
