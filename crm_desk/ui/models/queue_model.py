"""The ticket queue as a table model over keyset-paged SQL (``core.queries.list_tickets``).

Rows arrive a page at a time through ``Op`` (never a query on the GUI thread): the first page
when the model is built or its filter / sort changes, the next page when a view scrolls to the
end (``canFetchMore`` / ``fetchMore``). Sorting and filtering happen in SQL; the model only holds
the rows loaded so far.

At most one load runs per model at a time (``busy``). Each reload bumps a generation number so
a page that belonged to an older filter or sort is dropped when it lands. Every string the model
hands out is plain text: subjects and names come from e-mail and web forms and are never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from difflib import SequenceMatcher
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import Qt as QtGuiNamespace

from crm_desk.core.queries import QueuePage, TicketFilter, TicketRow, TicketSort, list_tickets
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.labels import local_time, priority_label, status_label

ModelIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

# The row object behind a row, for views and actions: ``index.data(TicketRowRole)``.
TicketRowRole = int(Qt.ItemDataRole.UserRole) + 1

DEFAULT_PAGE_SIZE = 100
_ONE_LINE_TOOLTIP = 80  # characters; longer tooltips wrap


class Column(IntEnum):
    NUMBER = 0
    SUBJECT = 1
    CUSTOMER = 2
    CATEGORY = 3
    STATUS = 4
    PRIORITY = 5
    ASSIGNEE = 6
    UPDATED = 7
    DUE = 8


# Columns the SQL can sort on (an index backs each); the others ignore a header click.
SORT_KEYS: dict[Column, str] = {
    Column.NUMBER: "number",
    Column.SUBJECT: "subject",
    Column.STATUS: "status",
    Column.PRIORITY: "priority",
    Column.UPDATED: "updated",
}


def column_title(column: Column) -> str:
    titles = {
        Column.NUMBER: "Number",
        Column.SUBJECT: "Subject",
        Column.CUSTOMER: "Customer",
        Column.CATEGORY: "Category",
        Column.STATUS: "Status",
        Column.PRIORITY: "Priority",
        Column.ASSIGNEE: "Assignee",
        Column.UPDATED: "Last update",
        Column.DUE: "Due",
    }
    return QCoreApplication.translate("QueueModel", titles[column])


def plain_tooltip(text: str) -> str | None:
    """A tooltip that shows ``text`` literally.

    QToolTip renders a string as rich text when it merely *looks* like HTML, so a subject such
    as ``<img src=x>`` would be interpreted. Escaping into a ``<p>`` makes it real HTML whose
    only content is the escaped text: the tooltip shows exactly the characters (and wraps).
    """
    if not text:
        return None
    html = QtGuiNamespace.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal)
    if len(text) <= _ONE_LINE_TOOLTIP:
        # Qt narrows a wrapping rich-text tooltip to a few words a line; keep short ones whole.
        html = '<p style="white-space:pre">' + html.removeprefix("<p>")
    return html


def customer_text(row: TicketRow) -> str:
    return row.contact_name or row.contact_email or ""


def display_text(row: TicketRow, column: Column) -> str:
    match column:
        case Column.NUMBER:
            return f"#{row.id}"
        case Column.SUBJECT:
            return row.subject
        case Column.CUSTOMER:
            return customer_text(row)
        case Column.CATEGORY:
            return row.category or ""
        case Column.STATUS:
            return status_label(row.status)
        case Column.PRIORITY:
            return priority_label(row.priority)
        case Column.ASSIGNEE:
            return row.assignee_name or row.assignee_email or ""
        case Column.UPDATED:
            return local_time(row.updated_at)
        case Column.DUE:
            return local_time(row.due_at)


def tooltip_text(row: TicketRow, column: Column) -> str:
    """Full text for the columns that are often elided; the rest need no tooltip."""
    if column == Column.SUBJECT:
        return row.subject
    if column == Column.CUSTOMER:
        if row.contact_name and row.contact_email:
            return f"{row.contact_name} <{row.contact_email}>"
        return customer_text(row)
    if column == Column.ASSIGNEE and row.assignee_email:
        return f"{row.assignee_name or ''} <{row.assignee_email}>".strip()
    return ""


def _fetch(
    db: Database, flt: TicketFilter, sort: TicketSort, limit: int, after: tuple[Any, int] | None
) -> QueuePage:
    """Runs on the worker: plain values in, plain rows out."""
    with db.read() as session:
        return list_tickets(session, flt, sort, limit=limit, after=after)


class QueueModel(QAbstractTableModel):
    """Keyset-paged ticket rows; see the module docstring."""

    busy_changed = Signal(bool)
    # The first page after a (re)load, or a refresh, has been applied: counts may have changed.
    loaded = Signal()

    def __init__(
        self,
        db: Database,
        parent: QObject | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        ticket_filter: TicketFilter | None = None,
        sort: TicketSort | None = None,
    ) -> None:
        super().__init__(parent)
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._db = db
        self._page_size = page_size
        self._filter = ticket_filter or TicketFilter()
        self._sort = sort or TicketSort()
        self._rows: list[TicketRow] = []
        self._row_of: dict[int, int] = {}  # ticket id -> row, to drop duplicates and find rows
        self._cursor: tuple[Any, int] | None = None
        self._generation = 0
        self._busy = False
        self._refresh_pending = False
        self.reload()

    # --- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = _ROOT) -> int:  # Qt's name
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = _ROOT) -> int:  # Qt's name
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return display_text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(tooltip_text(row, column))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.NUMBER:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == TicketRowRole:
            return row
        return None

    def headerData(  # Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return column_title(Column(section))
        if role == Qt.ItemDataRole.TextAlignmentRole and section == Column.NUMBER:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def canFetchMore(self, parent: ModelIndex) -> bool:  # Qt's name
        return not parent.isValid() and not self._busy and self._cursor is not None

    def fetchMore(self, parent: ModelIndex) -> None:  # Qt's name
        if not self.canFetchMore(parent):
            return  # also when a load is in flight: the view asks again once it lands
        self._run(self._cursor, self._page_size, self._apply_more)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORT_KEYS.get(Column(column)) if 0 <= column < len(Column) else None
        if key is None:
            return  # not sortable in SQL; the view puts its indicator back
        wanted = TicketSort(key, descending=order == Qt.SortOrder.DescendingOrder)
        if wanted != self._sort:
            self._sort = wanted
            self.reload()

    # --- crm-desk API --------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def ticket_filter(self) -> TicketFilter:
        return self._filter

    @property
    def ticket_sort(self) -> TicketSort:
        return self._sort

    def sort_column(self) -> int:
        """The column showing the SQL sort; -1 (no indicator) for a sort with no column."""
        return next((c for c, key in SORT_KEYS.items() if key == self._sort.key), -1)

    def sort_order(self) -> Qt.SortOrder:
        descending = self._sort.descending
        return Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder

    @staticmethod
    def is_sortable(column: int) -> bool:
        return 0 <= column < len(Column) and Column(column) in SORT_KEYS

    def row_at(self, row: int) -> TicketRow:
        return self._rows[row]

    def index_of(self, ticket_id: int, column: Column = Column.NUMBER) -> QModelIndex:
        """The index of a loaded ticket (invalid if not loaded), for live updates."""
        row = self._row_of.get(ticket_id)
        return QModelIndex() if row is None else self.index(row, column)

    def set_filter(self, ticket_filter: TicketFilter) -> None:
        if ticket_filter != self._filter:
            self._filter = ticket_filter
            self.reload()

    def reload(self) -> None:
        """Start again from the first page (filter or sort changed). Rows in flight are dropped.

        The old rows stay visible until the new page lands, so the view does not flash empty.
        """
        self._generation += 1
        self._refresh_pending = False
        self._run(None, self._page_size, self._apply_first)

    def refresh(self) -> None:
        """Re-read the rows loaded so far and update the view in place (live updates).

        Unchanged rows keep their selection and the scroll position stays; rows that changed
        emit ``dataChanged``; rows that left or entered the range are removed or inserted.
        """
        if self._busy:
            self._refresh_pending = True  # coalesced; runs when the current load lands
            return
        self._run(None, max(len(self._rows), self._page_size), self._apply_refresh)

    # --- loading -------------------------------------------------------------------------------

    def _run(
        self,
        after: tuple[Any, int] | None,
        limit: int,
        apply: Callable[[QueuePage], None],
    ) -> None:
        generation = self._generation
        db, flt, sort = self._db, self._filter, self._sort  # the worker sees values, not self
        self._set_busy(True)

        def landed(page: QueuePage) -> None:
            if generation != self._generation:
                return  # an older filter or sort: a newer load is already under way
            apply(page)
            self._set_busy(False)
            if self._refresh_pending:
                self._refresh_pending = False
                self.refresh()

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._set_busy(False)
            tasks.report_error(exc)

        op = tasks.Op(self, lambda: _fetch(db, flt, sort, limit, after))
        op.on_success(landed).on_failure(failed).start()

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    @staticmethod
    def _unique(rows: list[TicketRow], loaded: Container[int] = ()) -> list[TicketRow]:
        # Keyset pages can overlap when a ticket moves while we page (say, updated in an
        # ascending "last update" sort): show each ticket once.
        taken: set[int] = set()
        result = []
        for row in rows:
            if row.id not in loaded and row.id not in taken:
                taken.add(row.id)
                result.append(row)
        return result

    def _reindex(self) -> None:
        self._row_of = {row.id: number for number, row in enumerate(self._rows)}

    def _apply_first(self, page: QueuePage) -> None:
        self.beginResetModel()
        self._rows = self._unique(page.rows)
        self._cursor = page.cursor
        self._reindex()
        self.endResetModel()
        self.loaded.emit()

    def _apply_more(self, page: QueuePage) -> None:
        rows = self._unique(page.rows, self._row_of)
        self._cursor = page.cursor
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self._row_of.update((row.id, first + n) for n, row in enumerate(rows))
            self.endInsertRows()

    def _apply_refresh(self, page: QueuePage) -> None:
        new = self._unique(page.rows)
        old_ids = [row.id for row in self._rows]
        new_ids = [row.id for row in new]
        opcodes = SequenceMatcher(a=old_ids, b=new_ids, autojunk=False).get_opcodes()
        # From the end backwards, so the row numbers of earlier blocks stay valid.
        for tag, i1, i2, j1, j2 in reversed(opcodes):
            if tag == "equal":
                self._update_equal_block(i1, new[j1:j2])
                continue
            if i2 > i1:
                self.beginRemoveRows(QModelIndex(), i1, i2 - 1)
                del self._rows[i1:i2]
                self.endRemoveRows()
            if j2 > j1:
                self.beginInsertRows(QModelIndex(), i1, i1 + (j2 - j1) - 1)
                self._rows[i1:i1] = new[j1:j2]
                self.endInsertRows()
        self._cursor = page.cursor
        self._reindex()
        self.loaded.emit()

    def _update_equal_block(self, start: int, rows: list[TicketRow]) -> None:
        """Same tickets in the same places: replace the changed ones, one signal per run."""
        last_column = len(Column) - 1
        run_start: int | None = None
        for offset, row in enumerate([*rows, None]):
            position = start + offset
            changed = row is not None and row != self._rows[position]
            if changed:
                assert row is not None
                self._rows[position] = row
                if run_start is None:
                    run_start = position
            elif run_start is not None:
                self.dataChanged.emit(
                    self.index(run_start, 0), self.index(position - 1, last_column)
                )
                run_start = None
