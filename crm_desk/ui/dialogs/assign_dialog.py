"""Pick who gets the selected tickets: type to filter, arrows to move, Enter to assign.

The choices arrive as plain values (``AgentChoice``) loaded by the caller through an ``Op``;
the dialog itself never reads the database. "Nobody" (back to the unassigned queue) is the
first choice when the caller allows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

# The agent id behind a row (None: back to the queue), and the text the filter matches.
AgentIdRole = int(Qt.ItemDataRole.UserRole) + 1
_SEARCH_ROLE = int(Qt.ItemDataRole.UserRole) + 2
_NOBODY = -1  # a QStandardItem cannot hold None in a role; this stands for "nobody"


@dataclass(frozen=True)
class AgentChoice:
    id: int
    name: str
    email: str
    role: str

    def label(self) -> str:
        return f"{self.name} <{self.email}>"


class AssignDialog(QDialog):
    """``chosen_agent_id()`` after ``accepted``: an agent's id, or None for "nobody"."""

    def __init__(
        self,
        choices: Sequence[AgentChoice],
        parent: QWidget | None = None,
        *,
        ticket_count: int = 1,
        allow_nobody: bool = True,
        current_assignee_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("assignDialog")
        if ticket_count == 1:
            self.setWindowTitle(self.tr("Assign ticket"))
        else:
            self.setWindowTitle(self.tr("Assign {} tickets").format(ticket_count))

        self._items = QStandardItemModel(self)
        if allow_nobody:
            self._add(_NOBODY, self.tr("Nobody (back to the queue)"), "")
        for choice in choices:
            self._add(choice.id, choice.label(), f"{choice.name} {choice.email}")
        self._proxy = QSortFilterProxyModel(self)
        self._proxy.setSourceModel(self._items)
        self._proxy.setFilterRole(_SEARCH_ROLE)
        self._proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("assignFilter")
        self.filter_edit.setPlaceholderText(self.tr("Type a name or an address"))
        self.filter_edit.setClearButtonEnabled(True)
        caption = QLabel(self.tr("&Assign to:"), self)
        caption.setBuddy(self.filter_edit)

        self.list_view = QListView(self)
        self.list_view.setObjectName("assignList")
        self.list_view.setModel(self._proxy)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setUniformItemSizes(True)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Assign"))

        layout = QVBoxLayout(self)
        layout.addWidget(caption)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.list_view, 1)
        layout.addWidget(self.buttons)
        self.resize(380, 320)

        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.filter_edit.textChanged.connect(self._filter)
        self.filter_edit.installEventFilter(self)
        self.list_view.doubleClicked.connect(lambda _index: self.accept())
        self.list_view.selectionModel().currentChanged.connect(self._update_ok)
        self._select_first(skip=current_assignee_id)
        self.filter_edit.setFocus()

    def _add(self, agent_id: int, text: str, search: str) -> None:
        item = QStandardItem(text)  # plain text: names and addresses are never markup
        item.setEditable(False)
        item.setData(agent_id, AgentIdRole)
        item.setData(search or text, _SEARCH_ROLE)
        self._items.appendRow(item)

    def chosen_agent_id(self) -> int | None:
        """The chosen agent; None for "nobody". Only meaningful once accepted."""
        current = self.list_view.currentIndex()
        if not current.isValid():
            raise LookupError("no agent is chosen")
        value = int(current.data(AgentIdRole))
        return None if value == _NOBODY else value

    def has_choice(self) -> bool:
        return self.list_view.currentIndex().isValid()

    def choose(self, agent_id: int | None) -> bool:
        """Make ``agent_id`` (None: nobody) the current choice, if it is listed."""
        wanted = _NOBODY if agent_id is None else agent_id
        for row in range(self._proxy.rowCount()):
            index = self._proxy.index(row, 0)
            if index.data(AgentIdRole) == wanted:
                self.list_view.setCurrentIndex(index)
                return True
        return False

    def accept(self) -> None:
        if self.has_choice():  # Enter on an empty filter result does nothing
            super().accept()

    def _filter(self, text: str) -> None:
        self._proxy.setFilterFixedString(text.strip())
        self._select_first()

    def _select_first(self, skip: int | None = None) -> None:
        for row in range(self._proxy.rowCount()):
            index = self._proxy.index(row, 0)
            if skip is None or index.data(AgentIdRole) != skip:
                self.list_view.setCurrentIndex(index)
                break
        else:
            self.list_view.setCurrentIndex(QModelIndex())
        self._update_ok()

    def _update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.has_choice())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        # Up, Down, Page Up / Down in the filter move through the list: no need to Tab over.
        if watched is self.filter_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (
                Qt.Key.Key_Up,
                Qt.Key.Key_Down,
                Qt.Key.Key_PageUp,
                Qt.Key.Key_PageDown,
            ):
                QCoreApplication.sendEvent(self.list_view, event)
                return True
        return super().eventFilter(watched, event)
