"""The action bar over the queue: claim, release, assign, status, priority, category, tags,
note, merge, for the tickets selected.

Every command is a ``QAction`` (attributes ``claim_action`` …) so the main window can also put
them in menus and give them shortcuts (``install_default_shortcuts`` sets the issue's keys).
``set_actor`` and ``set_tickets`` decide what is shown and enabled: an action a role may
never use is hidden, one the selection does not allow right now is disabled. The services
check again anyway.

Each command runs the service in an ``Op`` with the version of each row as it was shown, so
an edit on a ticket that moved on is refused ("changed by X") rather than overwriting it.
Afterwards ``changed`` carries the ticket ids (the view refreshes them), success or not; a
refusal also goes out as ``failed`` with a one-line message for the main window to show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

from PySide6.QtCore import QLocale, QPoint, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QToolBar, QToolButton, QWidget
from sqlalchemy.orm import Session

from crm_desk.core import agents, categories, tickets
from crm_desk.core.queries import TicketRow
from crm_desk.errors import CrmDeskError
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Priority, Ticket, TicketStatus
from crm_desk.ui import tasks
from crm_desk.ui.dialogs.assign_dialog import AgentChoice, AssignDialog
from crm_desk.ui.dialogs.merge_dialog import MergeDialog
from crm_desk.ui.dialogs.note_dialog import NoteDialog
from crm_desk.ui.dialogs.tags_dialog import TagsDialog
from crm_desk.ui.labels import priority_label, status_label

# What "Status" offers: a ticket becomes "new" only by arriving.
STATUS_CHOICES = (
    TicketStatus.OPEN,
    TicketStatus.PENDING,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
)
Work = Callable[[Session, Agent], None]


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    name: str
    name_en: str | None

    def label(self) -> str:
        japanese = QLocale().language() == QLocale.Language.Japanese
        return self.name if japanese or not self.name_en else self.name_en


@dataclass(frozen=True)
class Choices:
    agents: tuple[AgentChoice, ...]
    categories: tuple[CategoryChoice, ...]


@dataclass(frozen=True)
class _After:
    """A ticket as the write left it: enough for the bar's next decision and version."""

    version: int
    status: str
    priority: str
    assignee_id: int | None
    assignee_name: str | None
    assignee_email: str | None


def load_choices(db: Database) -> Choices:
    """Runs on the worker: the active agents and the categories, as plain values."""
    with db.read() as session:
        people = tuple(
            AgentChoice(a.id, a.name, a.email, a.role)
            for a in agents.list_agents(session, include_inactive=False)
        )
        kinds = tuple(
            CategoryChoice(c.id, c.name, c.name_en) for c in categories.list_categories(session)
        )
    return Choices(people, kinds)


def _run_work(db: Database, agent_id: int, ticket_ids: list[int], work: Work) -> dict[int, _After]:
    """Runs on the worker: one transaction for the whole command."""
    with db.write() as session:
        work(session, agents.by_id(session, agent_id))
        after: dict[int, _After] = {}
        for ticket_id in ticket_ids:
            ticket = session.get(Ticket, ticket_id)
            if ticket is not None:
                owner = ticket.assignee
                after[ticket_id] = _After(
                    ticket.version,
                    ticket.status,
                    ticket.priority,
                    ticket.assignee_id,
                    owner.name if owner else None,
                    owner.email if owner else None,
                )
    return after


def _read_tags(db: Database, ticket_id: int) -> list[str]:
    with db.read() as session:
        return list(tickets.get(session, ticket_id).tags or [])


