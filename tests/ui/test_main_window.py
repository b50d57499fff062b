"""MainWindow: shows at once, fills in, filters, refreshes, remembers its layout, shows errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from crm_desk.core import tickets
from crm_desk.errors import ConflictError
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.app import load_style_sheet
from crm_desk.ui.main_window import MainWindow
from crm_desk.ui.models.queue_model import Column
from tests.ui.data import seed_showcase, seed_tickets


@pytest.fixture
def make_window(ui_db: Database, settings: QSettings, qtbot: QtBot) -> Callable[[], MainWindow]:
    def make() -> MainWindow:
        window = MainWindow(ui_db, settings=settings, page_size=20)
        qtbot.addWidget(window)
        return window

    return make


def wait_loaded(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.model.busy and tasks.is_idle())


def test_window_shows_rows_and_status(
    ui_db: Database, make_window: Callable[[], MainWindow], qtbot: QtBot
) -> None:
    seed_tickets(ui_db, 45)
    window = make_window()
    window.show()
    assert window.windowTitle() == f"crm-desk — {ui_db.describe()}"
    assert window.database_label.text() == ui_db.describe()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0)
    qtbot.waitUntil(lambda: window.count_label.text() == "45 tickets")
    wait_loaded(qtbot, window)
    assert window.view.model() is window.model
    # Pages of 20: the view asks for more until its viewport is full, then on scrolling.
    assert 20 < window.model.rowCount() < 45
    window.view.scrollToBottom()
    qtbot.waitUntil(lambda: window.model.rowCount() == 45)
    image = window.grab()
    assert not image.isNull() and image.width() > 0 and image.height() > 0


def test_status_filter_row(
    ui_db: Database, make_window: Callable[[], MainWindow], qtbot: QtBot
) -> None:
    seed_showcase(ui_db, 40)
    window = make_window()
    window.show()
    wait_loaded(qtbot, window)
    combo = window.filter_bar.status_combo
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert labels == ["All open", "New", "Open", "Pending", "Resolved", "Closed", "All"]
    assert window.model.ticket_filter.statuses == ("new", "open", "pending")

    combo.setCurrentIndex(labels.index("Pending"))
    wait_loaded(qtbot, window)
    statuses = {window.model.row_at(r).status for r in range(window.model.rowCount())}
    assert statuses == {"pending"}
    qtbot.waitUntil(lambda: window.count_label.text() == f"{window.model.rowCount()} tickets")

    combo.setCurrentIndex(labels.index("All"))
    wait_loaded(qtbot, window)
    qtbot.waitUntil(lambda: window.count_label.text() == "40 tickets")


def test_refresh_and_quit_actions(
    ui_db: Database, make_window: Callable[[], MainWindow], qtbot: QtBot
) -> None:
    seed_tickets(ui_db, 3)
    window = make_window()
    window.show()
    wait_loaded(qtbot, window)
    assert window.refresh_action.shortcut() == QKeySequence(Qt.Key.Key_F5)
    assert window.quit_action.shortcut() == QKeySequence("Ctrl+Q")

    with ui_db.write() as session:
        tickets.create_ticket(session, None, subject="arrived meanwhile")
    window.refresh_action.trigger()
    qtbot.waitUntil(lambda: window.count_label.text() == "4 tickets")
    assert window.model.index(0, Column.SUBJECT).data() == "arrived meanwhile"

    window.quit_action.trigger()
    assert not window.isVisible()


def test_layout_and_sort_are_remembered(
    ui_db: Database, make_window: Callable[[], MainWindow], settings: QSettings, qtbot: QtBot
) -> None:
    seed_tickets(ui_db, 5)
    window = make_window()
    window.show()
    wait_loaded(qtbot, window)
    window.resize(700, 450)  # within the offscreen screen's 800x600
    window.view.horizontalHeader().resizeSection(Column.CUSTOMER, 250)
    window.view.sortByColumn(Column.NUMBER, Qt.SortOrder.AscendingOrder)
    wait_loaded(qtbot, window)
    window.close()

    again = make_window()
    again.show()
    wait_loaded(qtbot, again)
    assert (again.width(), again.height()) == (700, 450)
    assert again.view.horizontalHeader().sectionSize(Column.CUSTOMER) == 250
    assert again.model.ticket_sort.key == "number"
    assert not again.model.ticket_sort.descending
    assert [again.model.row_at(r).id for r in range(5)] == [1, 2, 3, 4, 5]
    assert again.view.horizontalHeader().sortIndicatorSection() == Column.NUMBER


def test_an_unsortable_header_keeps_the_indicator_truthful(
    ui_db: Database, make_window: Callable[[], MainWindow], qtbot: QtBot
) -> None:
    window = make_window()
    wait_loaded(qtbot, window)
    header = window.view.horizontalHeader()
    header.setSortIndicator(Column.CUSTOMER, Qt.SortOrder.AscendingOrder)  # as a click would
    assert header.sortIndicatorSection() == Column.UPDATED
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert not window.model.busy


def test_errors_are_shown_in_one_place(
    make_window: Callable[[], MainWindow], qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    window = make_window()
    window.show()
    wait_loaded(qtbot, window)

    def conflict() -> None:
        raise ConflictError("ticket #3 is already claimed by <Bob>")

    def bug() -> None:
        raise KeyError("x")

    tasks.Op(window, conflict).start()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() != "")
    assert window.statusBar().currentMessage() == "ticket #3 is already claimed by <Bob>"

    tasks.Op(window, bug).start()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Unexpected error"))
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and box.isVisible()
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert "Traceback" in box.detailedText() and "KeyError" in box.detailedText()
    box.close()
    caplog.clear()


def test_style_sheet_applies_without_warnings(
    ui_db: Database, make_window: Callable[[], MainWindow], qtbot: QtBot
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    load_style_sheet(app)  # a QSS parse error is a Qt warning, which fails the test
    try:
        assert app.styleSheet()
        seed_tickets(ui_db, 3)
        window = make_window()
        window.show()
        wait_loaded(qtbot, window)
        assert not window.grab().isNull()
    finally:
        app.setStyleSheet("")
