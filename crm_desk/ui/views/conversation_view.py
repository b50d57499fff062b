"""The ticket pane's conversation: every message of the selected ticket, oldest first.

``show_ticket(id)`` reads the conversation in an ``Op`` (``core.conversation``) and paints it
when it lands, unless the selection moved on meanwhile. One ``MessageView`` per message, in a
scroll area; only the newest ``DEFAULT_LIMIT`` messages are read at first, with a button for
earlier ones, so a very long thread never makes switching tickets slow.

Remote images stay blocked until the agent allows them for one message (remembered for this
session) or for a sender (remembered in this desktop's settings, under ``REMOTE_SENDERS_KEY``).
Attachments are written only to a file the agent picked, never on their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths, Qt, QTimer, QUrl, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from crm_desk.core.conversation import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Conversation,
    attachment_bytes,
    load_conversation,
    remote_html,
)
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.labels import status_label
from crm_desk.ui.views.html_view import Confirm, LinkOpener, OpenUrl, RemoteImages
from crm_desk.ui.views.message_view import MessageView, plain_label

REMOTE_SENDERS_KEY = "privacy/remote_images_senders"

AskSavePath = Callable[[QWidget, str], str | None]  # parent, suggested file name -> path


_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def safe_file_name(display_name: str) -> str:
    """A file name to suggest for an attachment: no directories, no control characters, no
    leading dots (a sender's name could say ``../../.bashrc``)."""
    base = re.split(r"[/\\]", display_name)[-1]
    cleaned = _UNSAFE_NAME_CHARS.sub("_", base).strip().lstrip(".").strip()
    return cleaned[:200] or "attachment"


def ask_save_path(parent: QWidget, suggested_name: str) -> str | None:
    """The system's save dialog, starting in the Downloads folder."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    start = str(Path(folder) / suggested_name) if folder else suggested_name
    title = QCoreApplication.translate("ConversationView", "Save attachment")
    path, _filter = QFileDialog.getSaveFileName(parent, title, start)
    return path or None


def _load(
    db: Database, ticket_id: int, limit: int, senders: frozenset[str], messages: frozenset[int]
) -> Conversation:
    with db.read() as session:
        return load_conversation(
            session, ticket_id, limit=limit, remote_senders=senders, remote_messages=messages
        )


def _remote_html(db: Database, message_id: int) -> str | None:
    with db.read() as session:
        return remote_html(session, message_id)


def _save_attachment(db: Database, attachment_id: int, path: str) -> str:
    with db.read() as session:
        data = attachment_bytes(session, attachment_id)
    Path(path).write_bytes(data)
    return path


class ConversationView(QWidget):
    loaded = Signal(int)  # ticket id: its conversation is painted
    attachment_saved = Signal(str)  # the path written
    status_message = Signal(str)  # a short note for the status bar

    def __init__(
        self,
        db: Database,
        settings: QSettings,
        parent: QWidget | None = None,
        *,
        open_url: OpenUrl | None = None,
        confirm: Confirm | None = None,
        ask_path: AskSavePath | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conversationView")
        self._db = db
        self._settings = settings
        self._links = LinkOpener(open_url, confirm)
        self._ask_path = ask_path or ask_save_path
        self.remote_images = RemoteImages(self)
        self._ticket_id: int | None = None
        self._generation = 0  # bumped by every request; older results are dropped
        self._limit = DEFAULT_LIMIT
        self._remote_messages: set[int] = set()  # allowed for this session
        self.conversation: Conversation | None = None
        self.message_views: list[MessageView] = []
        self.earlier_button: QPushButton | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QWidget(self)
        header.setObjectName("conversationHeader")
        header_layout = QVBoxLayout(header)
        header_layout.setContentsMargins(10, 8, 10, 8)
        header_layout.setSpacing(2)
        self.subject_label = plain_label("", "conversationSubject", header, wrap=True)
        self.meta_label = plain_label("", "conversationMeta", header)
        header_layout.addWidget(self.subject_label)
        header_layout.addWidget(self.meta_label)
        self.header = header
        layout.addWidget(header)

        self.placeholder = plain_label("", "conversationPlaceholder", self, wrap=True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.placeholder, 1)

        self.scroll_area = QScrollArea(self)
        self.scroll_area.setObjectName("conversationScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.scroll_area, 1)
        self.clear()

    # --- public -----------------------------------------------------------------------------

    @property
    def ticket_id(self) -> int | None:
        return self._ticket_id

    def show_ticket(self, ticket_id: int | None) -> None:
        """Show ``ticket_id``'s conversation (None: nothing). Returns at once; ``loaded``
        follows when it is painted."""
        if ticket_id is None:
            self.clear()
            return
        if ticket_id != self._ticket_id:
            self._limit = DEFAULT_LIMIT
            self._ticket_id = ticket_id
            if self.conversation is None:
                self._show_placeholder(self.tr("Loading…"))
        self._request()

    def reload(self) -> None:
        """Read the shown ticket again (it changed), keeping how much of it is shown."""
        if self._ticket_id is not None:
            self._request()

    def clear(self) -> None:
        self._generation += 1
        self._ticket_id = None
        self.conversation = None
        self.remote_images.abort_all()
        self._clear_messages()
        self.header.hide()
        self._show_placeholder(self.tr("Select a ticket to see its conversation."))

    def remote_senders(self) -> frozenset[str]:
        """Addresses whose remote images this desktop always loads."""
        value = self._settings.value(REMOTE_SENDERS_KEY, [])
        if isinstance(value, str):  # an INI file gives back a one-item list as a string
            value = [value] if value else []
        if not isinstance(value, list):
            return frozenset()
        return frozenset(str(address).lower() for address in value if address)

    # --- loading ----------------------------------------------------------------------------

    def _request(self) -> None:
        self._generation += 1
        generation, ticket_id, limit = self._generation, self._ticket_id, self._limit
        assert ticket_id is not None
        db, senders = self._db, self.remote_senders()
        messages = frozenset(self._remote_messages)
        (
            tasks.Op(self, lambda: _load(db, ticket_id, limit, senders, messages))
            .on_success(lambda found: self._paint(generation, found))
            .on_failure(lambda exc: self._failed(generation, exc))
            .start()
        )

    def _paint(self, generation: int, found: Conversation) -> None:
        if generation != self._generation:
            return  # the selection moved on; its own result is on the way
        self.conversation = found
        self.subject_label.setText(found.subject or self.tr("(no subject)"))
        self.meta_label.setText(
            self.tr("#{number} · {status}").format(
                number=found.number, status=status_label(found.status)
            )
        )
        self.header.show()
        self.message_views = []
        # Filled before it goes into the scroll area: one layout pass, not one per message.
        content, layout = self._content()
        if found.earlier_count:
            earlier = QPushButton(
                self.tr("Show earlier messages ({})").format(found.earlier_count), content
            )
            earlier.setObjectName("showEarlier")
            earlier.clicked.connect(self._show_earlier)
            layout.addWidget(earlier, 0, Qt.AlignmentFlag.AlignHCenter)
            self.earlier_button = earlier
        else:
            self.earlier_button = None
        for message in found.messages:
            view = MessageView(message, found.subject, self.remote_images, self._links, content)
            view.save_requested.connect(self._save_attachment)
            view.remote_for_message_requested.connect(self._allow_for_message)
            view.remote_for_sender_requested.connect(self._allow_for_sender)
            view.body.link_refused.connect(self._link_refused)
            layout.addWidget(view)
            self.message_views.append(view)
        if not found.messages:
            layout.addWidget(plain_label(self.tr("No messages."), "noMessages", content))
        layout.addStretch(1)
        self.scroll_area.setWidget(content)  # deletes the previous ticket's messages
        self.placeholder.hide()
        self.scroll_area.show()
        QTimer.singleShot(0, self, self._scroll_to_newest)  # once laid out
        self.loaded.emit(found.ticket_id)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._clear_messages()
        self.header.hide()
        self._show_placeholder(tasks.describe_error(exc))
        tasks.report_error(exc)

    def _show_earlier(self) -> None:
        if self.conversation is not None:
            self._limit = min(MAX_LIMIT, self._limit + self.conversation.earlier_count)
            self.reload()

    # --- layout -----------------------------------------------------------------------------

    def _content(self) -> tuple[QWidget, QVBoxLayout]:
        content = QWidget()
        content.setObjectName("conversationMessages")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        return content, layout

    def _clear_messages(self) -> None:
        self.message_views = []
        self.earlier_button = None
        self.scroll_area.setWidget(self._content()[0])  # deletes the messages shown

    def _show_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)
        self.scroll_area.hide()
        self.placeholder.show()

    def _scroll_to_newest(self) -> None:
        if self.message_views:
            newest = self.message_views[-1]
            self.scroll_area.verticalScrollBar().setValue(newest.y())

    # --- remote images ----------------------------------------------------------------------

    def _allow_for_message(self, message_id: int) -> None:
        self._remote_messages.add(message_id)
        self._load_remote([v for v in self.message_views if v.message.id == message_id])

    def _allow_for_sender(self, sender: str) -> None:
        senders = sorted(self.remote_senders() | {sender.lower()})
        self._settings.setValue(REMOTE_SENDERS_KEY, senders)
        self._load_remote(
            [v for v in self.message_views if v.message.sender_email == sender.lower()]
        )

    def _load_remote(self, views: list[MessageView]) -> None:
        generation, db = self._generation, self._db
        for view in views:
            if view.body.remote_allowed:
                continue
            self._load_remote_into(view, generation, db)

    def _load_remote_into(self, view: MessageView, generation: int, db: Database) -> None:
        message_id = view.message.id

        def show(html: str | None) -> None:
            if generation == self._generation:  # else the view is gone with its ticket
                view.show_remote_html(html)

        tasks.Op(self, lambda: _remote_html(db, message_id)).on_success(show).start()

    # --- attachments ------------------------------------------------------------------------

    def _save_attachment(self, attachment_id: int, display_name: str) -> None:
        path = self._ask_path(self, safe_file_name(display_name))
        if not path:
            return
        db = self._db
        tasks.Op(self, lambda: _save_attachment(db, attachment_id, path)).on_success(
            self._saved
        ).start()

    def _saved(self, path: str) -> None:
        self.status_message.emit(self.tr("Saved {}").format(path))
        self.attachment_saved.emit(path)

    def _link_refused(self, url: QUrl) -> None:
        scheme = url.scheme() or "?"
        self.status_message.emit(
            self.tr("Not opened: only web and mail links open from a message ({}:).").format(scheme)
        )
