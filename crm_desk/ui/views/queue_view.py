"""The queue table: a QTableView over ``QueueModel`` with fixed, uniform row heights."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSignalBlocker, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from crm_desk.ui.models.queue_model import Column, QueueModel

# Default widths in average character widths; Subject takes what is left.
_WIDTH_CHARS = {
    Column.NUMBER: 8,
    Column.CUSTOMER: 22,
    Column.CATEGORY: 12,
    Column.STATUS: 10,
    Column.PRIORITY: 9,
    Column.ASSIGNEE: 14,
    Column.UPDATED: 17,
    Column.DUE: 17,
}


class QueueView(QTableView):
    def __init__(self, model: QueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queueView")
        self._queue = model
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setCornerButtonEnabled(False)

        # Uniform rows: the view never measures rows, which keeps a long queue cheap to lay
        # out (QTableView's equivalent of QTreeView.setUniformRowHeights).
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)

        columns = self.horizontalHeader()
        columns.setHighlightSections(False)
        columns.setSectionsMovable(True)
        columns.setStretchLastSection(False)
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        char = self.fontMetrics().averageCharWidth()
        for column, chars in _WIDTH_CHARS.items():
            columns.resizeSection(column, chars * char + 16)
        columns.setSectionResizeMode(Column.SUBJECT, QHeaderView.ResizeMode.Stretch)

        # Show the model's SQL sort before enabling sorting, which sorts by the indicator.
        columns.setSortIndicator(model.sort_column(), model.sort_order())
        self.setSortingEnabled(True)
        columns.sortIndicatorChanged.connect(self._keep_indicator_truthful)
        model.busy_changed.connect(self.viewport().update)

    def _keep_indicator_truthful(self, column: int, _order: Qt.SortOrder) -> None:
        # The model ignores columns SQL cannot sort; put the arrow back where the sort is.
        if not self._queue.is_sortable(column):
            header = self.horizontalHeader()
            with QSignalBlocker(header):
                header.setSortIndicator(self._queue.sort_column(), self._queue.sort_order())

    def restore_sort_indicator(self) -> None:
        """After ``horizontalHeader().restoreState()``: the model's sort wins."""
        self._keep_indicator_truthful(-1, Qt.SortOrder.AscendingOrder)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802  # Qt's name
        super().paintEvent(event)
        if self._queue.rowCount() == 0:
            # drawText never interprets markup, and this text is ours anyway.
            text = QCoreApplication.translate(
                "QueueView", "Loading…" if self._queue.busy else "No tickets"
            )
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, text)
            painter.end()
