"""The row above the queue: a search box and which tickets to list (status, priority, ...).

The search box is throttled: the search runs once typing pauses for ``SEARCH_DELAY_MS`` (or at
Enter), not at every keystroke; Esc clears it. The filter controls build a ``TicketFilter``;
the category and agent lists are loaded through ``Op`` and can be reloaded when they change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from crm_desk.core.queries import FilterChoices, TicketFilter, filter_choices
from crm_desk.store.db import Database
from crm_desk.store.models import OPEN_STATUSES, Priority, TicketStatus
from crm_desk.ui import tasks
from crm_desk.ui.labels import priority_label, status_label

SEARCH_DELAY_MS = 250


def _tr(text: str) -> str:
    return QCoreApplication.translate("FilterBar", text)


def _status_choices() -> list[tuple[str, tuple[str, ...]]]:
    # "All open" means what the sidebar's view of that name means: new and open (pending
    # waits for the customer and has its own view); "Not resolved" adds pending.
    all_open = _tr("All open")
    not_resolved = _tr("Not resolved")
    everything = _tr("All")
    single = [(status_label(s), (str(s),)) for s in TicketStatus]
    return [
        (all_open, (str(TicketStatus.NEW), str(TicketStatus.OPEN))),
        (not_resolved, tuple(str(s) for s in OPEN_STATUSES)),
        *single,
        (everything, ()),
    ]


def _priority_choices() -> list[tuple[str, tuple[str, ...]]]:
    single = [(priority_label(p), (str(p),)) for p in reversed(Priority)]  # urgent first
    urgent_or_high = (str(Priority.URGENT), str(Priority.HIGH))
    return [(_tr("Any priority"), ()), (_tr("Urgent or high"), urgent_or_high), *single]


@dataclass(frozen=True)
class _Category:
    """What the category control sets: ``TicketFilter.category_id`` / ``uncategorised``."""

    category_id: int | None = None
    uncategorised: bool = False


@dataclass(frozen=True)
class _Assignee:
    """What the assignee control sets: ``TicketFilter.assignee_id`` / ``unassigned``."""

    assignee_id: int | None = None
    unassigned: bool = False


def _select_set(
    combo: QComboBox,
    choices: list[tuple[str, tuple[str, ...]]],
    standard: int,
    wanted: tuple[str, ...],
    text: str,
) -> None:
    """Select the entry for ``wanted`` (a set of statuses or priorities).

    A set no standard entry offers (a sidebar view's, say) gets one extra entry at the end,
    labelled with its members: shown as it is, never silently widened to "All". Only one
    such entry exists at a time.
    """
    del choices[standard:]
    while combo.count() > standard:
        combo.removeItem(combo.count() - 1)
    for index, (_text, choice) in enumerate(choices):
        if set(choice) == set(wanted):
            combo.setCurrentIndex(index)
            return
    choices.append((text, wanted))
    combo.addItem(text)
    combo.setCurrentIndex(standard)


def _load_choices(db: Database) -> FilterChoices:
    with db.read() as session:
        return filter_choices(session)


class SearchBox(QLineEdit):
    """A line edit where Esc clears the text, or (when already empty) leaves the box."""

    escaped_empty = Signal()

    def event(self, event: QEvent) -> bool:
        # Take Esc before any window shortcut does, so it always reaches keyPressEvent.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        if event.key() == Qt.Key.Key_Escape:
            if self.text():
                self.clear()
            else:
                self.escaped_empty.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class FilterBar(QWidget):
    """Search box and filter controls above the queue.

    Signals: ``search_changed(str)`` once typing pauses (throttled; "" when cleared),
    ``filter_changed(TicketFilter)`` when a control changes, ``statuses_changed(tuple)`` when
    the status control changes, ``search_left()`` at Esc in an empty search box.
    """

    statuses_changed = Signal(tuple)
    filter_changed = Signal(object)  # TicketFilter
    search_changed = Signal(str)
    search_left = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        db: Database | None = None,
        agent_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self._db = db
        self._agent_id = agent_id
        self._base = TicketFilter(statuses=(str(TicketStatus.NEW), str(TicketStatus.OPEN)))
        self._emitted_search = ""
        self._choices = FilterChoices((), ())

        self.search_box = SearchBox(self)
        self.search_box.setObjectName("searchBox")
        self.search_box.setPlaceholderText(self.tr("Search tickets (/)"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setAccessibleName(self.tr("Search tickets"))
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)

        self._statuses = _status_choices()
        self.status_combo = self._combo("statusFilter", [text for text, _ in self._statuses])
        self._priorities = _priority_choices()
        self.priority_combo = self._combo("priorityFilter", [t for t, _ in self._priorities])
        self._categories: list[_Category] = []
        self.category_combo = self._combo("categoryFilter", [])
        self._assignees: list[_Assignee] = []
        self.assignee_combo = self._combo("assigneeFilter", [])
        self._fill_categories()
        self._fill_assignees()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.search_box, 3)
        # No captions: each control's first entry ("Any priority", "Anyone") says what it is,
        # which keeps the row narrow enough for a small window; the name is there for
        # screen readers and as a tooltip.
        for caption, combo in [
            (self.tr("Status"), self.status_combo),
            (self.tr("Priority"), self.priority_combo),
            (self.tr("Category"), self.category_combo),
            (self.tr("Assignee"), self.assignee_combo),
        ]:
            combo.setAccessibleName(caption)
            combo.setToolTip(caption)
            layout.addWidget(combo)
        layout.addStretch(1)

        self.search_box.textChanged.connect(self._search_edited)
        self.search_box.returnPressed.connect(self._emit_search)
        self.search_box.escaped_empty.connect(self.search_left)
        self._search_timer.timeout.connect(self._emit_search)
        self.status_combo.currentIndexChanged.connect(self._status_changed)
        for combo in (self.priority_combo, self.category_combo, self.assignee_combo):
            combo.currentIndexChanged.connect(self._control_changed)
        if db is not None:
            self.reload_choices()

    # --- public API ----------------------------------------------------------------------------

    def statuses(self) -> tuple[str, ...]:
        return self._statuses[self.status_combo.currentIndex()][1]

    def ticket_filter(self) -> TicketFilter:
        """The filter the controls show: the last ``show_filter`` with the controls applied."""
        category = self._categories[max(0, self.category_combo.currentIndex())]
        assignee = self._assignees[max(0, self.assignee_combo.currentIndex())]
        return replace(
            self._base,
            statuses=self.statuses(),
            priorities=self._priorities[self.priority_combo.currentIndex()][1],
            category_id=category.category_id,
            uncategorised=category.uncategorised,
            assignee_id=assignee.assignee_id,
            unassigned=assignee.unassigned,
        )

    def show_filter(self, ticket_filter: TicketFilter) -> None:
        """Make the controls show ``ticket_filter`` (say, a view picked in the sidebar).

        Emits nothing; fields without a control (mailbox, contact) are kept and passed on.
        """
        self._base = ticket_filter
        with (
            QSignalBlocker(self.status_combo),
            QSignalBlocker(self.priority_combo),
            QSignalBlocker(self.category_combo),
            QSignalBlocker(self.assignee_combo),
        ):
            self._select_statuses(ticket_filter.statuses)
            self._select_priorities(ticket_filter.priorities)
            self._fill_categories()
            self._fill_assignees()

    def set_database(self, db: Database) -> None:
        self._db = db
        self.reload_choices()

    def reload_choices(self) -> None:
        """Load the categories and agents again (after one was added or renamed)."""
        if self._db is None:
            return
        db = self._db
        tasks.Op(self, lambda: _load_choices(db)).on_success(self._choices_loaded).start()

    def search_text(self) -> str:
        return self.search_box.text()

    def focus_search(self) -> None:
        """For the "/" shortcut: put the cursor in the search box, text selected."""
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    # --- search --------------------------------------------------------------------------------

    def _search_edited(self, text: str) -> None:
        if not text:
            self._emit_search()  # cleared (Esc, the clear button): back to the list at once
        else:
            self._search_timer.start()  # (re)starts: the search runs when typing pauses

    def _emit_search(self) -> None:
        self._search_timer.stop()
        text = self.search_box.text()
        if text != self._emitted_search:
            self._emitted_search = text
            self.search_changed.emit(text)

    # --- filter controls -----------------------------------------------------------------------

    def _combo(self, name: str, items: Sequence[str]) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.addItems(list(items))
        return combo

    def _status_changed(self, _index: int) -> None:
        self.statuses_changed.emit(self.statuses())
        self._control_changed(_index)

    def _control_changed(self, _index: int) -> None:
        flt = self.ticket_filter()
        self._base = flt
        self.filter_changed.emit(flt)

    def _choices_loaded(self, choices: FilterChoices) -> None:
        self._choices = choices
        with QSignalBlocker(self.category_combo), QSignalBlocker(self.assignee_combo):
            self._fill_categories()
            self._fill_assignees()

    def _select_statuses(self, statuses: tuple[str, ...]) -> None:
        text = ", ".join(status_label(s) for s in statuses)
        _select_set(self.status_combo, self._statuses, len(_status_choices()), statuses, text)

    def _select_priorities(self, priorities: tuple[str, ...]) -> None:
        text = ", ".join(priority_label(p) for p in priorities)
        standard = len(_priority_choices())
        _select_set(self.priority_combo, self._priorities, standard, priorities, text)

    def _fill(self, combo: QComboBox, entries: list[tuple[str, Any]], current: Any) -> list[Any]:
        """Replace the entries, selecting ``current`` (kept as an entry even if unknown)."""
        values = [value for _, value in entries]
        combo.clear()
        combo.addItems([text for text, _ in entries])
        combo.setCurrentIndex(values.index(current) if current in values else 0)
        return values

    def _fill_categories(self) -> None:
        base = self._base
        current = _Category(
            None if base.uncategorised else base.category_id, uncategorised=base.uncategorised
        )
        entries: list[tuple[str, Any]] = [
            (self.tr("Any category"), _Category()),
            (self.tr("Uncategorised"), _Category(uncategorised=True)),
        ]
        entries += [(c.name, _Category(c.id)) for c in self._choices.categories]
        if current not in [value for _, value in entries]:
            # Not loaded yet (or since removed): show the number rather than "Any".
            entries.append((self.tr("Category {}").format(current.category_id), current))
        self._categories = self._fill(self.category_combo, entries, current)

    def _fill_assignees(self) -> None:
        base = self._base
        current = _Assignee(
            None if base.unassigned else base.assignee_id, unassigned=base.unassigned
        )
        entries: list[tuple[str, Any]] = [
            (self.tr("Anyone"), _Assignee()),
            (self.tr("Unassigned"), _Assignee(unassigned=True)),
        ]
        if self._agent_id is not None:
            entries.append((self.tr("Me"), _Assignee(self._agent_id)))
        entries += [
            (a.name, _Assignee(a.id))
            for a in self._choices.agents
            if a.id != self._agent_id  # "Me" already stands for them
        ]
        if current not in [value for _, value in entries]:
            entries.append((self.tr("Agent {}").format(current.assignee_id), current))
        self._assignees = self._fill(self.assignee_combo, entries, current)
