"""The Quarantine view: mail that could not be parsed, kept with its raw bytes and the reason.

A list (``QuarantineModel``) over a detail pane: the reason, the size, and the raw message as
plain text (its first ``RAW_PREVIEW_BYTES``). "Retry" parses the kept bytes again (after a fix
in crm-desk, or a raised limit) and, when that works, files the mail into a ticket like new
mail and says which; "Save raw…" writes the bytes exactly as kept to a file the person picks.
Everything that touches the database or the disk runs in an ``Op``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QItemSelection, QLocale, QStandardPaths, Qt, Signal
from PySide6.QtGui import QFontDatabase, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crm_desk.errors import CrmDeskError
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.models.quarantine_model import (
    RAW_PREVIEW_BYTES,
    Column,
    QuarantineDetail,
    QuarantineEntry,
    QuarantineModel,
    RetryResult,
    load_detail,
    load_entries,
    retry_entry,
    save_raw,
)


def _plain_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # reasons quote headers and file names
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class QuarantineView(QWidget):
    changed = Signal()  # the quarantine changed (a retry): counts elsewhere may have too
    ticket_created = Signal(int)  # a retry filed the mail into this ticket
    ticket_activated = Signal(int)  # "Open ticket #N" was pressed
    failed = Signal(str)  # a retry or a save went wrong, in one line
    loaded = Signal()  # the list is up to date
    detail_loaded = Signal()  # the detail pane shows the selected entry

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quarantineView")
        self._db = db
        self._agent_id: int | None = None
        self._loads = tasks.OneAtATime[list[QuarantineEntry]](self, self._prepare_load)
        self._detail_generation = 0
        self._filed_ticket: int | None = None
        self.busy = False

        self.model = QuarantineModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("quarantineTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        metrics = self.fontMetrics()
        for column, sample in {
            Column.RECEIVED: "0000-00-00 00:00",
            Column.MAILBOX: "n" * 16,
            Column.FROM: "n" * 24,
            Column.SUBJECT: "n" * 30,
            Column.SIZE: "000.0 MB",
        }.items():
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 20)
        header.setSectionResizeMode(Column.REASON, QHeaderView.ResizeMode.Stretch)

        self.show_retried = QCheckBox(self.tr("Show &retried"), self)
        self.show_retried.setObjectName("quarantineShowRetried")
        self.count_label = _plain_label(self, "quarantineCount")
        self.count_label.setWordWrap(False)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.refresh_button.setObjectName("quarantineRefresh")
        # What the last retry or save did: above the list, so it stays while the list changes.
        self.result_label = _plain_label(self, "quarantineResult")
        self.open_ticket_button = QPushButton(self)
        self.open_ticket_button.setObjectName("quarantineOpenTicket")
        self.open_ticket_button.hide()
        top = QHBoxLayout()
        top.setContentsMargins(8, 4, 8, 4)
        top.addWidget(self.count_label)
        top.addWidget(self.result_label, 1)
        top.addWidget(self.open_ticket_button)
        top.addWidget(self.show_retried)
        top.addWidget(self.refresh_button)

        self.detail = QWidget(self)
        self.detail.setObjectName("quarantineDetail")
        self.reason_label = _plain_label(self.detail, "quarantineReason")
        self.facts_label = _plain_label(self.detail, "quarantineFacts")
        self.raw_view = QPlainTextEdit(self.detail)
        self.raw_view.setObjectName("quarantineRaw")
        self.raw_view.setReadOnly(True)
        self.raw_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.raw_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.retry_button = QPushButton(self.tr("Re&try"), self.detail)
        self.retry_button.setObjectName("quarantineRetry")
        self.save_button = QPushButton(self.tr("&Save raw…"), self.detail)
        self.save_button.setObjectName("quarantineSaveRaw")
        buttons = QHBoxLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        detail_layout = QVBoxLayout(self.detail)
        detail_layout.setContentsMargins(8, 4, 8, 8)
        detail_layout.addWidget(self.reason_label)
        detail_layout.addWidget(self.facts_label)
        detail_layout.addWidget(self.raw_view, 1)
        detail_layout.addLayout(buttons)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("quarantineSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

        self.show_retried.toggled.connect(lambda _on: self.refresh())
        self.refresh_button.clicked.connect(self.refresh)
        self.retry_button.clicked.connect(self.retry)
        self.save_button.clicked.connect(self.save_raw_file)
        self.open_ticket_button.clicked.connect(self._open_filed_ticket)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._show_selected)
        self._show_detail(None)

    # --- public --------------------------------------------------------------------------------

    def set_actor(self, agent_id: int | None) -> None:
        """Who retries (recorded in the change feed); None: the local operator."""
        self._agent_id = agent_id

    def refresh(self) -> None:
        self._loads.request()  # coalesced: one more load when this one lands

    def _prepare_load(
        self,
    ) -> tuple[Callable[[], list[QuarantineEntry]], Callable[[list[QuarantineEntry]], None]]:
        db, include = self._db, self.show_retried.isChecked()
        return lambda: load_entries(db, include_resolved=include), self._landed

    def selected_entry_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry_at(rows[0].row()).id if rows else None

    def select_entry(self, entry_id: int) -> bool:
        row = self.model.row_of(entry_id)
        if row >= 0:
            self.table.selectRow(row)
        return row >= 0

    def retry(self) -> None:
        entry_id = self.selected_entry_id()
        if entry_id is None or self.busy:
            return
        db, agent_id = self._db, self._agent_id
        self._set_busy(True)
        self._clear_result()
        self.result_label.setText(self.tr("Parsing again…"))
        tasks.Op(self, lambda: retry_entry(db, agent_id, entry_id)).on_success(
            self._retried
        ).on_failure(self._action_failed).start()

    def choose_save_path(self, suggested: Path) -> Path | None:
        """Ask where to save; None if cancelled. (Tests replace this method.)"""
        path, _filter = QFileDialog.getSaveFileName(
            self,
            self.tr("Save the raw message"),
            str(suggested),
            self.tr("E-mail messages (*.eml);;All files (*)"),
        )
        return Path(path) if path else None

    def save_raw_file(self) -> None:
        entry_id = self.selected_entry_id()
        if entry_id is None or self.busy:
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
        path = self.choose_save_path(Path(folder or Path.home()) / f"quarantine-{entry_id}.eml")
        if path is None:
            return
        db = self._db
        self._set_busy(True)
        self._clear_result()
        tasks.Op(self, lambda: save_raw(db, entry_id, path)).on_success(
            lambda size: self._saved(path, size)
        ).on_failure(self._action_failed).start()

    # --- list ----------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # Qt's name
        super().showEvent(event)
        self.refresh()

    def _landed(self, entries: list[QuarantineEntry]) -> None:
        selected = self.selected_entry_id()
        self.model.set_entries(entries)
        if selected is not None and self.selected_entry_id() is None:
            self.select_entry(selected)  # the same entry, after a reset
        count = self.model.rowCount()
        number = QLocale().toString(count)
        if count == 0:
            self.count_label.setText(self.tr("No quarantined mail"))
        elif count == 1:
            self.count_label.setText(self.tr("1 message could not be read"))
        else:
            self.count_label.setText(self.tr("{} messages could not be read").format(number))
        if self.table.selectionModel().selectedRows() == [] and count:
            self.table.selectRow(0)
        self.loaded.emit()

    # --- detail --------------------------------------------------------------------------------

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        entry_id = self.selected_entry_id()
        self._detail_generation += 1
        generation, db = self._detail_generation, self._db
        if entry_id is None:
            self._show_detail(None)
            return

        def landed(detail: QuarantineDetail) -> None:
            if generation == self._detail_generation:
                self._show_detail(detail)

        tasks.Op(self, lambda: load_detail(db, entry_id)).on_success(landed).start()

    def _show_detail(self, detail: QuarantineDetail | None) -> None:
        self.retry_button.setEnabled(detail is not None and not self.busy)
        self.save_button.setEnabled(detail is not None and not self.busy)
        if detail is None:
            self.reason_label.setText(self.tr("Select a message to see why it was kept."))
            self.facts_label.clear()
            self.raw_view.clear()
            return
        self.reason_label.setText(self.tr("Reason: {}").format(detail.reason))
        size = QLocale().formattedDataSize(detail.size, 1)
        facts = self.tr("{} · SHA-256 {}").format(size, detail.sha256)
        if detail.truncated:
            shown = QLocale().formattedDataSize(RAW_PREVIEW_BYTES, 0)
            facts += " · " + self.tr("the first {} are shown; Save raw… keeps it all").format(shown)
        self.facts_label.setText(facts)
        self.raw_view.setPlainText(detail.preview)
        self.detail_loaded.emit()

    # --- retry and save ------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        has_entry = self.selected_entry_id() is not None
        self.retry_button.setEnabled(has_entry and not busy)
        self.save_button.setEnabled(has_entry and not busy)

    def _clear_result(self) -> None:
        self.result_label.clear()
        self._filed_ticket = None
        self.open_ticket_button.hide()

    def _retried(self, result: RetryResult) -> None:
        self._set_busy(False)
        if result.still_quarantined:
            self.result_label.setText(
                self.tr("Still cannot be read: {}").format(result.reason or "")
            )
        elif result.ticket_id is None:
            self.result_label.setText(self.tr("Nothing to do: {}").format(result.reason or ""))
        else:
            self.result_label.setText(
                self.tr("Filed into ticket #{} ({}).").format(result.ticket_id, result.reason)
            )
            self._filed_ticket = result.ticket_id
            self.open_ticket_button.setText(self.tr("Open #{}").format(result.ticket_id))
            self.open_ticket_button.show()
            self.ticket_created.emit(result.ticket_id)
        self.changed.emit()
        self.refresh()  # a filed entry leaves the list; the result line above stays
        self._show_selected()  # a failed retry may have a new reason

    def _saved(self, path: Path, size: int) -> None:
        self._set_busy(False)
        self.result_label.setText(
            self.tr("Saved {} to {}").format(QLocale().formattedDataSize(size, 1), str(path))
        )

    def _action_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.result_label.setText(tasks.describe_error(exc))
        if isinstance(exc, CrmDeskError | OSError):
            self.failed.emit(tasks.describe_error(exc))
        else:
            tasks.report_error(exc)

    def _open_filed_ticket(self) -> None:
        if self._filed_ticket is not None:
            self.ticket_activated.emit(self._filed_ticket)
