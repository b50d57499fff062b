"""The Qt plumbing every flat list panel shares: immutable rows in a table, replaced at once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

RowT = TypeVar("RowT")
ModelIndex = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()  # the invisible root: the default parent of every table's rows
RIGHT_ALIGNED = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter  # numbers, sizes
ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)


def header_data(
    titles: Sequence[str],
    section: int,
    orientation: Qt.Orientation,
    role: int,
    right_aligned: Collection[int] = (),
) -> Any:
    """``headerData`` of a table whose columns are ``titles``; ``right_aligned`` columns (the
    numbers) have their titles over the digits."""
    if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(titles):
        return None
    if role == Qt.ItemDataRole.DisplayRole:
        return titles[section]
    if role == Qt.ItemDataRole.TextAlignmentRole and section in right_aligned:
        return RIGHT_ALIGNED
    return None


class FlatRowsModel(QAbstractTableModel, Generic[RowT]):
    """Rows (frozen dataclasses) shown one per line; subclasses say how many columns there are
    (``column_count``) and what each cell shows (``data``, ``headerData``)."""

    column_count: ClassVar[int]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []

    def rows(self) -> Sequence[RowT]:
        return tuple(self._rows)

    def row_at(self, row: int) -> RowT:
        return self._rows[row]

    def set_rows(self, rows: Sequence[RowT]) -> None:
        """Replace every row (views lose their selection: use it for a new subject)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = ROOT) -> int:  # Qt's name
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = ROOT) -> int:  # Qt's name
        return 0 if parent.isValid() else self.column_count

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        return ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags
