"""The sidebar: views with live counts; choosing one emits ``view_selected(ViewSpec)``.

Counts come from ``core.views.view_counts`` through ``Op``. ``refresh()`` is meant to be called
whenever counts may be stale (``ChangeWatcher.counts_stale``): calls are gathered for a short
moment and never overlap, so a burst of changes (a mail sync) costs one count query, not one
per change. A count refresh keeps the selected view selected and emits nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView, QWidget

from crm_desk.core.queries import TicketFilter
from crm_desk.core.views import MINE, UNASSIGNED, ViewCount, view_counts
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.models.sidebar_model import (
    COUNT_COLUMN,
    NAME_COLUMN,
    KeyRole,
    SidebarModel,
    ViewSpec,
    ViewSpecRole,
)

DEFAULT_DEBOUNCE_MS = 400


def _load(db: Database, agent_id: int | None, is_lead: bool) -> list[ViewCount]:
    with db.read() as session:
        return view_counts(session, agent_id, is_lead)


class Sidebar(QTreeView):
    view_selected = Signal(object)  # ViewSpec
    counts_loaded = Signal()  # fresh counts are on screen

    def __init__(
        self,
        db: Database,
        parent: QWidget | None = None,
        *,
        debounce_ms: int = DEFAULT_DEBOUNCE_MS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self._db = db
        self._agent_id: int | None = None
        self._is_lead = False
        self._generation = 0
        self._counts = tasks.OneAtATime[list[ViewCount]](self, self._prepare_counts)
        self._selected_key: str | None = None
        self._wanted_key: str | None = None  # asked for before the views were loaded
        self._restoring = False

        self.sidebar_model = SidebarModel(self)
        self.setModel(self.sidebar_model)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setUniformRowHeights(True)
        self.setIndentation(10)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAllColumnsShowFocus(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COUNT_COLUMN, QHeaderView.ResizeMode.ResizeToContents)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self.refresh_now)
        self.sidebar_model.modelReset.connect(self._after_reset)
        self.selectionModel().currentRowChanged.connect(self._current_changed)

    # --- actor and counts ----------------------------------------------------------------------

    def set_actor(self, agent_id: int | None, is_lead: bool) -> None:
        """Whose views to show: Mine needs an agent, the Team section a lead."""
        self._agent_id = agent_id
        self._is_lead = is_lead
        self._generation += 1  # counts for the previous actor are dropped when they land
        self.refresh_now()

    def refresh(self) -> None:
        """Counts may be stale: reload them soon (calls within the debounce time are merged).

        The timer is not restarted by later calls, so steady changes still refresh regularly.
        """
        if not self._debounce.isActive():
            self._debounce.start()

    def refresh_now(self) -> None:
        self._debounce.stop()
        self._counts.request()

    def _prepare_counts(
        self,
    ) -> tuple[Callable[[], list[ViewCount]], Callable[[list[ViewCount]], None]]:
        db, agent_id, is_lead, generation = (
            self._db,
            self._agent_id,
            self._is_lead,
            self._generation,
        )

        def show(views: list[ViewCount]) -> None:
            if generation == self._generation:
                self.sidebar_model.set_views(views)
                self._apply_wanted()
                self.counts_loaded.emit()

        return lambda: _load(db, agent_id, is_lead), show

    # --- selection -----------------------------------------------------------------------------

    def current_view(self) -> ViewSpec | None:
        return self.sidebar_model.spec(self._selected_key) if self._selected_key else None

    def view_keys(self) -> list[str]:
        return self.sidebar_model.keys()

    def select_key(self, key: str) -> bool:
        """Select a view by key (emits ``view_selected``). Before the first counts have landed,
        the choice is remembered and applied then; returns whether it was applied now."""
        index = self.sidebar_model.index_of(key)
        if not index.isValid():
            self._wanted_key = key
            return False
        self._wanted_key = None
        self.setCurrentIndex(index)
        return True

    def wanted_key(self) -> str | None:
        """A view asked for before the counts landed (applied when they do)."""
        return self._wanted_key

    def _apply_wanted(self) -> None:
        if self._wanted_key is not None:
            self.select_key(self._wanted_key)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._restoring or not current.isValid():
            return
        spec = current.siblingAtColumn(NAME_COLUMN).data(ViewSpecRole)
        if not isinstance(spec, ViewSpec):
            return  # a section heading
        if spec.key != self._selected_key:
            self._selected_key = spec.key
            self.view_selected.emit(spec)

    def _after_reset(self) -> None:
        """Views came or went: expand the sections and put the selection back, silently."""
        self.expandAll()
        if self._selected_key is None:
            return
        index = self.sidebar_model.index_of(self._selected_key)
        self._restoring = True
        try:
            if index.isValid():
                self.selectionModel().setCurrentIndex(
                    index,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
        finally:
            self._restoring = False
        if not index.isValid():
            # The selected view is gone (its category was removed): nothing is selected now.
            self._selected_key = None

    def notification_filters(self) -> list[TicketFilter]:
        """The views whose new tickets deserve a notification: Unassigned, Mine, the chosen one."""
        keys = [UNASSIGNED, MINE]
        if self._selected_key is not None:
            keys.append(self._selected_key)
        filters: list[TicketFilter] = []
        for key in keys:
            spec = self.sidebar_model.spec(key)
            wanted = spec.ticket_filter if spec is not None else None
            if wanted is not None and wanted not in filters:
                filters.append(wanted)
        return filters

    def selected_key(self) -> str | None:
        current = self.currentIndex()
        value = current.siblingAtColumn(NAME_COLUMN).data(KeyRole) if current.isValid() else None
        return value if isinstance(value, str) else None