class ActionBar(QToolBar):
    changed = Signal(list)  # ticket ids written (or refused): refresh them
    failed = Signal(str)  # a refusal to show: "claimed by X", "changed by X", not allowed …
    busy_changed = Signal(bool)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("actionBar")
        self.setWindowTitle(self.tr("Ticket actions"))
        self.setMovable(False)
        self._db = db
        self._agent_id: int | None = None
        self._is_lead = False
        self._rows: list[TicketRow] = []
        self._busy = False
        self._choices = Choices((), ())
        self.open_dialog: QDialog | None = None  # the dialog in progress, for tests and focus

        self.claim_action = self._action(self.tr("&Claim"), self.claim)
        self.release_action = self._action(self.tr("&Release"), self.release)
        self.assign_action = self._action(self.tr("&Assign…"), self.assign)
        self.resolve_action = self._action(
            self.tr("R&esolve"), lambda: self.set_status(TicketStatus.RESOLVED)
        )
        self.tags_action = self._action(self.tr("&Tags…"), self.edit_tags)
        self.note_action = self._action(self.tr("&Note…"), self.add_note)
        self.merge_action = self._action(self.tr("&Merge…"), self.merge)

        self.status_menu = QMenu(self.tr("&Status"), self)
        self.status_menu.setObjectName("statusMenu")
        self.status_actions = self._choice_menu(
            self.status_menu,
            [(status, status_label(status)) for status in STATUS_CHOICES],
            self.set_status,
        )
        self.priority_menu = QMenu(self.tr("&Priority"), self)
        self.priority_menu.setObjectName("priorityMenu")
        self.priority_actions = self._choice_menu(
            self.priority_menu,
            [(priority, priority_label(priority)) for priority in reversed(Priority)],
            self.set_priority,
        )
        self.category_menu = QMenu(self.tr("Cate&gory"), self)
        self.category_menu.setObjectName("categoryMenu")
        self.category_actions: dict[int | None, QAction] = {}
        self._fill_category_menu()

        # For a keyboard shortcut that opens a menu (the main window adds them to itself).
        self.status_popup_action = self._action(self.tr("Status…"), self.popup_status_menu)

        for action in (self.claim_action, self.release_action, self.assign_action):
            self.addAction(action)
        self.addSeparator()
        self._add_menu(self.status_menu)
        self.addAction(self.resolve_action)
        self._add_menu(self.priority_menu)
        self._add_menu(self.category_menu)
        self.addAction(self.tags_action)
        self.addSeparator()
        self.addAction(self.note_action)
        self.addAction(self.merge_action)
        self._update()

    # --- building ------------------------------------------------------------------------------

    def _action(self, text: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _choice_menu(
        self, menu: QMenu, choices: list[tuple[str, str]], slot: Callable[[str], None]
    ) -> dict[str, QAction]:
        group = QActionGroup(menu)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        actions: dict[str, QAction] = {}
        for value, text in choices:
            action = menu.addAction(text)
            action.setCheckable(True)
            group.addAction(action)
            action.triggered.connect(lambda _checked=False, v=value: slot(v))
            actions[value] = action
        return actions

    def _add_menu(self, menu: QMenu) -> None:
        self.addAction(menu.menuAction())
        button = self.widgetForAction(menu.menuAction())
        if isinstance(button, QToolButton):
            button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

    def _fill_category_menu(self) -> None:
        self.category_menu.clear()
        group = QActionGroup(self.category_menu)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        entries: list[tuple[int | None, str]] = [(None, self.tr("No category"))]
        entries += [(c.id, c.label()) for c in self._choices.categories]
        self.category_actions = {}
        for category_id, text in entries:
            # A menu item reads "&" as a mnemonic marker: "Orders & delivery" needs "&&".
            action = self.category_menu.addAction(text.replace("&", "&&"))
            action.setCheckable(True)
            group.addAction(action)
            action.triggered.connect(lambda _checked=False, c=category_id: self.set_category(c))
            self.category_actions[category_id] = action
            if category_id is None and self._choices.categories:
                self.category_menu.addSeparator()

    def install_default_shortcuts(self) -> None:
        """The issue's keys: c claim, a assign, n note, e resolve, s status."""
        self.claim_action.setShortcut(QKeySequence("C"))
        self.assign_action.setShortcut(QKeySequence("A"))
        self.note_action.setShortcut(QKeySequence("N"))
        self.resolve_action.setShortcut(QKeySequence("E"))
        self.status_popup_action.setShortcut(QKeySequence("S"))

    # --- state ---------------------------------------------------------------------------------

    def set_actor(self, agent_id: int | None, is_lead: bool) -> None:
        """Who acts; None disables everything (no profile yet). Reloads the choices."""
        self._agent_id, self._is_lead = agent_id, is_lead
        self._update()
        self.reload_choices()

    def set_tickets(self, rows: Sequence[TicketRow]) -> None:
        """The selection, as the queue shows it (versions included).

        A row the bar itself has moved past (its own write raised the version, and the queue
        still shows the older snapshot) keeps the bar's newer copy: the next command must not
        be refused as stale before the queue has refreshed.
        """
        known = {row.id: row for row in self._rows}
        self._rows = [
            known[row.id] if row.id in known and known[row.id].version > row.version else row
            for row in rows
        ]
        self._update()

    def selected_rows(self) -> list[TicketRow]:
        return list(self._rows)

    @property
    def busy(self) -> bool:
        return self._busy

    def reload_choices(self) -> None:
        """Re-read agents and categories (after the team or the categories changed)."""
        db = self._db
        tasks.Op(self, lambda: load_choices(db)).on_success(self._apply_choices).start()

    def _apply_choices(self, choices: Choices) -> None:
        self._choices = choices
        self._fill_category_menu()
        self._update()

    def _mine(self, row: TicketRow) -> bool:
        return row.assignee_id is not None and row.assignee_id == self._agent_id

    def _editable(self, row: TicketRow) -> bool:
        return self._is_lead or row.assignee_id is None or self._mine(row)

    def _update(self) -> None:
        rows, ready = self._rows, self._agent_id is not None and not self._busy
        any_rows = ready and bool(rows)
        one = ready and len(rows) == 1
        editable = any_rows and all(self._editable(row) for row in rows)
        self.claim_action.setEnabled(any_rows and any(r.assignee_id is None for r in rows))
        self.release_action.setEnabled(
            any_rows
            and any(r.assignee_id is not None and (self._mine(r) or self._is_lead) for r in rows)
        )
        # An agent may only hand tickets to themselves or back to the queue: the action is
        # hidden wherever it would mean moving someone else's ticket.
        self.assign_action.setVisible(
            self._is_lead or all(r.assignee_id is None or self._mine(r) for r in rows)
        )
        self.assign_action.setEnabled(any_rows and (self._is_lead or editable))
        for action in (self.status_menu.menuAction(), self.priority_menu.menuAction()):
            action.setEnabled(editable)
        self.category_menu.menuAction().setEnabled(editable)
        self.resolve_action.setEnabled(
            editable and any(r.status != TicketStatus.RESOLVED for r in rows)
        )
        self.status_popup_action.setEnabled(editable)
        self.tags_action.setEnabled(editable and one)
        self.note_action.setEnabled(one)
        self.merge_action.setEnabled(editable and one)
        self._check_current(self.status_actions, {r.status for r in rows})
        self._check_current(self.priority_actions, {r.priority for r in rows})
        shown = {r.category for r in rows}
        names = {c.id: c.name for c in self._choices.categories}
        for key, action in self.category_actions.items():
            name = names.get(key) if key is not None else None
            action.setChecked(len(shown) == 1 and name in shown)
        reason = self._why_not_editable()
        for action in (
            self.status_menu.menuAction(),
            self.resolve_action,
            self.priority_menu.menuAction(),
            self.category_menu.menuAction(),
            self.tags_action,
            self.merge_action,
        ):
            action.setToolTip(reason or action.text().replace("&", ""))

    @staticmethod
    def _check_current(actions: dict[str, QAction], values: set[str]) -> None:
        for value, action in actions.items():
            action.setChecked(len(values) == 1 and value in values)

    def _why_not_editable(self) -> str:
        for row in self._rows:
            if self._agent_id is not None and not self._editable(row):
                owner = row.assignee_name or row.assignee_email or ""
                return self.tr("#{} is claimed by {}; only they or a lead may change it").format(
                    row.id, owner
                )
        return ""

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self._update()
            self.busy_changed.emit(busy)

    # --- running a command ---------------------------------------------------------------------

    def _run(self, rows: Sequence[TicketRow], work: Work, extra_ids: Sequence[int] = ()) -> None:
        if self._agent_id is None or self._busy or not rows:
            return
        ids = [row.id for row in rows] + [i for i in extra_ids if i not in {r.id for r in rows}]
        db, agent_id = self._db, self._agent_id
        self._set_busy(True)
        tasks.Op(self, lambda: _run_work(db, agent_id, ids, work)).on_success(
            lambda after: self._succeeded(ids, after)
        ).on_failure(lambda exc: self._failed(ids, exc)).start()

    def _succeeded(self, ids: list[int], after: dict[int, _After]) -> None:
        # The rows now carry the versions this write left, so the next command on the same
        # selection is not refused as stale before the queue has refreshed.
        self._rows = [
            replace(row, **asdict(after[row.id])) if row.id in after else row for row in self._rows
        ]
        self._set_busy(False)
        self.changed.emit(ids)

    def _failed(self, ids: list[int], exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, CrmDeskError):
            self.failed.emit(tasks.describe_error(exc))
        else:
            tasks.report_error(exc)
        self.changed.emit(ids)  # whatever happened, what is shown may be out of date

    # --- commands ------------------------------------------------------------------------------

    def claim(self) -> None:
        rows = [row for row in self._rows if row.assignee_id is None]

        def work(session: Session, actor: Agent) -> None:
            for row in rows:
                tickets.claim(session, actor, row.id, expected_version=row.version)

        self._run(rows, work)

    def release(self) -> None:
        rows = [
            row
            for row in self._rows
            if row.assignee_id is not None and (self._mine(row) or self._is_lead)
        ]

        def work(session: Session, actor: Agent) -> None:
            for row in rows:
                tickets.release(session, actor, row.id, expected_version=row.version)

        self._run(rows, work)

    def assign(self) -> None:
        if not self.assign_action.isEnabled() or not self.assign_action.isVisible():
            return
        rows = list(self._rows)
        if self._is_lead:
            choices = list(self._choices.agents)
        else:
            choices = [a for a in self._choices.agents if a.id == self._agent_id]
        owners = {row.assignee_id for row in rows}
        dialog = AssignDialog(
            choices,
            self,
            ticket_count=len(rows),
            current_assignee_id=owners.pop() if len(owners) == 1 else None,
        )
        self._open(dialog, lambda: self.assign_to(dialog.chosen_agent_id(), rows))

    def assign_to(self, agent_id: int | None, rows: Sequence[TicketRow] | None = None) -> None:
        """Assign the given rows (default: the selection) to ``agent_id`` (None: the queue)."""
        chosen = list(self._rows if rows is None else rows)
        versions = {row.id: row.version for row in chosen}
        lead = self._is_lead

        def work(session: Session, actor: Agent) -> None:
            if lead:
                tickets.bulk_assign(
                    session, actor, list(versions), agent_id, expected_versions=versions
                )
                return
            for ticket_id, version in versions.items():
                tickets.assign(session, actor, ticket_id, agent_id, expected_version=version)

        self._run(chosen, work)

    def set_status(self, status: str) -> None:
        self._edit(tickets.TicketEdit(status=status))

    def set_priority(self, priority: str) -> None:
        self._edit(tickets.TicketEdit(priority=priority))

    def set_category(self, category_id: int | None) -> None:
        self._edit(tickets.TicketEdit(category_id=category_id, clear_category=category_id is None))

    def _edit(self, edit: tickets.TicketEdit) -> None:
        rows = list(self._rows)
        if not rows or not all(self._editable(row) for row in rows):
            self._update()  # puts the menus' check marks back
            return

        def work(session: Session, actor: Agent) -> None:
            for row in rows:
                tickets.update_ticket(session, actor, row.id, edit, expected_version=row.version)

        self._run(rows, work)

    def edit_tags(self) -> None:
        if not self.tags_action.isEnabled():
            return
        row, db = self._rows[0], self._db

        def show(tags: list[str]) -> None:
            dialog = TagsDialog(row.id, tags, self)
            self._open(dialog, lambda: self._save_tags(row, dialog.tags()))

        tasks.Op(self, lambda: _read_tags(db, row.id)).on_success(show).on_failure(
            lambda exc: self._failed([row.id], exc)
        ).start()

    def _save_tags(self, row: TicketRow, tags: list[str]) -> None:
        def work(session: Session, actor: Agent) -> None:
            tickets.set_tags(session, actor, row.id, tags, expected_version=row.version)

        self._run([row], work)

    def add_note(self) -> None:
        if not self.note_action.isEnabled():
            return
        row = self._rows[0]
        dialog = NoteDialog(row.id, row.subject, self)
        self._open(dialog, lambda: self._save_note(row, dialog.note_text()))

    def _save_note(self, row: TicketRow, text: str) -> None:
        def work(session: Session, actor: Agent) -> None:
            tickets.add_note(session, actor, row.id, text)

        self._run([row], work)

    def merge(self) -> None:
        if not self.merge_action.isEnabled():
            return
        row = self._rows[0]
        dialog = MergeDialog(self._db, row.id, row.subject, self)
        self._open(dialog, lambda: self._merge_into(row, dialog.target_id()))

    def _merge_into(self, row: TicketRow, target_id: int) -> None:
        def work(session: Session, actor: Agent) -> None:
            tickets.merge(session, actor, row.id, target_id, expected_version=row.version)

        self._run([row], work, extra_ids=[target_id])

    def popup_status_menu(self) -> None:
        if not self.status_popup_action.isEnabled():
            return
        button = self.widgetForAction(self.status_menu.menuAction())
        anchor = button if button is not None and button.isVisible() else self
        self.status_menu.popup(anchor.mapToGlobal(QPoint(0, anchor.height())))

    def _open(self, dialog: QDialog, on_accept: Callable[[], None]) -> None:
        """Show ``dialog`` window-modal without blocking; run ``on_accept`` if accepted."""
        if self.open_dialog is not None:
            self.open_dialog.reject()

        def finished(result: int) -> None:
            if self.open_dialog is dialog:
                self.open_dialog = None
            if result == QDialog.DialogCode.Accepted:
                on_accept()
            dialog.deleteLater()

        self.open_dialog = dialog
        dialog.finished.connect(finished)
        dialog.open()
