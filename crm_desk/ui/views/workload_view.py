"""The team lead's workload: per agent open / pending / overdue and the oldest waiting ticket.

Meant for a dock (or a dialog) that the main window shows to leads only. The numbers load
through an ``Op`` on ``refresh()`` (the main window calls it when the change feed reports
ticket changes) and once a minute while visible, so the ages stay true.

Reassigning, the lead's way:
- drag tickets from the queue onto an agent's row (format: ``workload_model.TICKET_IDS_MIME``);
  dropping on "Unassigned" puts them back in the queue;
- drag an agent's row onto another: its oldest waiting ticket moves;
- right-click a row: "Reassign N selected tickets to …" moves the queue's selection, which the
  main window passes in with ``set_tickets``.

Every move is one ``bulk_assign`` (all or nothing, each ticket checked against the version
shown). Then ``changed(ticket_ids)``; a refusal also goes out as ``failed(message)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QLocale, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_desk.core import agents, tickets
from crm_desk.core.queries import TicketRow
from crm_desk.core.workload import AgentLoad, totals, workload
from crm_desk.errors import CrmDeskError
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.models.workload_model import (
    AgentLoadRole,
    Column,
    TicketRef,
    WorkloadModel,
    agent_text,
)

AUTO_REFRESH_MS = 60_000


def load_workload(db: Database) -> list[AgentLoad]:
    """Runs on the worker."""
    with db.read() as session:
        return workload(session, datetime.now(UTC))


def reassign_tickets(
    db: Database, actor_id: int, refs: Sequence[TicketRef], assignee_id: int | None
) -> list[int]:
    """Runs on the worker: one bulk_assign; the ticket ids."""
    ids = [ref.id for ref in refs]
    versions = {ref.id: ref.version for ref in refs if ref.version is not None}
    with db.write() as session:
        actor = agents.by_id(session, actor_id)
        tickets.bulk_assign(session, actor, ids, assignee_id, expected_versions=versions)
    return ids


class WorkloadTable(QTableView):
    """The table; drops land on rows (the model decides which rows take them)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workloadTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDragDropOverwriteMode(True)  # drop onto a row, never between rows
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(True)
        self.setAcceptDrops(True)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


