"""The queue table: a QTableView over ``QueueModel`` with fixed, uniform row heights.

Selected rows can be dragged (onto an agent in the workload view, say) as
``application/x-crm-desk-ticket-ids``; the list itself accepts no drops.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSignalBlocker, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from crm_desk.ui.models.queue_model import Column, QueueModel

# What each column usually holds, to size it; Subject takes what is left.
_SAMPLES = {
    Column.NUMBER: "#0000000",
    Column.CUSTOMER: "n" * 15,
    Column.CATEGORY: "n" * 9,
    Column.STATUS: "Resolved",
    Column.PRIORITY: "Normal",
    Column.ASSIGNEE: "n" * 10,
    Column.UPDATED: "0000-00-00 00:00",
    Column.DUE: "0000-00-00 00:00",
}
_CELL_PADDING = 2 * 6 + 8  # the style sheet's item padding, and some air
_SORT_ARROW = 18
_MIN_SUBJECT_CHARS = 24  # beside the sidebar and the customer panel


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
        # A drag source only: the model encodes the selected tickets (see ticket_drag).
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

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
        cells = self.fontMetrics()
        bold = QFont(self.font())
        bold.setBold(True)  # the style sheet sets headers in bold, and unread rows are bold
        bold_metrics = QFontMetrics(bold)
        for column, sample in _SAMPLES.items():
            title = str(model.headerData(column, Qt.Orientation.Horizontal))
            width = max(
                bold_metrics.horizontalAdvance(sample),
                bold_metrics.horizontalAdvance(title) + _SORT_ARROW,
            )
            columns.resizeSection(column, width + _CELL_PADDING)
        # Subject fills the width left over, but never shrinks below a readable width: a
        # narrow window scrolls sideways rather than squeezing the one column that matters.
        self._min_subject = cells.averageCharWidth() * _MIN_SUBJECT_CHARS
        columns.resizeSection(Column.SUBJECT, self._min_subject)
        columns.sectionResized.connect(self._other_column_resized)

        # Show the model's SQL sort before enabling sorting, which sorts by the indicator.
        columns.setSortIndicator(model.sort_column(), model.sort_order())
        self.setSortingEnabled(True)
        columns.sortIndicatorChanged.connect(self._keep_indicator_truthful)
        model.busy_changed.connect(self.viewport().update)
        # A search lists best matches first (no column indicator); its end restores the sort.
        model.search_changed.connect(self._search_changed)

    def _keep_indicator_truthful(self, column: int, _order: Qt.SortOrder) -> None:
        # The model ignores columns SQL cannot sort; put the arrow back where the sort is.
        if not self._queue.is_sortable(column):
            header = self.horizontalHeader()
            with QSignalBlocker(header):
                header.setSortIndicator(self._queue.sort_column(), self._queue.sort_order())

    def _other_column_resized(self, column: int, _old: int, _new: int) -> None:
        if column != Column.SUBJECT:
            self._fit_subject()

    def _fit_subject(self) -> None:
        header = self.horizontalHeader()
        others = sum(
            header.sectionSize(column)
            for column in Column
            if column != Column.SUBJECT and not header.isSectionHidden(column)
        )
        width = max(self._min_subject, self.viewport().width() - others)
        if header.sectionSize(Column.SUBJECT) != width:  # also ends the resize recursion
            header.resizeSection(Column.SUBJECT, width)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's name
        # Also called when the viewport alone changes, e.g. when a scroll bar appears.
        super().resizeEvent(event)
        self._fit_subject()

    def _search_changed(self, _text: str) -> None:
        self.restore_sort_indicator()

    def restore_sort_indicator(self) -> None:
        """After ``horizontalHeader().restoreState()``: the model's sort wins."""
        self._keep_indicator_truthful(-1, Qt.SortOrder.AscendingOrder)

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt's name
        super().paintEvent(event)
        if self._queue.rowCount() == 0:
            # drawText never interprets markup, and this text is ours anyway.
            if self._queue.busy:
                text = QCoreApplication.translate("QueueView", "Loading…")
            elif self._queue.search_text:
                text = QCoreApplication.translate("QueueView", "No matching tickets")
            else:
                text = QCoreApplication.translate("QueueView", "No tickets")
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, text)
            painter.end()
