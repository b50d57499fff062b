"""Desktop notifications for new tickets in the agent's views, through the system tray.

``Notifier.on_tickets_created`` (fed by ``ChangeWatcher.tickets_created``) looks up which of
the new tickets fall in the views the agent cares about (``set_views``) and shows one
notification for them; clicking it emits ``open_ticket`` with the newest ticket's number.
Without a system tray the same line goes to the status bar.

Subjects and sender names come from e-mail and web forms, so they must show literally.
``QSystemTrayIcon.showMessage`` passes the text on unchanged: Windows, macOS and Qt's own
balloon show it as plain text, but on Linux desktops with a StatusNotifier host Qt hands it to
the freedesktop notification server, which reads the body as markup (``<b>``, ``<img>``,
``<a>``). There the body is escaped, so the server shows the characters as they were written;
elsewhere it is passed as it is. Either way control characters and line breaks inside one
value are flattened and over-long values shortened.
"""

from __future__ import annotations

import html
import logging
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStatusBar, QStyle, QSystemTrayIcon

from crm_desk.core.queries import TicketFilter
from crm_desk.core.views import TicketHeadline, headlines_in_views
from crm_desk.store.db import Database
from crm_desk.ui import tasks

log = logging.getLogger(__name__)

MAX_VALUE_CHARS = 160
LISTED_TICKETS = 3  # a batch of new tickets lists this many subjects, then "and N more"
MESSAGE_MS = 10_000
STATUS_NOTIFIER_WATCHER = "org.kde.StatusNotifierWatcher"


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    ticket_id: int  # the ticket a click opens


Display = Callable[[Notice], None]


def one_line(value: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``value`` on one line, without control characters, at most ``limit`` characters."""
    cleaned = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in value
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def tray_reads_markup() -> bool:
    """True where Qt sends tray messages to a freedesktop server that interprets markup.

    Qt uses the D-Bus tray (and with it org.freedesktop.Notifications) exactly when a
    StatusNotifier watcher is registered on the session bus; otherwise its own balloon, which
    shows plain text.
    """
    if sys.platform in ("win32", "darwin"):
        return False
    try:
        from PySide6.QtDBus import QDBusConnection
    except ImportError:  # a Qt build without D-Bus has no D-Bus tray either
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    reply = bus.interface().isServiceRegistered(STATUS_NOTIFIER_WATCHER)
    return bool(reply.isValid() and reply.value())


def _headlines(
    db: Database, ticket_ids: list[int], filters: list[TicketFilter]
) -> list[TicketHeadline]:
    with db.read() as session:
        return headlines_in_views(session, ticket_ids, filters)


class Notifier(QObject):
    """See the module docstring. ``display`` replaces the tray and status bar (tests)."""

    open_ticket = Signal(int)
    shown = Signal(object)  # the Notice just shown

    def __init__(
        self,
        db: Database,
        parent: QObject | None = None,
        *,
        status_bar: QStatusBar | None = None,
        display: Display | None = None,
        markup: bool | None = None,
        icon: QIcon | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._status_bar = status_bar
        self._display = display
        self._enabled = True
        self._filters: list[TicketFilter] = []
        self._last_ticket_id: int | None = None
        self.tray: QSystemTrayIcon | None = None
        if display is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icon or self._default_icon(), self)
            self.tray.setToolTip("crm-desk")
            self.tray.messageClicked.connect(self.activate)
            self.tray.show()
        if markup is None:
            markup = self.tray is not None and tray_reads_markup()
        self._markup = markup  # escape the body: the display reads markup

    @staticmethod
    def _default_icon() -> QIcon:
        app = QApplication.instance()
        icon = app.windowIcon() if isinstance(app, QApplication) else QIcon()
        if icon.isNull() and isinstance(app, QApplication):
            icon = app.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        return icon

    # --- options -------------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled
        if self.tray is not None:
            self.tray.setVisible(enabled)

    def set_views(self, filters: Sequence[TicketFilter]) -> None:
        """The views whose new tickets are announced (say Unassigned, Mine, the open view)."""
        self._filters = list(filters)

    # --- notifying -----------------------------------------------------------------------------

    def on_tickets_created(self, ticket_ids: list[int]) -> None:
        if not self._enabled or not ticket_ids or not self._filters:
            return
        db, ids, filters = self._db, list(ticket_ids), list(self._filters)
        tasks.Op(self, lambda: _headlines(db, ids, filters)).on_success(self.notify).start()

    def notify(self, headlines: Sequence[TicketHeadline]) -> None:
        if not self._enabled or not headlines:
            return
        notice = self.notice_for(headlines)
        self._last_ticket_id = notice.ticket_id
        self._show(notice)
        self.shown.emit(notice)

    def notice_for(self, headlines: Sequence[TicketHeadline]) -> Notice:
        """Title and body, the body escaped for the display in use (see the module docstring)."""
        newest = headlines[0]
        subject = one_line(newest.subject) or self.tr("(no subject)")
        if len(headlines) == 1:
            title = self.tr("New ticket #{number}").format(number=newest.id)
            lines = [subject]
            if newest.sender:
                lines.append(self.tr("From {sender}").format(sender=one_line(newest.sender)))
        else:
            title = self.tr("{count} new tickets").format(count=len(headlines))
            lines = [
                self.tr("#{number}: {subject}").format(
                    number=h.id, subject=one_line(h.subject) or self.tr("(no subject)")
                )
                for h in headlines[:LISTED_TICKETS]
            ]
            if len(headlines) > LISTED_TICKETS:
                more = len(headlines) - LISTED_TICKETS
                lines.append(self.tr("and {count} more").format(count=more))
        body = "\n".join(html.escape(line, quote=False) if self._markup else line for line in lines)
        return Notice(one_line(title), body, newest.id)

    def _show(self, notice: Notice) -> None:
        if self._display is not None:
            self._display(notice)
        elif self.tray is not None and self.tray.isVisible():
            self.tray.showMessage(
                notice.title, notice.body, QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS
            )
        elif self._status_bar is not None:
            # One line, plain text: QStatusBar never interprets markup.
            first = notice.body.splitlines()[0] if notice.body else ""
            first = html.unescape(first) if self._markup else first
            line = self.tr("{title}: {text}").format(title=notice.title, text=first)
            self._status_bar.showMessage(line, MESSAGE_MS)
        else:
            log.info("new tickets, but neither a tray nor a status bar: %s", notice.title)

    def activate(self) -> None:
        """The notification was clicked: open the ticket it announced."""
        if self._last_ticket_id is not None:
            self.open_ticket.emit(self._last_ticket_id)
