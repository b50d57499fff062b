"""The ticket queue as a table model over keyset-paged SQL (``core.queries.list_tickets``).

Rows arrive a page at a time through ``Op`` (never a query on the GUI thread): the first page
when the model is built or its filter / sort / search changes, the next page when a view scrolls
to the end (``canFetchMore`` / ``fetchMore``). Sorting and filtering happen in SQL; the model
only holds the rows loaded so far.

A search (``set_search``) lists the tickets matching the text within the current filter, best
match first, paged by offset through ``core.queue_search``; a click on a column header sorts the
matches by that column instead. An empty search returns to the keyset listing.

With a viewer (``set_viewer``), rows the agent has not seen since someone else changed them are
shown in bold; ``mark_read`` clears that for one ticket without reloading the list.

At most one load runs per model at a time (``busy``). Each reload bumps a generation number so
a page that belonged to an older filter, sort or search is dropped when it lands: an older search
never replaces a newer one. Every string the model hands out is plain text: subjects and names
come from e-mail and web forms and are never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from crm_desk.core import reads
from crm_desk.core.queries import TicketFilter, TicketRow, TicketSort, count_tickets, list_tickets
from crm_desk.core.queue_search import (
    SearchCursor,
    is_searchable,
    matching_ticket_ids,
    search_tickets,
)
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.models.flat_rows import RIGHT_ALIGNED, ROOT, ModelIndex, header_data
from crm_desk.ui.models.queue_columns import (
    ALL_SORT_KEYS,
    SORT_KEYS,
    Column,
    column_title,
    customer_text,
    display_text,
    plain_tooltip,
    tooltip_text,
)
from crm_desk.ui.models.ticket_drag import TICKET_IDS_MIME_TYPE, DraggedTicket, ticket_mime_data

__all__ = [
    "ALL_SORT_KEYS",
    "DEFAULT_PAGE_SIZE",
    "SORT_KEYS",
    "Column",
    "QueueModel",
    "QueueQuery",
    "TicketRowRole",
    "column_title",
    "count_matching",
    "customer_text",
    "display_text",
    "plain_tooltip",
    "tooltip_text",
]


# The row object behind a row, for views and actions: ``index.data(TicketRowRole)``.
TicketRowRole = int(Qt.ItemDataRole.UserRole) + 1

DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class QueueQuery:
    """Everything that decides which rows the model lists, as plain values for the worker."""

    ticket_filter: TicketFilter
    sort: TicketSort
    viewer_id: int | None = None
    search: str = ""  # not empty: the tickets matching it, instead of the plain listing
    search_by_relevance: bool = True  # while searching: best match first, or by ``sort``


@dataclass(frozen=True)
class _Page:
    rows: list[TicketRow]
    cursor: object | None  # a keyset cursor or a SearchCursor; None at the end


def _fetch(db: Database, query: QueueQuery, limit: int, after: object | None) -> _Page:
    """Runs on the worker: plain values in, plain rows out."""
    with db.read() as session:
        if query.search:
            page = search_tickets(
                session,
                query.search,
                query.ticket_filter,
                None if query.search_by_relevance else query.sort,
                limit=limit,
                after=after if isinstance(after, SearchCursor) else None,
                viewer_id=query.viewer_id,
            )
            return _Page(page.rows, page.cursor)
        listing = list_tickets(
            session,
            query.ticket_filter,
            query.sort,
            limit=limit,
            after=cast(tuple[Any, int] | None, after),
            viewer_id=query.viewer_id,
        )
        return _Page(listing.rows, listing.cursor)


def count_matching(db: Database, query: QueueQuery) -> int:
    """How many tickets ``query`` lists in all (runs on a worker): for the status bar."""
    with db.read() as session:
        if query.search:
            return len(matching_ticket_ids(session, query.search, query.ticket_filter))
        return count_tickets(session, query.ticket_filter)


def _mark(db: Database, agent_id: int, ticket_ids: Sequence[int], read: bool) -> None:
    with db.write() as session:
        if read:
            for ticket_id in ticket_ids:
                reads.mark_read(session, agent_id, ticket_id)
        else:
            reads.mark_unread(session, agent_id, ticket_ids)


def _normalised_search(text: str) -> str:
    text = " ".join(text.split())
    return text if is_searchable(text) else ""  # spaces or punctuation only: no search


class QueueModel(QAbstractTableModel):
    """Keyset-paged ticket rows; see the module docstring."""

    busy_changed = Signal(bool)
    # The first page after a (re)load, or a refresh, has been applied: counts may have changed.
    loaded = Signal()
    # The search text changed (empty: back to the listing); the rows follow when they land.
    search_changed = Signal(str)

    def __init__(
        self,
        db: Database,
        parent: QObject | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        ticket_filter: TicketFilter | None = None,
        sort: TicketSort | None = None,
        viewer_id: int | None = None,
        sort_keys: Mapping[Column, str] = SORT_KEYS,
    ) -> None:
        """``sort_keys``: the columns a header click sorts by (``ALL_SORT_KEYS``: every one);
        a click on another column is ignored."""
        super().__init__(parent)
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._db = db
        self._sort_keys = dict(sort_keys)
        self._page_size = page_size
        self._filter = ticket_filter or TicketFilter()
        self._sort = sort or TicketSort()
        self._viewer_id = viewer_id
        self._search = ""
        self._search_by_relevance = True
        self._rows: list[TicketRow] = []
        self._row_of: dict[int, int] = {}  # ticket id -> row, to drop duplicates and find rows
        self._cursor: object | None = None
        self._generation = 0
        self._busy = False
        self._refresh_pending = False
        # Only the weight is set, so the view's own font (family, size) still applies.
        self._unread_font = QFont()
        self._unread_font.setBold(True)
        self.reload()

    # --- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = ROOT) -> int:  # Qt's name
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = ROOT) -> int:  # Qt's name
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsDragEnabled
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return display_text(row, column)
        if role == Qt.ItemDataRole.FontRole:
            return self._unread_font if row.unread else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(tooltip_text(row, column))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.NUMBER:
            return RIGHT_ALIGNED
        if role == TicketRowRole:
            return row
        return None

    def headerData(  # Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        titles = [column_title(column) for column in Column]
        return header_data(titles, section, orientation, role, (Column.NUMBER,))

    def canFetchMore(self, parent: ModelIndex) -> bool:  # Qt's name
        return not parent.isValid() and not self._busy and self._cursor is not None

    def fetchMore(self, parent: ModelIndex) -> None:  # Qt's name
        if not self.canFetchMore(parent):
            return  # also when a load is in flight: the view asks again once it lands
        self._run(self._cursor, self._page_size, self._apply_more)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self._sort_keys.get(Column(column)) if 0 <= column < len(Column) else None
        if key is None:
            return  # not sortable in SQL; the view puts its indicator back
        wanted = TicketSort(key, descending=order == Qt.SortOrder.DescendingOrder)
        if self._search and self._search_by_relevance:
            # A header click while searching sorts the matches by that column.
            self._search_by_relevance = False
        elif wanted == self._sort:
            return
        self._sort = wanted
        self.reload()

    # Dragging rows (onto an agent in the workload view, say): see ``ticket_drag``.

    def mimeTypes(self) -> list[str]:  # Qt's name
        return [TICKET_IDS_MIME_TYPE]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # Qt's name
        rows = sorted({i.row() for i in indexes if i.isValid() and i.row() < len(self._rows)})
        return ticket_mime_data(
            DraggedTicket(self._rows[r].id, self._rows[r].version) for r in rows
        )

    def supportedDragActions(self) -> Qt.DropAction:  # Qt's name
        # Assigning moves a ticket to another agent; the list itself never removes the rows
        # (it has no removeRows): the live refresh shows where the ticket went.
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    # --- crm-desk API --------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def ticket_filter(self) -> TicketFilter:
        return self._filter

    @property
    def ticket_sort(self) -> TicketSort:
        """The listing's sort (also the sort of the matches when not best-match-first)."""
        return self._sort

    @property
    def search_text(self) -> str:
        """The search the rows match ("" for the plain listing), normalised."""
        return self._search

    @property
    def viewer_id(self) -> int | None:
        return self._viewer_id

    @property
    def query(self) -> QueueQuery:
        """What the model lists, as a value (compare it to tell whether a count is current)."""
        return QueueQuery(
            self._filter, self._sort, self._viewer_id, self._search, self._search_by_relevance
        )

    def sort_column(self) -> int:
        """The column showing the SQL sort; -1 (no indicator) for a sort with no column and
        for search results listed best match first."""
        if self._search and self._search_by_relevance:
            return -1
        return next((c for c, key in self._sort_keys.items() if key == self._sort.key), -1)

    def sort_order(self) -> Qt.SortOrder:
        descending = self._sort.descending
        return Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder

    def is_sortable(self, column: int) -> bool:
        return 0 <= column < len(Column) and Column(column) in self._sort_keys

    def row_at(self, row: int) -> TicketRow:
        return self._rows[row]

    def index_of(self, ticket_id: int, column: Column = Column.NUMBER) -> QModelIndex:
        """The index of a loaded ticket (invalid if not loaded), for live updates."""
        row = self._row_of.get(ticket_id)
        return QModelIndex() if row is None else self.index(row, column)

    def set_filter(self, ticket_filter: TicketFilter) -> None:
        """List these tickets; while searching, the matches within them."""
        if ticket_filter != self._filter:
            self._filter = ticket_filter
            self.reload()

    def set_search(self, text: str) -> None:
        """Show the tickets matching ``text`` within the filter; "" returns to the listing.

        Whitespace is normalised, and text with nothing to search for (spaces, punctuation)
        counts as empty. A new search starts best match first.
        """
        text = _normalised_search(text)
        if text == self._search:
            return
        if not self._search:
            self._search_by_relevance = True
        self._search = text
        self.search_changed.emit(text)
        self.reload()

    def sort_by_relevance(self) -> None:
        """While searching: list the matches best first again (after a column sort)."""
        if self._search and not self._search_by_relevance:
            self._search_by_relevance = True
            self.search_changed.emit(self._search)  # the view drops its sort indicator
            self.reload()

    def set_viewer(self, agent_id: int | None) -> None:
        """Whose unread tickets to show in bold (None: nobody's). Rows update in place."""
        if agent_id != self._viewer_id:
            self._viewer_id = agent_id
            self.refresh()

    def mark_read(self, ticket_id: int) -> None:
        """The viewer has seen this ticket: record it (on the worker), then unbold its row."""
        self._mark([ticket_id], read=True)

    def mark_unread(self, ticket_ids: Iterable[int]) -> None:
        """Show these tickets as unread again (for the viewer)."""
        self._mark(list(ticket_ids), read=False)

    def reload(self) -> None:
        """Start again from the first page (filter, sort or search changed). Rows in flight
        are dropped.

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

    def _run(self, after: object | None, limit: int, apply: Callable[[_Page], None]) -> None:
        generation = self._generation
        db, query = self._db, self.query  # the worker sees values, not self
        self._set_busy(True)

        def landed(page: _Page) -> None:
            if generation != self._generation:
                return  # an older filter, sort or search: a newer load is already under way
            apply(page)
            self._set_busy(False)
            if self._refresh_pending:
                self._refresh_pending = False
                self.refresh()

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._set_busy(False)
            tasks.report_error(exc)

        op = tasks.Op(self, lambda: _fetch(db, query, limit, after))
        op.on_success(landed).on_failure(failed).start()

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def _mark(self, ticket_ids: list[int], *, read: bool) -> None:
        viewer, db = self._viewer_id, self._db
        if viewer is None or not ticket_ids:
            return

        def done(_: None) -> None:
            # Ops finish in start order: a load started before this write has landed by now,
            # and one started after it reads the new state; so this is the row's truth.
            if viewer == self._viewer_id:
                for ticket_id in ticket_ids:
                    self._set_unread(ticket_id, not read)

        tasks.Op(self, lambda: _mark(db, viewer, ticket_ids, read)).on_success(done).start()

    def _set_unread(self, ticket_id: int, unread: bool) -> None:
        position = self._row_of.get(ticket_id)
        if position is None or self._rows[position].unread == unread:
            return
        self._rows[position] = replace(self._rows[position], unread=unread)
        self.dataChanged.emit(
            self.index(position, 0),
            self.index(position, len(Column) - 1),
            [Qt.ItemDataRole.FontRole],
        )

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

    def _apply_first(self, page: _Page) -> None:
        self.beginResetModel()
        self._rows = self._unique(page.rows)
        self._cursor = page.cursor
        self._reindex()
        self.endResetModel()
        self.loaded.emit()

    def _apply_more(self, page: _Page) -> None:
        rows = self._unique(page.rows, self._row_of)
        self._cursor = page.cursor
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self._row_of.update((row.id, first + n) for n, row in enumerate(rows))
            self.endInsertRows()

    def _apply_refresh(self, page: _Page) -> None:
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
