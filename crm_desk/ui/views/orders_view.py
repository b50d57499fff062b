"""Tree views for the customer panel's lists: orders (with items), deals, earlier tickets.

One view class, set up per list: no header (each list sits under its own heading), the first
column takes the width and elides, the amount column is as wide as its widest text. Short
lists (deals, earlier tickets) take the height of their rows, up to a few; the orders list
takes whatever height the panel has left and scrolls. Rows are painted by Qt's item delegate
from the models' plain strings: no widget per row, however many orders a customer has.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

_CELL_PADDING = 16  # the item's horizontal margins, and some air
_LINE_SLACK = 4


class LineElidingDelegate(QStyledItemDelegate):
    """Elides each line of a two-line cell on its own.

    Qt elides multi-line text as a whole: a long first line (a deal's title) would swallow the
    second (its stage). Cutting each line to the cell's width first keeps both visible.
    """

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if isinstance(text, str) and "\n" in text:
            # Qt measures the lines with the text's own fonts but lays them out with a little
            # less room; without this slack a Japanese first line pushes out the second.
            slack = max(_LINE_SLACK, option.fontMetrics.height() // 4)
            hint.setHeight(hint.height() + slack * text.count("\n"))
        return hint

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        text = option.text
        width = option.rect.width()
        if "\n" not in text or width <= 0:
            return  # one line (Qt elides it), or a size hint, which wants the full text
        widget = option.widget
        style = widget.style() if widget is not None else None
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1 if style else 3
        available = width - 2 * margin
        metrics = option.fontMetrics
        option.text = "\n".join(
            metrics.elidedText(line, Qt.TextElideMode.ElideRight, available)
            for line in text.split("\n")
        )


class HistoryTreeView(QTreeView):
    """See the module docstring. ``max_rows`` None: grow with the panel instead of fitting."""

    def __init__(
        self,
        parent: QWidget,
        name: str,
        *,
        max_rows: int | None,
        tree: bool = False,
        uniform_rows: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._max_rows = max_rows
        self._fitted_columns: tuple[int, ...] = ()
        self.setHeaderHidden(True)
        self.setRootIsDecorated(tree)
        self.setItemsExpandable(tree)
        self.setExpandsOnDoubleClick(tree)
        self.setUniformRowHeights(uniform_rows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAllColumnsShowFocus(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QTreeView.Shape.NoFrame)
        self.setItemDelegate(LineElidingDelegate(self))
        if tree:
            self.setIndentation(max(12, self.fontMetrics().averageCharWidth() * 2))
        vertical = (
            QSizePolicy.Policy.Fixed if max_rows is not None else QSizePolicy.Policy.Expanding
        )
        self.setSizePolicy(QSizePolicy.Policy.Preferred, vertical)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        header = self.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(0)
        if model is None:
            return
        for column in range(model.columnCount()):
            mode = QHeaderView.ResizeMode.Stretch if column == 0 else QHeaderView.ResizeMode.Fixed
            header.setSectionResizeMode(column, mode)
        model.modelReset.connect(self.updateGeometry)

    # --- sizing --------------------------------------------------------------------------------

    def fit_columns(self, columns: tuple[int, ...]) -> None:
        """Size ``columns`` (not the first) to their widest text after each model reset."""
        self._fitted_columns = columns

    def refit(self) -> None:
        model = self.model()
        if model is None:
            return
        metrics = self.fontMetrics()
        header = self.header()
        samples_of = getattr(model, "width_samples", None)
        for column in self._fitted_columns:
            # A model that knows its widest texts saves formatting every row (orders: hundreds).
            samples = samples_of(column) if samples_of is not None else _texts(model, column)
            widest = max(
                (metrics.horizontalAdvance(line) for text in samples for line in text.split("\n")),
                default=0,
            )
            header.resizeSection(column, widest + _CELL_PADDING if widest else 0)
        self.updateGeometry()

    def _fitted_height(self) -> int:
        model = self.model()
        rows = model.rowCount() if model is not None else 0
        shown = min(rows, self._max_rows or rows)
        row_height = self.sizeHintForRow(0) if rows else self.fontMetrics().height() + 6
        return shown * max(row_height, 1) + 2 * self.frameWidth()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        if self._max_rows is None:
            return hint
        return QSize(hint.width(), self._fitted_height())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if self._max_rows is None:
            return hint
        return QSize(hint.width(), self._fitted_height())


def _texts(model: QAbstractItemModel, column: int) -> list[str]:
    """Every row's text in ``column``, top-level rows and their children (two levels)."""
    texts: list[str] = []
    for row in range(model.rowCount()):
        texts.append(str(model.index(row, column).data() or ""))
        parent = model.index(row, 0)
        for child in range(model.rowCount(parent)):
            texts.append(str(model.index(child, column, parent).data() or ""))
    return texts
