"""The main window: views, the queue, the ticket and the customer beside it, kept live.

It assembles the parts and wires them; each part does its own loading through ``Op``:

    ┌ action bar ─────────────────────────────────────────────────────────┐
    │ sidebar │ filter bar + queue (or quarantine)  │ customer panel       │
    │ (views, │─────────────────────────────────────│ (card, deals,        │
    │ counts) │ presence bar + conversation         │  orders, tickets)    │
    └ status bar: agent · mail sync · count · database ──────────────────┘

The change feed (``ChangeWatcher``) keeps every part current without a manual refresh. This
is also the one place op failures are shown (``tasks.install_error_handler``).
"""

from __future__ import annotations

from PySide6.QtCore import (
    QByteArray,
    QLocale,
    QModelIndex,
    QSettings,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from crm_desk import config
from crm_desk.core import views
from crm_desk.core.changes import FeedItem
from crm_desk.core.queries import TicketFilter, TicketRow, TicketSort
from crm_desk.errors import CrmDeskError
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.actor import Actor
from crm_desk.ui.icons import icon
from crm_desk.ui.live import ChangeWatcher, PresenceReporter
from crm_desk.ui.models.queue_columns import plain_tooltip
from crm_desk.ui.models.queue_model import (
    ALL_SORT_KEYS,
    DEFAULT_PAGE_SIZE,
    Column,
    QueueModel,
    TicketRowRole,
    count_matching,
)
from crm_desk.ui.models.sidebar_model import ViewSpec
from crm_desk.ui.notifications import Notifier
from crm_desk.ui.shortcuts import ShortcutsDialog
from crm_desk.ui.sync_runner import SyncRunner
from crm_desk.ui.views.action_bar import ActionBar
from crm_desk.ui.views.conversation_view import ConversationView
from crm_desk.ui.views.customer_panel import CustomerPanel
from crm_desk.ui.views.filter_bar import FilterBar
from crm_desk.ui.views.presence_bar import PresenceBar
from crm_desk.ui.views.quarantine_view import QuarantineView
from crm_desk.ui.views.queue_view import QueueView
from crm_desk.ui.views.sidebar import Sidebar
from crm_desk.ui.views.sync_status import SyncStatusWidget
from crm_desk.ui.views.workload_view import WorkloadView

ORGANIZATION = "crm-desk"
APPLICATION = "crm-desk"
ERROR_MESSAGE_MS = 15_000
# Holding j or k moves through the queue faster than a ticket loads: open the one it stops on.
OPEN_DELAY_MS = 60
# The sidebar's counts and the filter's lists start this long after the first page landed.
AFTER_FIRST_PAGE_MS = 100
LAYOUT_VERSION = 2  # bump when the splitters change, so an old saved state is not applied
# Feed kinds after which the in-app sync reads its mailboxes again.
MAILBOX_SET_CHANGES = frozenset({"mailbox.added", "mailbox.removed", "mailbox.deactivated"})


def _plain_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # names, URLs and counts are never markup
    return label


class MainWindow(QMainWindow):
    def __init__(
        self,
        db: Database,
        actor: Actor | None = None,
        *,
        settings: QSettings | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        live: bool = True,
        notifications: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self._db = db
        self.actor = actor
        self._settings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)
        self._error_box: QMessageBox | None = None
        self._open_ticket_id: int | None = None
        agent_id = actor.id if actor else None
        is_lead = bool(actor and actor.is_lead)

        # --- the parts ---
        # The first page is the first thing read (the worker runs ops in order): the view the
        # window opens in is known without the sidebar, whose counts are read after it.
        self._start_view = views.MINE if agent_id is not None else views.ALL_OPEN_KIND
        start_filter = (
            TicketFilter(statuses=views.OPEN_ISH, assignee_id=agent_id)
            if agent_id is not None
            else TicketFilter(statuses=views.ALL_OPEN)
        )
        self._is_lead = is_lead
        self.sidebar = Sidebar(db, self)
        # No database yet: its category and agent lists are read after the first page.
        self.filter_bar = FilterBar(self, agent_id=agent_id)
        self.filter_bar.show_filter(start_filter)
        self.model = QueueModel(
            db,
            self,
            page_size=page_size,
            ticket_filter=start_filter,
            sort=self._saved_sort(),
            viewer_id=agent_id,
            sort_keys=ALL_SORT_KEYS,  # every column sorts (the indexed ones fastest)
        )
        self.view = QueueView(self.model, self)
        self.quarantine_view = QuarantineView(db, self)
        self.quarantine_view.set_actor(agent_id)
        self.presence_bar = PresenceBar(db, agent_id, self)
        self.conversation = ConversationView(db, self._settings, self)
        self._update_title()
        self.customer_panel = CustomerPanel(db, self)
        self.customer_panel.set_actor(agent_id)
        self.action_bar = ActionBar(db, self)
        self.action_bar.set_actor(agent_id, is_lead)
        self.watcher = ChangeWatcher(db, self)
        self.presence = PresenceReporter(db, agent_id, self) if agent_id is not None else None
        self.notifier = Notifier(db, self, status_bar=self.statusBar())
        self.notifier.set_enabled(notifications)
        self.workload: WorkloadView | None = None
        self.workload_dock: QDockWidget | None = None

        self._build_layout()
        if is_lead:
            self._build_workload(agent_id)
        self._build_actions()
        self._build_status_bar()
        self.sync_runner = SyncRunner(db, self)
        self.sync_status = SyncStatusWidget(self.sync_runner, self)
        self.statusBar().insertPermanentWidget(1, self.sync_status)
        self._build_mail_menu()
        self._open_timer = QTimer(self)
        self._open_timer.setSingleShot(True)
        self._open_timer.setInterval(OPEN_DELAY_MS)
        self._open_timer.timeout.connect(self._open_current)
        self._wire()

        tasks.install_error_handler(self.show_error, owner=self)
        self._show_busy(self.model.busy)
        self._restore_layout()
        self._sidebar_started = False
        self.view.setFocus()  # j / k work at once; "/" goes to the search box
        if live:
            self.watcher.start()

    # --- building ------------------------------------------------------------------------------

    def _build_layout(self) -> None:
        queue_page = QWidget(self)
        queue_page.setObjectName("queuePage")
        queue_layout = QVBoxLayout(queue_page)
        queue_layout.setContentsMargins(0, 0, 0, 0)
        queue_layout.setSpacing(0)
        queue_layout.addWidget(self.filter_bar)
        queue_layout.addWidget(self.view, 1)
        self.list_stack = QStackedWidget(self)
        self.list_stack.setObjectName("listStack")
        self.list_stack.addWidget(queue_page)
        self.list_stack.addWidget(self.quarantine_view)

        ticket_pane = QWidget(self)
        ticket_pane.setObjectName("ticketPane")
        pane_layout = QVBoxLayout(ticket_pane)
        pane_layout.setContentsMargins(0, 0, 0, 0)
        pane_layout.setSpacing(0)
        pane_layout.addWidget(self.presence_bar)
        pane_layout.addWidget(self.conversation, 1)

        self.work_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.work_splitter.setObjectName("workSplitter")
        self.work_splitter.addWidget(self.list_stack)
        self.work_splitter.addWidget(ticket_pane)
        self.work_splitter.setStretchFactor(0, 2)
        self.work_splitter.setStretchFactor(1, 3)
        self.work_splitter.setSizes([300, 450])

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.sidebar)
        self.main_splitter.addWidget(self.work_splitter)
        self.main_splitter.addWidget(self.customer_panel)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setStretchFactor(2, 0)
        self.main_splitter.setCollapsible(1, False)
        self.main_splitter.setSizes([180, 940, 320])
        self.setCentralWidget(self.main_splitter)

        self.action_bar.setObjectName("actionBar")
        self.action_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.action_bar.setIconSize(QSize(16, 16))
        bar = self.action_bar
        for action, name in (
            (bar.claim_action, "claim"),
            (bar.release_action, "release"),
            (bar.assign_action, "assign"),
            (bar.status_menu.menuAction(), "status"),
            (bar.resolve_action, "resolve"),
            (bar.priority_menu.menuAction(), "priority"),
            (bar.category_menu.menuAction(), "category"),
            (bar.tags_action, "tags"),
            (bar.note_action, "note"),
            (bar.merge_action, "merge"),
        ):
            action.setIcon(icon(name))
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.action_bar)

    def _build_workload(self, agent_id: int | None) -> None:
        self.workload = WorkloadView(self._db, self)
        self.workload.set_actor(agent_id, True)
        dock = QDockWidget(self.tr("Workload"), self)
        dock.setObjectName("workloadDock")
        dock.setWidget(self.workload)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()  # opened from View ▸ Workload (F8)
        self.workload_dock = dock

    def _action(self, text: str, shortcut: str | QKeySequence | None, slot: object) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)  # window-wide, also while the menu bar is hidden
        return action

    def _build_actions(self) -> None:
        self.refresh_action = self._action(
            self.tr("&Refresh"), QKeySequence(Qt.Key.Key_F5), self.refresh
        )
        self.quit_action = self._action(self.tr("&Quit"), "Ctrl+Q", self.close)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.next_action = self._action(
            self.tr("&Next ticket"), "J", lambda: self.move_selection(1)
        )
        self.previous_action = self._action(
            self.tr("&Previous ticket"), "K", lambda: self.move_selection(-1)
        )
        self.search_action = self._action(self.tr("&Search"), "/", self.filter_bar.focus_search)
        self.search_action.setShortcuts([QKeySequence("/"), QKeySequence("Ctrl+F")])
        self.focus_list_action = self._action(self.tr("Go to the &list"), "Ctrl+L", self.focus_list)
        self.next_pane_action = self._action(
            self.tr("Next &pane"), QKeySequence(Qt.Key.Key_F6), lambda: self.cycle_focus(1)
        )
        self.shortcuts_action = self._action(
            self.tr("&Keyboard shortcuts"), "?", self.show_shortcuts
        )
        self.shortcuts_action.setShortcuts([QKeySequence("?"), QKeySequence("Shift+?")])
        self.view_actions: list[QAction] = []
        for number in range(1, 10):
            action = self._action(
                self.tr("View {}").format(number),
                f"Ctrl+{number}",
                lambda _=False, n=number: self.select_view(n - 1),
            )
            self.view_actions.append(action)
        self.action_bar.install_default_shortcuts()
        self.addAction(self.action_bar.status_popup_action)  # "S" works from the list too
        self.category_popup_action = self._action(
            self.tr("Set &category…"), "G", lambda: self._popup(self.action_bar.category_menu)
        )
        self.priority_popup_action = self._action(
            self.tr("Set &priority…"), "P", lambda: self._popup(self.action_bar.priority_menu)
        )

        self.settings_action = self._action(self.tr("&Settings…"), "Ctrl+,", self.show_settings)
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu(self.tr("&View"))
        for action in (self.refresh_action, self.search_action, self.focus_list_action):
            view_menu.addAction(action)
        view_menu.addAction(self.next_pane_action)
        view_menu.addSeparator()
        view_menu.addActions([self.next_action, self.previous_action])
        if self.workload_dock is not None:
            toggle = self.workload_dock.toggleViewAction()
            toggle.setText(self.tr("&Workload"))
            toggle.setShortcut(QKeySequence(Qt.Key.Key_F8))
            self.addAction(toggle)
            view_menu.addSeparator()
            view_menu.addAction(toggle)
        self.ticket_menu = self.menuBar().addMenu(self.tr("&Ticket"))
        bar = self.action_bar
        for action in (bar.claim_action, bar.release_action, bar.assign_action):
            self.ticket_menu.addAction(action)
        self.ticket_menu.addSeparator()
        for menu in (bar.status_menu, bar.priority_menu, bar.category_menu):
            self.ticket_menu.addMenu(menu)
        self.ticket_menu.addActions(
            [bar.status_popup_action, self.category_popup_action, self.priority_popup_action]
        )
        self.ticket_menu.addActions([bar.resolve_action, bar.tags_action])
        self.ticket_menu.addSeparator()
        self.ticket_menu.addActions([bar.note_action, bar.merge_action])
        self.help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.help_menu.addAction(self.shortcuts_action)

    def _build_mail_menu(self) -> None:
        mail_menu = QMenu(self.tr("&Mail"), self)
        self.menuBar().insertMenu(self.help_menu.menuAction(), mail_menu)
        for action in (
            self.sync_status.start_action,
            self.sync_status.stop_action,
            self.sync_status.sync_now_action,
        ):
            mail_menu.addAction(action)
        self.sync_status.sync_now_action.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self.addAction(self.sync_status.sync_now_action)

    def _build_status_bar(self) -> None:
        self.agent_label = _plain_label(self, "agentLabel")
        if self.actor is not None:
            self.agent_label.setText(self.actor.name)
            self.agent_label.setToolTip(
                plain_tooltip(f"{self.actor.name} <{self.actor.email}>") or ""
            )
        else:
            self.agent_label.setText(self.tr("No agent profile: read only"))
        self.count_label = _plain_label(self, "countLabel")
        self.database_label = _plain_label(self, "databaseLabel")
        self.database_label.setText(self._db.describe())
        bar = self.statusBar()
        bar.addPermanentWidget(self.agent_label)
        bar.addPermanentWidget(self.count_label)
        bar.addPermanentWidget(self.database_label)

    def _wire(self) -> None:
        # Views and filters.
        self.sidebar.view_selected.connect(self._show_view)
        self.sidebar.counts_loaded.connect(self._update_notification_views)
        self.filter_bar.filter_changed.connect(self._filter_changed)
        self.filter_bar.search_changed.connect(self.model.set_search)
        self.filter_bar.search_left.connect(self.focus_list)
        # The queue.
        self.model.busy_changed.connect(self._show_busy)
        self.model.loaded.connect(self._queue_loaded)
        self.model.dataChanged.connect(self._selected_rows_changed)
        selection = self.view.selectionModel()
        selection.currentRowChanged.connect(self._current_row_changed)
        selection.selectionChanged.connect(self._selected_rows_changed)
        self.view.activated.connect(lambda _index: self.focus_conversation())
        # Writes: refresh what changed, and tell the feed to look now.
        self.action_bar.changed.connect(self._after_write)
        self.action_bar.failed.connect(self._show_refusal)
        self.customer_panel.open_ticket_requested.connect(self.open_ticket)
        self.customer_panel.contact_changed.connect(lambda _id: self._after_write([]))
        self.conversation.loaded.connect(lambda _id: self._update_title())
        self.conversation.status_message.connect(
            lambda text: self.statusBar().showMessage(text, ERROR_MESSAGE_MS)
        )
        self.quarantine_view.ticket_created.connect(self._after_write_one)
        self.quarantine_view.ticket_activated.connect(self.open_ticket)
        self.quarantine_view.failed.connect(self._show_refusal)
        self.quarantine_view.changed.connect(self.sidebar.refresh)
        if self.workload is not None:
            self.workload.changed.connect(self._after_write)
            self.workload.failed.connect(self._show_refusal)
            self.workload.ticket_activated.connect(self.open_ticket)
        # Live updates from other desktops, the sync service and the web form.
        self.watcher.tickets_changed.connect(self._tickets_changed)
        self.watcher.contacts_changed.connect(self._contacts_changed)
        self.watcher.presence_changed.connect(self.presence_bar.on_presence_changed)
        self.watcher.counts_stale.connect(self.sidebar.refresh)
        self.watcher.tickets_created.connect(self.notifier.on_tickets_created)
        self.notifier.open_ticket.connect(self._open_from_notification)
        self.watcher.changes_arrived.connect(self._restart_sync_if_mailboxes_changed)

    # --- views and the queue -------------------------------------------------------------------

    def _show_view(self, spec: ViewSpec) -> None:
        if spec.is_quarantine:
            self.list_stack.setCurrentWidget(self.quarantine_view)
            self.quarantine_view.refresh()
            return
        self.list_stack.setCurrentIndex(0)
        if spec.ticket_filter is not None:
            self.filter_bar.show_filter(spec.ticket_filter)
            self.model.set_filter(spec.ticket_filter)
        self._update_notification_views()

    def _filter_changed(self, ticket_filter: TicketFilter) -> None:
        self.model.set_filter(ticket_filter)

    def _update_notification_views(self, *_: object) -> None:
        self.notifier.set_views(self.sidebar.notification_filters())

    def select_view(self, position: int) -> None:
        keys = self.sidebar.view_keys()
        if 0 <= position < len(keys):
            self.sidebar.select_key(keys[position])

    def refresh(self) -> None:
        self.model.refresh()  # the count follows when the rows land (``loaded``)
        self.sidebar.refresh()
        if self._open_ticket_id is not None:
            self.conversation.reload()
            self.customer_panel.reload()

    def _selected_rows(self) -> list[TicketRow]:
        rows = []
        for index in self.view.selectionModel().selectedRows():
            row = index.data(TicketRowRole)
            if isinstance(row, TicketRow):
                rows.append(row)
        return rows

    def _selected_rows_changed(self, *_: object) -> None:
        """Tell the actions what is selected, also when the same rows got new data (another
        desktop claimed one): the action bar decides from the rows' owners and versions."""
        rows = self._selected_rows()
        self.action_bar.set_tickets(rows)
        if self.workload is not None:
            self.workload.set_tickets(rows)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._open_timer.start()

    def _open_current(self) -> None:
        row = self.view.currentIndex().data(TicketRowRole)
        if isinstance(row, TicketRow) and row.id != self._open_ticket_id:
            self.show_ticket(row.id)

    def show_ticket(self, ticket_id: int | None) -> None:
        """Show one ticket in the pane and the customer panel (whether or not it is listed)."""
        self._open_ticket_id = ticket_id
        self._update_title()
        self.conversation.show_ticket(ticket_id)
        self.customer_panel.show_ticket(ticket_id)
        self.presence_bar.show_ticket(ticket_id)
        if self.presence is not None:
            self.presence.set_viewing(ticket_id)
        if ticket_id is not None and self.actor is not None:
            self.model.mark_read(ticket_id)

    def _update_title(self) -> None:
        """The open ticket and the database; a window title is always plain text."""
        base = self.tr("crm-desk — {}").format(self._db.describe())
        loaded = self.conversation.conversation
        if loaded is not None and loaded.ticket_id == self._open_ticket_id:
            base = f"#{loaded.ticket_id} {loaded.subject} — {base}"
        self.setWindowTitle(base)

    def open_ticket(self, ticket_id: int) -> None:
        """Select the ticket in the list if it is there; show it in any case."""
        self.list_stack.setCurrentIndex(0)
        index = self.model.index_of(ticket_id)
        if index.isValid():
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)
        self.show_ticket(ticket_id)

    def _open_from_notification(self, ticket_id: int) -> None:
        self.open_ticket(ticket_id)
        if not self.isActiveWindow():
            self.showNormal()
            self.raise_()
            self.activateWindow()

    def move_selection(self, step: int) -> None:
        if self.list_stack.currentIndex() != 0:
            return
        current = self.view.currentIndex()
        row = current.row() + step if current.isValid() else 0
        if row >= self.model.rowCount() and self.model.canFetchMore(QModelIndex()):
            self.model.fetchMore(QModelIndex())
        row = max(0, min(row, self.model.rowCount() - 1))
        if self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(row, Column.SUBJECT))
            self.view.scrollTo(self.view.currentIndex())

    def _start_secondary_loads(self) -> None:
        self.sidebar.set_actor(self.actor.id if self.actor else None, self._is_lead)
        if self.sidebar.selected_key() is None and self.sidebar.wanted_key() is None:
            self.sidebar.select_key(self._start_view)
        self.filter_bar.set_database(self._db)

    def _popup(self, menu: QMenu) -> None:
        """A choice menu at the current ticket's row, for the keyboard."""
        if not menu.isEnabled() or not any(a.isEnabled() for a in menu.actions()):
            return
        rect = self.view.visualRect(self.view.currentIndex())
        anchor = rect.bottomLeft() if rect.isValid() else self.view.rect().topLeft()
        menu.popup(self.view.viewport().mapToGlobal(anchor))
        active = next((a for a in menu.actions() if a.isChecked()), None)
        if active is not None:
            menu.setActiveAction(active)

    def _queue_loaded(self) -> None:
        if not self._sidebar_started:
            # The counts read the whole queue, and the filter lists the agents: both wait until
            # the first page has been painted, so they do not compete with it.
            self._sidebar_started = True
            QTimer.singleShot(AFTER_FIRST_PAGE_MS, self._start_secondary_loads)
        self._update_count()
        self._selected_rows_changed()
        # A refresh may move the open ticket (sorted by last update, it jumps to the top):
        # follow it by id, so the selection stays on the ticket, not on the row number.
        ticket_id = self._open_ticket_id
        if ticket_id is None or self.list_stack.currentIndex() != 0:
            return
        current = self.view.currentIndex().data(TicketRowRole)
        if isinstance(current, TicketRow) and current.id == ticket_id:
            return
        index = self.model.index_of(ticket_id)
        if index.isValid() and self.view.currentIndex().isValid():
            self.view.setCurrentIndex(index)  # the same ticket: ``_open_current`` does nothing

    # --- writes and live updates ---------------------------------------------------------------

    def _after_write(self, ticket_ids: list[int]) -> None:
        self.model.refresh()
        self.sidebar.refresh()
        if self._open_ticket_id in ticket_ids:
            self.conversation.reload()
            self.customer_panel.reload()
        if self.workload is not None and self.workload.isVisible():
            self.workload.refresh()
        self.watcher.poll_now()

    def _after_write_one(self, ticket_id: int) -> None:
        self._after_write([ticket_id])

    def _tickets_changed(self, ticket_ids: list[int]) -> None:
        self.model.refresh()
        if self._open_ticket_id in ticket_ids:
            self.conversation.reload()
            self.customer_panel.reload()
        if self.workload is not None and self.workload.isVisible():
            self.workload.refresh()

    def _contacts_changed(self, contact_ids: list[int]) -> None:
        history = self.customer_panel.history
        if history is not None and history.contact.id in contact_ids:
            self.customer_panel.reload()

    def _restart_sync_if_mailboxes_changed(self, items: list[FeedItem]) -> None:
        # Never on "mailbox.sync_error": the sync writes that itself, and would restart forever.
        if self.sync_runner.running and any(i.kind in MAILBOX_SET_CHANGES for i in items):
            self.sync_runner.restart()

    def _show_refusal(self, message: str) -> None:
        self.statusBar().showMessage(message, ERROR_MESSAGE_MS)

    # --- focus ---------------------------------------------------------------------------------

    def focus_list(self) -> None:
        widget = self.list_stack.currentWidget()
        (self.view if widget is not self.quarantine_view else widget).setFocus()

    def focus_conversation(self) -> None:
        self._open_timer.stop()
        self._open_current()
        self.conversation.setFocus()
        self.conversation.focusNextChild()

    def cycle_focus(self, step: int) -> None:
        panes: list[QWidget] = [self.sidebar, self.list_stack, self.conversation]
        panes.append(self.customer_panel)
        focused = self.focusWidget()
        position = next(
            (i for i, pane in enumerate(panes) if focused and pane.isAncestorOf(focused)), -1
        )
        target = panes[(position + step) % len(panes)]
        if target is self.list_stack:
            self.focus_list()
        else:
            target.setFocus()
            if not target.hasFocus():
                target.focusNextChild()

    def show_settings(self) -> None:
        # Imported on first use: the dialog brings the schema tools and the keyring along.
        from crm_desk.ui.dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(config.Config(), self._db, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._settings_saved)
        dialog.open()

    def _settings_saved(self, keys: list[str]) -> None:
        from crm_desk.ui.dialogs.settings_dialog import needs_restart

        if "notifications" in keys:
            self.notifier.set_enabled(bool(config.Config().get("notifications")))
        if needs_restart(keys):
            self.statusBar().showMessage(self.tr("Restart crm-desk to apply the new settings."))

    def show_shortcuts(self) -> None:
        groups = [
            (menu.title(), menu.actions()) for menu in (self.ticket_menu, *self._other_menus())
        ]
        groups.append((self.tr("Views"), self.view_actions[: len(self.sidebar.view_keys())]))
        dialog = ShortcutsDialog(groups, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _other_menus(self) -> list[QMenu]:
        menus: list[QMenu] = []
        for action in self.menuBar().actions():
            menu = action.menu()
            if isinstance(menu, QMenu) and menu is not self.ticket_menu:
                menus.append(menu)
        return menus

    # --- status bar ----------------------------------------------------------------------------

    def _show_busy(self, busy: bool) -> None:
        if busy and self.model.rowCount() == 0:
            self.count_label.setText(self.tr("Loading…"))

    def _update_count(self) -> None:
        query, db = self.model.query, self._db

        def show(count: int) -> None:
            if query != self.model.query:
                return  # the filter or the search changed meanwhile; its count is on the way
            number = QLocale().toString(count)
            if query.search:
                text = self.tr("{} found").format(number)
            elif count == 1:
                text = self.tr("1 ticket")
            else:
                text = self.tr("{} tickets").format(number)
            self.count_label.setText(text)

        tasks.Op(self, lambda: count_matching(db, query)).on_success(show).start()

    def show_error(self, exc: BaseException) -> None:
        """The one place op failures are shown: the status bar, with details if unexpected."""
        message = tasks.describe_error(exc)
        self.statusBar().showMessage(message, ERROR_MESSAGE_MS)
        if isinstance(exc, CrmDeskError):
            return
        # One reusable box: a dead database fails every op, and one box is enough to say so.
        if self._error_box is None:
            box = QMessageBox(self)
            box.setObjectName("errorBox")
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle(self.tr("crm-desk: unexpected error"))
            box.setTextFormat(Qt.TextFormat.PlainText)  # messages quote data from outside
            self._error_box = box
        self._error_box.setText(message)
        self._error_box.setDetailedText(tasks.error_details(exc))
        self._error_box.open()

    # --- settings ------------------------------------------------------------------------------

    def _saved_sort(self) -> TicketSort:
        key = str(self._settings.value("queue/sort_key", "updated"))
        descending = self._settings.value("queue/sort_descending", True, type=bool)
        return TicketSort(key if key in ALL_SORT_KEYS.values() else "updated", bool(descending))

    def _restore_layout(self) -> None:
        geometry = self._settings.value("main_window/geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(1440, 860)
        if self._settings.value("main_window/layout_version", 0, type=int) == LAYOUT_VERSION:
            for splitter in (self.main_splitter, self.work_splitter):
                state = self._settings.value(f"main_window/{splitter.objectName()}")
                if isinstance(state, QByteArray):
                    splitter.restoreState(state)
            state = self._settings.value("main_window/state")
            if isinstance(state, QByteArray):
                self.restoreState(state, LAYOUT_VERSION)
        header = self.view.horizontalHeader()
        state = self._settings.value("queue/header_state")
        # A header saved with another set of columns would put widths on the wrong columns.
        columns = self._settings.value("queue/header_columns", 0, type=int)
        if isinstance(state, QByteArray) and columns == len(Column):
            header.restoreState(state)
            self.view.restore_sort_indicator()

    def _save_layout(self) -> None:
        settings = self._settings
        settings.setValue("main_window/geometry", self.saveGeometry())
        settings.setValue("main_window/state", self.saveState(LAYOUT_VERSION))
        settings.setValue("main_window/layout_version", LAYOUT_VERSION)
        for splitter in (self.main_splitter, self.work_splitter):
            settings.setValue(f"main_window/{splitter.objectName()}", splitter.saveState())
        settings.setValue("queue/header_state", self.view.horizontalHeader().saveState())
        settings.setValue("queue/header_columns", len(Column))
        settings.setValue("queue/sort_key", self.model.ticket_sort.key)
        settings.setValue("queue/sort_descending", self.model.ticket_sort.descending)
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's name
        self._save_layout()
        self.watcher.stop()
        self.sync_runner.stop()  # returns at once; run_gui waits for the workers after exec
        if self.presence is not None:
            self.presence.leave()
        super().closeEvent(event)