class WorkloadView(QWidget):
    changed = Signal(list)  # ticket ids reassigned (or refused): refresh them
    failed = Signal(str)  # a refusal to show ("changed by X", not allowed …)
    ticket_activated = Signal(int)  # open this ticket
    agent_activated = Signal(object)  # show this agent's tickets (None: the unassigned queue)
    loaded = Signal()  # new numbers are shown

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workloadView")
        self._db = db
        self._agent_id: int | None = None
        self._is_lead = False
        self._selection: list[TicketRow] = []
        self._loads = tasks.OneAtATime[list[AgentLoad]](self, self._prepare_load)
        self.busy = False

        self.model = WorkloadModel(self)
        self.table = WorkloadTable(self)
        self.table.setModel(self.model)
        # No indicator first: enabling sorting sorts by it at once, and the service's order
        # (by name, the queue last) is the one to start with.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        metrics = self.fontMetrics()
        widths = {
            Column.AGENT: metrics.horizontalAdvance("n" * 18),
            Column.OPEN: metrics.horizontalAdvance("Pending") + 28,
            Column.PENDING: metrics.horizontalAdvance("Pending") + 28,
            Column.OVERDUE: metrics.horizontalAdvance("Overdue") + 28,
            Column.OLDEST_AGE: metrics.horizontalAdvance("000 d 00 h") + 36,
        }
        for column, width in widths.items():
            self.table.horizontalHeader().resizeSection(column, width)

        self.totals_label = QLabel(self)
        self.totals_label.setObjectName("workloadTotals")
        self.totals_label.setTextFormat(Qt.TextFormat.PlainText)
        self.refresh_button = QToolButton(self)
        self.refresh_button.setObjectName("workloadRefresh")
        self.refresh_action = QAction(self.tr("Refresh"), self)
        self.refresh_action.triggered.connect(self.refresh)
        self.refresh_button.setDefaultAction(self.refresh_action)
        hint = QLabel(self.tr("Drop tickets on an agent to reassign them."), self)
        hint.setObjectName("workloadHint")
        hint.setTextFormat(Qt.TextFormat.PlainText)

        top = QHBoxLayout()
        top.setContentsMargins(8, 4, 4, 4)
        top.addWidget(self.totals_label, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(8, 4, 8, 4)
        bottom.addWidget(hint)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setInterval(AUTO_REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.model.drop_requested.connect(self.reassign)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.activated.connect(self._activated)
        self.set_actor(None, False)

    # --- public --------------------------------------------------------------------------------

    def set_actor(self, agent_id: int | None, is_lead: bool) -> None:
        self._agent_id, self._is_lead = agent_id, is_lead
        self.model.set_accepts_drops(agent_id is not None and is_lead)

    def set_tickets(self, rows: Sequence[TicketRow]) -> None:
        """The queue's selection, for "Reassign selected tickets to …"."""
        self._selection = list(rows)

    def refresh(self) -> None:
        self._loads.request()  # coalesced: one more load when this one lands

    def _prepare_load(
        self,
    ) -> tuple[Callable[[], list[AgentLoad]], Callable[[list[AgentLoad]], None]]:
        db = self._db
        return lambda: load_workload(db), self._landed

    def reassign(self, refs: Sequence[TicketRef], agent_id: int | None) -> None:
        """Move ``refs`` to ``agent_id`` (None: back to the queue) in one bulk_assign."""
        if self._agent_id is None or not self._is_lead or not refs or self.busy:
            return
        db, actor_id, chosen = self._db, self._agent_id, list(refs)
        ids = [ref.id for ref in chosen]
        self.busy = True
        tasks.Op(self, lambda: reassign_tickets(db, actor_id, chosen, agent_id)).on_success(
            lambda _ids: self._reassigned(ids)
        ).on_failure(lambda exc: self._reassign_failed(ids, exc)).start()

    def reassign_selection_to(self, agent_id: int | None) -> None:
        self.reassign([TicketRef(row.id, row.version) for row in self._selection], agent_id)

    # --- loading -------------------------------------------------------------------------------

    def _landed(self, rows: list[AgentLoad]) -> None:
        self.model.set_rows(rows)
        open_, pending, overdue = totals(rows)
        number = QLocale().toString
        self.totals_label.setText(
            self.tr("{} open · {} pending · {} overdue").format(
                number(open_), number(pending), number(overdue)
            )
        )
        self.loaded.emit()

    def _reassigned(self, ids: list[int]) -> None:
        self.busy = False
        self.changed.emit(ids)
        self.refresh()

    def _reassign_failed(self, ids: list[int], exc: BaseException) -> None:
        self.busy = False
        if isinstance(exc, CrmDeskError):
            self.failed.emit(tasks.describe_error(exc))
        else:
            tasks.report_error(exc)
        self.changed.emit(ids)  # what the queue shows may be out of date
        self.refresh()

    def _tick(self) -> None:
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # Qt's name
        super().showEvent(event)
        self.refresh()

    # --- menus ---------------------------------------------------------------------------------

    def _activated(self, index: QModelIndex) -> None:
        load = index.data(AgentLoadRole)
        if isinstance(load, AgentLoad):
            self.agent_activated.emit(load.agent_id)

    def context_menu_for(self, row: int) -> QMenu:
        """The menu of one row (public so that tests and the keyboard can reach it)."""
        load = self.model.load_at(row)
        name = agent_text(load).replace("&", "&&")  # names are data, never mnemonics
        menu = QMenu(self)
        menu.setObjectName("workloadMenu")
        count = len(self._selection)
        number = QLocale().toString(count)
        if load.unassigned and count == 0:
            text = self.tr("Put selected tickets back in the queue")
        elif load.unassigned and count == 1:
            text = self.tr("Put the selected ticket back in the queue")
        elif load.unassigned:
            text = self.tr("Put {} selected tickets back in the queue").format(number)
        elif count == 0:
            text = self.tr("Reassign selected tickets to {}").format(name)
        elif count == 1:
            text = self.tr("Reassign the selected ticket to {}").format(name)
        else:
            text = self.tr("Reassign {} selected tickets to {}").format(number, name)
        reassign = menu.addAction(text)
        reassign.setEnabled(
            count > 0 and self._is_lead and self._agent_id is not None and load.active
        )
        reassign.triggered.connect(lambda: self.reassign_selection_to(load.agent_id))
        if load.oldest is not None:
            ticket_id = load.oldest.ticket_id
            show_oldest = menu.addAction(
                self.tr("Open oldest waiting ticket #{}").format(ticket_id)
            )
            show_oldest.triggered.connect(lambda: self.ticket_activated.emit(ticket_id))
        if load.unassigned:
            show = menu.addAction(self.tr("Show the unassigned tickets"))
        else:
            show = menu.addAction(self.tr("Show tickets of {}").format(name))
        show.triggered.connect(lambda: self.agent_activated.emit(load.agent_id))
        menu.addSeparator()
        menu.addAction(self.refresh_action)
        return menu

    def _context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        menu = self.context_menu_for(index.row())
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(self.table.viewport().mapToGlobal(position))
