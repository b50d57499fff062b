"""The sidebar's tree: sections (Views, Categories, Mailboxes, Team) holding views with counts.

Two columns: the view's name and its count. Top-level rows are section headings (enabled, not
selectable); their children are the views. Indexes carry an integer id, never a Python
object: 0 for a heading, the heading's row + 1 for a view under it.

``set_views`` takes the rows of ``core.views.view_counts``. When the same views come back (the
usual case: only counts moved) it updates them in place with ``dataChanged``, so selection and
scroll position stay; when views appear or disappear (a new category, an agent added) it
resets, and the sidebar puts the selection back by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QLocale,
    QModelIndex,
    QObject,
    Qt,
)
from PySide6.QtGui import QFont

from crm_desk.core import views as core_views
from crm_desk.core.queries import TicketFilter
from crm_desk.core.views import ViewCount
from crm_desk.ui.models.flat_rows import RIGHT_ALIGNED, ROOT, ModelIndex
from crm_desk.ui.models.queue_model import plain_tooltip

ViewSpecRole = int(Qt.ItemDataRole.UserRole) + 1  # the ViewSpec of a view row
CountRole = int(Qt.ItemDataRole.UserRole) + 2  # its count, an int
KeyRole = int(Qt.ItemDataRole.UserRole) + 3  # its stable key ("unassigned", "category:3")

NAME_COLUMN = 0
COUNT_COLUMN = 1
_COLUMNS = 2

QUARANTINE_KEY = core_views.QUARANTINE


@dataclass(frozen=True)
class ViewSpec:
    """What a click on a view selects: a ticket filter, or the quarantine list."""

    key: str
    title: str
    ticket_filter: TicketFilter | None

    @property
    def is_quarantine(self) -> bool:
        return self.key == QUARANTINE_KEY


@dataclass(frozen=True)
class _Item:
    spec: ViewSpec
    count: int
    detail: str | None


@dataclass(frozen=True)
class _Section:
    key: str
    items: tuple[_Item, ...]


def _tr(text: str) -> str:
    return QCoreApplication.translate("Sidebar", text)


def view_title(view: ViewCount) -> str:
    """The translated label of a fixed view, or the stored name of a category, mailbox, agent."""
    fixed = {
        core_views.UNASSIGNED: _tr("Unassigned"),
        core_views.MINE: _tr("Mine"),
        core_views.ALL_OPEN_KIND: _tr("All open"),
        core_views.PENDING: _tr("Pending"),
        core_views.RESOLVED: _tr("Resolved"),
        core_views.CLOSED: _tr("Closed"),
        core_views.QUARANTINE: _tr("Quarantine"),
    }
    if view.label_kind in fixed:
        return fixed[view.label_kind]
    return view.label_arg or view.key


def section_title(key: str) -> str:
    titles = {
        "views": _tr("Views"),
        "categories": _tr("Categories"),
        "mailboxes": _tr("Mailboxes"),
        "team": _tr("Team"),
    }
    return titles.get(key, key)


# Which section a view goes in, by its label_kind; the fixed views go in "views".
_SECTION_OF = {
    core_views.CATEGORY: "categories",
    core_views.MAILBOX: "mailboxes",
    core_views.QUARANTINE: "mailboxes",
    core_views.AGENT: "team",
}
_SECTION_ORDER = ("views", "categories", "mailboxes", "team")


def build_sections(views: list[ViewCount]) -> list[_Section]:
    grouped: dict[str, list[_Item]] = {key: [] for key in _SECTION_ORDER}
    for view in views:
        spec = ViewSpec(view.key, view_title(view), view.filter)
        grouped[_SECTION_OF.get(view.label_kind, "views")].append(
            _Item(spec, view.count, view.detail)
        )
    return [_Section(key, tuple(items)) for key, items in grouped.items() if items]


class SidebarModel(QAbstractItemModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sections: list[_Section] = []
        self._heading_font = QFont()
        self._heading_font.setBold(True)

    # --- Qt model API --------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: ModelIndex = ROOT) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, child: ModelIndex = ROOT) -> QModelIndex:  # type: ignore[override]
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, 0)

    def rowCount(self, parent: ModelIndex = ROOT) -> int:  # Qt's name
        if not parent.isValid():
            return len(self._sections)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self._sections[parent.row()].items)
        return 0

    def columnCount(self, parent: ModelIndex = ROOT) -> int:  # Qt's name
        return _COLUMNS

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.internalId() == 0:
            return Qt.ItemFlag.ItemIsEnabled  # a heading: shown, never selected
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._heading_data(index, role)
        item = self._item(index)
        if item is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return item.spec.title if column == NAME_COLUMN else QLocale().toString(item.count)
        if role == Qt.ItemDataRole.ToolTipRole and column == NAME_COLUMN:
            return plain_tooltip(item.detail or item.spec.title)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COUNT_COLUMN:
            return RIGHT_ALIGNED
        if role == ViewSpecRole:
            return item.spec
        if role == CountRole:
            return item.count
        if role == KeyRole:
            return item.spec.key
        return None

    def _heading_data(self, index: ModelIndex, role: int) -> Any:
        if index.column() != NAME_COLUMN:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return section_title(self._sections[index.row()].key)
        if role == Qt.ItemDataRole.FontRole:
            return self._heading_font
        if role == KeyRole:
            return "section:" + self._sections[index.row()].key
        return None

    # --- crm-desk API --------------------------------------------------------------------------

    def _item(self, index: ModelIndex) -> _Item | None:
        section = index.internalId() - 1
        if not 0 <= section < len(self._sections):
            return None
        items = self._sections[section].items
        return items[index.row()] if 0 <= index.row() < len(items) else None

    def set_views(self, views: list[ViewCount]) -> None:
        sections = build_sections(views)
        if _shape(sections) != _shape(self._sections):
            self.beginResetModel()
            self._sections = sections
            self.endResetModel()
            return
        old, self._sections = self._sections, sections
        for number, (before, after) in enumerate(zip(old, sections, strict=True)):
            for row, (was, now) in enumerate(zip(before.items, after.items, strict=True)):
                if was != now:
                    self.dataChanged.emit(
                        self.createIndex(row, 0, number + 1),
                        self.createIndex(row, _COLUMNS - 1, number + 1),
                    )

    def index_of(self, key: str) -> QModelIndex:
        """The name cell of the view with ``key`` (invalid if there is none)."""
        for number, section in enumerate(self._sections):
            for row, item in enumerate(section.items):
                if item.spec.key == key:
                    return self.createIndex(row, NAME_COLUMN, number + 1)
        return QModelIndex()

    def spec(self, key: str) -> ViewSpec | None:
        index = self.index_of(key)
        value = index.data(ViewSpecRole) if index.isValid() else None
        return value if isinstance(value, ViewSpec) else None

    def count(self, key: str) -> int | None:
        index = self.index_of(key)
        value = index.data(CountRole) if index.isValid() else None
        return value if isinstance(value, int) else None

    def keys(self) -> list[str]:
        """Every view's key in display order (for Ctrl+1…)."""
        return [item.spec.key for section in self._sections for item in section.items]


def _shape(sections: list[_Section]) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.key, tuple(item.spec.key for item in s.items)) for s in sections]
