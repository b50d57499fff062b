"""Human labels for stored enumeration values, through Qt's translation machinery.

The database keeps short English identifiers (``new``, ``urgent``); what a person reads goes
through ``QCoreApplication.translate`` so the later translation work only adds ``.ts`` files.
An unknown value (a newer schema, a hand-edited row) is shown as it is rather than hidden.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from crm_desk.store.models import Priority, TicketStatus


def _tr(text: str) -> str:
    return QCoreApplication.translate("labels", text)


def status_label(status: str) -> str:
    labels: dict[str, str] = {
        TicketStatus.NEW: _tr("New"),
        TicketStatus.OPEN: _tr("Open"),
        TicketStatus.PENDING: _tr("Pending"),
        TicketStatus.RESOLVED: _tr("Resolved"),
        TicketStatus.CLOSED: _tr("Closed"),
    }
    return labels.get(status, status)


def priority_label(priority: str) -> str:
    labels: dict[str, str] = {
        Priority.LOW: _tr("Low"),
        Priority.NORMAL: _tr("Normal"),
        Priority.HIGH: _tr("High"),
        Priority.URGENT: _tr("Urgent"),
    }
    return labels.get(priority, priority)
