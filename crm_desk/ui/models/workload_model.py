"""The team lead's workload table: one row per agent (then the unassigned queue), and the
drag-and-drop format that carries tickets between the queue and the workload view.

Ticket drag format
------------------
MIME type ``application/x-crm-desk-ticket-ids`` (``TICKET_IDS_MIME``), UTF-8 JSON, a list::

    [{"id": 12, "version": 3}, {"id": 40, "version": null}]

(the object form ``{"tickets": [...]}`` is read too). ``version`` is the ticket version the
dragging view showed; the move is refused with "changed by X" if the ticket has moved on since
(``null``: not checked). A view that lets tickets be dragged builds the data with
``ticket_refs_mime_data`` (or the queue's ``ticket_drag.ticket_mime_data``, the same format)
and offers ``Qt.MoveAction``; nothing is removed from the source on a drop.

The model holds the plain ``AgentLoad`` rows of ``core.workload``; the view loads them through
an ``Op``. Dropping tickets on a row emits ``drop_requested(refs, agent_id)``: the view does
the write. Every string here is plain text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QLocale,
    QMimeData,
    QModelIndex,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from crm_desk.core.workload import AgentLoad
from crm_desk.ui.models.flat_rows import RIGHT_ALIGNED, FlatRowsModel, ModelIndex, header_data
from crm_desk.ui.models.queue_model import plain_tooltip

TICKET_IDS_MIME = "application/x-crm-desk-ticket-ids"
MAX_DRAGGED_TICKETS = 1000  # what bulk_assign takes at once

# The AgentLoad behind a row: ``index.data(AgentLoadRole)``.
AgentLoadRole = int(Qt.ItemDataRole.UserRole) + 1


@dataclass(frozen=True)
class TicketRef:
    """A ticket being moved, with the version the person saw (None: not checked)."""

    id: int
    version: int | None = None


def ticket_refs_mime_data(refs: Sequence[TicketRef]) -> QMimeData:
    mime = QMimeData()
    payload = [{"id": ref.id, "version": ref.version} for ref in refs]
    mime.setData(TICKET_IDS_MIME, json.dumps(payload).encode("utf-8"))
    mime.setText(" ".join(f"#{ref.id}" for ref in refs))  # for a drop into another program
    return mime


def ticket_refs_from_mime(mime: QMimeData | None) -> list[TicketRef]:
    """The tickets in ``mime``; empty if it carries none or is malformed (drops come from
    anywhere, other programs included)."""
    if mime is None or not mime.hasFormat(TICKET_IDS_MIME):
        return []
    try:
        payload = json.loads(bytes(mime.data(TICKET_IDS_MIME).data()).decode("utf-8"))
        entries = payload["tickets"] if isinstance(payload, dict) else payload
        if not isinstance(entries, list):
            return []
        refs = []
        for entry in entries[: MAX_DRAGGED_TICKETS + 1]:
            ticket_id, version = entry["id"], entry.get("version")
            if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or ticket_id < 1:
                return []
            if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
                return []
            refs.append(TicketRef(ticket_id, version))
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
    return refs if len(refs) <= MAX_DRAGGED_TICKETS else []


class Column(IntEnum):
    AGENT = 0
    OPEN = 1
    PENDING = 2
    OVERDUE = 3
    OLDEST_AGE = 4
    OLDEST_TICKET = 5


def _tr(text: str) -> str:
    return QCoreApplication.translate("WorkloadModel", text)


def column_title(column: Column) -> str:
    titles = {
        Column.AGENT: _tr("Agent"),
        Column.OPEN: _tr("Open"),
        Column.PENDING: _tr("Pending"),
        Column.OVERDUE: _tr("Overdue"),
        Column.OLDEST_AGE: _tr("Waiting"),
        Column.OLDEST_TICKET: _tr("Oldest waiting ticket"),
    }
    return titles[column]


def format_age(age: timedelta) -> str:
    """``45 min``, ``5 h 12 min``, ``3 d 4 h``: how long the oldest ticket has waited."""
    minutes = max(0, int(age.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    number = QLocale().toString
    if days:
        return _tr("{} d {} h").format(number(days), number(hours))
    if hours:
        return _tr("{} h {} min").format(number(hours), number(minutes))
    return _tr("{} min").format(number(minutes))


def agent_text(load: AgentLoad) -> str:
    if load.unassigned:
        return _tr("Unassigned")
    if not load.active:
        return _tr("{} (deactivated)").format(load.name)
    return load.name


_NUMBERS = {Column.OPEN, Column.PENDING, Column.OVERDUE, Column.OLDEST_AGE}


def display_text(load: AgentLoad, column: Column) -> str:
    number = QLocale().toString
    match column:
        case Column.AGENT:
            return agent_text(load)
        case Column.OPEN:
            return number(load.open)
        case Column.PENDING:
            return number(load.pending)
        case Column.OVERDUE:
            return number(load.overdue)
        case Column.OLDEST_AGE:
            return format_age(load.oldest.age) if load.oldest else ""
        case Column.OLDEST_TICKET:
            return f"#{load.oldest.ticket_id}  {load.oldest.subject}" if load.oldest else ""


def _sort_key(load: AgentLoad, column: Column) -> Any:
    match column:
        case Column.AGENT:
            return agent_text(load).casefold()
        case Column.OPEN:
            return load.open
        case Column.PENDING:
            return load.pending
        case Column.OVERDUE:
            return load.overdue
        case Column.OLDEST_AGE | Column.OLDEST_TICKET:
            return load.oldest.age if load.oldest else timedelta(-1)


class WorkloadModel(FlatRowsModel[AgentLoad]):
    """Rows of ``AgentLoad``; a drop of tickets on an agent's row asks for a reassignment."""

    drop_requested = Signal(list, object)  # list[TicketRef], agent id (None: the queue)

    column_count = len(Column)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sort: tuple[Column, Qt.SortOrder] | None = None
        self._accepts_drops = True

    # --- Qt model API --------------------------------------------------------------------------

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        load = self._rows[index.row()]
        flags = super().flags(index)
        if self._droppable(load):
            flags |= Qt.ItemFlag.ItemIsDropEnabled
        if load.oldest is not None:
            flags |= Qt.ItemFlag.ItemIsDragEnabled  # the oldest waiting ticket can be moved
        return flags

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        load = self._rows[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return display_text(load, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.AGENT and load.email:
                return plain_tooltip(f"{load.name} <{load.email}>")
            if column in (Column.OLDEST_AGE, Column.OLDEST_TICKET):
                return plain_tooltip(display_text(load, Column.OLDEST_TICKET))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMBERS:
            return RIGHT_ALIGNED
        if role == Qt.ItemDataRole.FontRole and column == Column.OVERDUE and load.overdue:
            font = QFont()
            font.setBold(True)  # what needs the lead's attention first
            return font
        if role == AgentLoadRole:
            return load
        return None

    def headerData(  # Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        titles = [column_title(column) for column in Column]
        return header_data(titles, section, orientation, role, _NUMBERS)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(Column):
            return
        self._sort = (Column(column), order)
        self.layoutAboutToBeChanged.emit()
        old = [self.index(row, 0) for row in range(len(self._rows))]
        before = list(self._rows)
        self._rows = self._sorted(self._rows)
        position = {id(load): row for row, load in enumerate(self._rows)}
        for old_index, load in zip(old, before, strict=True):
            for column_number in range(len(Column)):
                self.changePersistentIndex(
                    old_index.siblingAtColumn(column_number),
                    self.index(position[id(load)], column_number),
                )
        self.layoutChanged.emit()

    # --- drag and drop -------------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:  # Qt's name
        return [TICKET_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # Qt's name
        rows = sorted({index.row() for index in indexes if index.isValid()})
        refs = [
            TicketRef(oldest.ticket_id, oldest.version)
            for oldest in (self._rows[row].oldest for row in rows)
            if oldest is not None
        ]
        return ticket_refs_mime_data(refs)

    def supportedDropActions(self) -> Qt.DropAction:  # Qt's name
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def supportedDragActions(self) -> Qt.DropAction:  # Qt's name
        return Qt.DropAction.MoveAction

    def canDropMimeData(  # Qt's name
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: ModelIndex,
    ) -> bool:
        return self._drop_target(data, action, row, parent) is not None

    def dropMimeData(  # Qt's name
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: ModelIndex,
    ) -> bool:
        target = self._drop_target(data, action, row, parent)
        if target is None:
            return False
        self.drop_requested.emit(ticket_refs_from_mime(data), target.agent_id)
        return True

    def _drop_target(
        self, data: QMimeData, action: Qt.DropAction, row: int, parent: ModelIndex
    ) -> AgentLoad | None:
        # Only onto a row (parent valid, row -1): between rows means nothing here.
        if action not in (Qt.DropAction.MoveAction, Qt.DropAction.CopyAction):
            return None
        if row != -1 or not parent.isValid() or parent.row() >= len(self._rows):
            return None
        load = self._rows[parent.row()]
        if not self._droppable(load) or not ticket_refs_from_mime(data):
            return None
        return load

    def _droppable(self, load: AgentLoad) -> bool:
        return self._accepts_drops and load.active

    # --- crm-desk API --------------------------------------------------------------------------

    def set_accepts_drops(self, accepts: bool) -> None:
        """Off for someone who may not reassign (an agent): rows stop taking drops."""
        if accepts != self._accepts_drops:
            self._accepts_drops = accepts
            if self._rows:
                self.dataChanged.emit(
                    self.index(0, 0), self.index(len(self._rows) - 1, len(Column) - 1)
                )

    def load_at(self, row: int) -> AgentLoad:
        return self._rows[row]

    def row_of(self, agent_id: int | None) -> int:
        """The row of an agent (None: the unassigned queue); -1 if not shown."""
        return next((n for n, load in enumerate(self._rows) if load.agent_id == agent_id), -1)

    def set_rows(self, rows: Sequence[AgentLoad]) -> None:
        """New numbers. The same agents in the same order update in place (selection kept)."""
        new = self._sorted(list(rows))
        if [load.agent_id for load in new] == [load.agent_id for load in self._rows]:
            changed = [n for n, (a, b) in enumerate(zip(self._rows, new, strict=True)) if a != b]
            self._rows = new
            if changed:
                self.dataChanged.emit(
                    self.index(min(changed), 0), self.index(max(changed), len(Column) - 1)
                )
            return
        self.beginResetModel()
        self._rows = new
        self.endResetModel()

    def _sorted(self, rows: list[AgentLoad]) -> list[AgentLoad]:
        if self._sort is None:
            return rows
        column, order = self._sort
        people = [load for load in rows if not load.unassigned]
        queue = [load for load in rows if load.unassigned]
        people.sort(
            key=lambda load: _sort_key(load, column),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        return people + queue  # the queue stays last, whatever the sort
