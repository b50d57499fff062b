"""What the queue shows in each column: titles, display text, tooltips (all plain text).

Subjects and names come from e-mail and web forms and are never markup: the display text is
handed to the view as it is, and tooltips (which Qt renders as rich text when a string merely
looks like HTML) are escaped into HTML whose only content is the literal text.
"""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import Qt as QtGuiNamespace

from crm_desk.core.queries import TicketRow
from crm_desk.ui.formatting import format_datetime
from crm_desk.ui.labels import priority_label, status_label

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


# Columns sorted in SQL with an index behind each: QueueModel's default sortable columns.
SORT_KEYS: dict[Column, str] = {
    Column.NUMBER: "number",
    Column.SUBJECT: "subject",
    Column.STATUS: "status",
    Column.PRIORITY: "priority",
    Column.UPDATED: "updated",
}
# Every column. The four added ones have no index: cheap within a view's statuses, about
# 80 ms a page over all of 100,000 tickets on SQLite (see core.queries).
ALL_SORT_KEYS: dict[Column, str] = {
    **SORT_KEYS,
    Column.CUSTOMER: "customer",
    Column.CATEGORY: "category",
    Column.ASSIGNEE: "assignee",
    Column.DUE: "due",
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
            return format_datetime(row.updated_at)
        case Column.DUE:
            return format_datetime(row.due_at)


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
