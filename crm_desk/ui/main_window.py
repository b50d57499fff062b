"""The main window: the queue, a filter row, and a status bar with the database and a count.

It shows at once and fills in as the first page arrives; every query runs through ``Op``.
It is also the one place errors are shown (``tasks.install_error_handler``).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QByteArray, QLocale, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from crm_desk.core.queries import TicketFilter, TicketSort, count_tickets
from crm_desk.errors import CrmDeskError
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.models.queue_model import DEFAULT_PAGE_SIZE, SORT_KEYS, Column, QueueModel
from crm_desk.ui.views.filter_bar import FilterBar
from crm_desk.ui.views.queue_view import QueueView

ORGANIZATION = "crm-desk"
APPLICATION = "crm-desk"
ERROR_MESSAGE_MS = 15_000


def _count(db: Database, flt: TicketFilter) -> int:
    with db.read() as session:
        return count_tickets(session, flt)


def _plain_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # database URLs and counts are never markup
    return label


class MainWindow(QMainWindow):
    def __init__(
        self,
        db: Database,
        *,
        settings: QSettings | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self._db = db
        self._settings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)
        self._error_box: QMessageBox | None = None
        self.setWindowTitle(f"crm-desk — {db.describe()}")

        self.filter_bar = FilterBar(self)
        self.model = QueueModel(
            db,
            self,
            page_size=page_size,
            ticket_filter=TicketFilter(statuses=self.filter_bar.statuses()),
            sort=self._saved_sort(),
        )
        self.view = QueueView(self.model, self)

        central = QWidget(self)
        central.setObjectName("central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.view, 1)
        self.setCentralWidget(central)

        self._build_actions()
        self.count_label = _plain_label(self, "countLabel")
        self.database_label = _plain_label(self, "databaseLabel")
        self.database_label.setText(db.describe())
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().addPermanentWidget(self.database_label)

        tasks.install_error_handler(self.show_error, owner=self)
        self.filter_bar.statuses_changed.connect(self._filter_statuses)
        self.model.busy_changed.connect(self._show_busy)
        self.model.loaded.connect(self._update_count)
        self._show_busy(self.model.busy)
        self._restore_layout()

    # --- actions -------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.refresh_action = QAction(self.tr("&Refresh"), self)
        self.refresh_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_action.triggered.connect(self.refresh)
        self.quit_action = QAction(self.tr("&Quit"), self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)

        file_menu = self.menuBar().addMenu(self.tr("&File"))
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu(self.tr("&View"))
        view_menu.addAction(self.refresh_action)

    def refresh(self) -> None:
        self.model.refresh()  # the count follows when the rows land (``loaded``)

    def _filter_statuses(self, statuses: tuple[str, ...]) -> None:
        self.model.set_filter(replace(self.model.ticket_filter, statuses=statuses))

    # --- status bar ----------------------------------------------------------------------------

    def _show_busy(self, busy: bool) -> None:
        if busy and self.model.rowCount() == 0:
            self.count_label.setText(self.tr("Loading…"))

    def _update_count(self) -> None:
        flt, db = self.model.ticket_filter, self._db

        def show(count: int) -> None:
            if flt != self.model.ticket_filter:
                return  # the filter changed meanwhile; its own count is on the way
            number = QLocale().toString(count)
            # Plural forms come with the translations; English needs two.
            text = self.tr("1 ticket") if count == 1 else self.tr("{} tickets").format(number)
            self.count_label.setText(text)

        tasks.Op(self, lambda: _count(db, flt)).on_success(show).start()

    def show_error(self, exc: BaseException) -> None:
        """The one place op failures are shown: the status bar, with details if unexpected."""
        message = tasks.describe_error(exc)
        self.statusBar().showMessage(message, ERROR_MESSAGE_MS)
        if isinstance(exc, CrmDeskError):
            return
        # One reusable box: a dead database fails every op, and one box is enough to say so.
        if self._error_box is None:
            box = QMessageBox(self)
            box.setObjectName("errorBox")
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle(self.tr("crm-desk: unexpected error"))
            box.setTextFormat(Qt.TextFormat.PlainText)  # messages quote data from outside
            self._error_box = box
        self._error_box.setText(message)
        self._error_box.setDetailedText(tasks.error_details(exc))
        self._error_box.open()

    # --- settings ------------------------------------------------------------------------------

    def _saved_sort(self) -> TicketSort:
        key = str(self._settings.value("queue/sort_key", "updated"))
        descending = self._settings.value("queue/sort_descending", True, type=bool)
        return TicketSort(key if key in SORT_KEYS.values() else "updated", bool(descending))

    def _restore_layout(self) -> None:
        geometry = self._settings.value("main_window/geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(1180, 680)
        header = self.view.horizontalHeader()
        state = self._settings.value("queue/header_state")
        # A header saved with another set of columns would put widths on the wrong columns.
        columns = self._settings.value("queue/header_columns", 0, type=int)
        if isinstance(state, QByteArray) and columns == len(Column):
            header.restoreState(state)
            self.view.restore_sort_indicator()

    def _save_layout(self) -> None:
        self._settings.setValue("main_window/geometry", self.saveGeometry())
        self._settings.setValue("queue/header_state", self.view.horizontalHeader().saveState())
        self._settings.setValue("queue/header_columns", len(Column))
        self._settings.setValue("queue/sort_key", self.model.ticket_sort.key)
        self._settings.setValue("queue/sort_descending", self.model.ticket_sort.descending)
        self._settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's name
        self._save_layout()
        super().closeEvent(event)
