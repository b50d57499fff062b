"""One message of a conversation: who, when, why it is here, the body, its attachments.

Everything that came from outside (names, addresses, subjects, file names, headers, reasons)
is shown as plain text; only the body is HTML, and that through ``HtmlView``. The frame carries
a ``direction`` property ("in", "out" or "note") so the style sheet tells them apart, and a
small badge says the same in words for those who cannot rely on colour.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_desk.core.conversation import AttachmentInfo, ConversationMessage
from crm_desk.store.models import Direction
from crm_desk.ui.formatting import format_datetime
from crm_desk.ui.thread_reasons import describe_reason
from crm_desk.ui.views.html_view import HtmlView, LinkOpener, RemoteImages

HEADERS_MAX_HEIGHT = 240


def plain_label(text: str, name: str, parent: QWidget, *, wrap: bool = False) -> QLabel:
    """A label that never interprets markup: what it shows came from a stranger."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class MessageView(QFrame):
    """Header strip, thread reason, remote-image bar, body, attachments, headers on demand."""

    save_requested = Signal(int, str)  # attachment id, the name the sender gave it
    remote_for_message_requested = Signal(int)  # message id
    remote_for_sender_requested = Signal(str)  # sender's address

    def __init__(
        self,
        message: ConversationMessage,
        ticket_subject: str,
        remote: RemoteImages,
        links: LinkOpener,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.message = message
        self.setObjectName("message")
        self.setProperty("direction", message.direction)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        self._headers_view: QPlainTextEdit | None = None

        layout.addLayout(self._header_strip(message))
        recipients = self._recipients(message)
        if recipients:
            layout.addWidget(plain_label(recipients, "messageRecipients", self, wrap=True))
        if message.subject and message.subject != ticket_subject:
            subject = self.tr("Subject: {}").format(message.subject)
            layout.addWidget(plain_label(subject, "messageSubject", self, wrap=True))
        if message.thread_reason:
            reason = self.tr("Threaded here because: {}").format(
                describe_reason(message.thread_reason)
            )
            layout.addWidget(plain_label(reason, "threadReason", self, wrap=True))
        if message.charset_note:
            note = self.tr("Text decoding: {}").format(message.charset_note)
            layout.addWidget(plain_label(note, "charsetNote", self, wrap=True))

        self.remote_bar: QFrame | None = None
        if message.remote_images and not message.remote_allowed:
            self.remote_bar = self._remote_bar(message)
            layout.addWidget(self.remote_bar)

        self.body = HtmlView(remote, links, self)
        self.body.set_message(
            message.body_html,
            message.body_text,
            message.inline_images,
            remote_allowed=message.remote_allowed,
        )
        layout.addWidget(self.body)
        if message.text_truncated:
            cut = self.tr("This message is too long to show in full.")
            layout.addWidget(plain_label(cut, "truncatedNote", self))

        self.save_buttons: dict[int, QPushButton] = {}
        for attachment in message.shown_attachments:
            layout.addLayout(self._attachment_row(attachment))

    # --- parts ------------------------------------------------------------------------------

    def _header_strip(self, message: ConversationMessage) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        badges = {
            Direction.OUT: (self.tr("Reply"), "replyBadge"),
            Direction.NOTE: (self.tr("Internal note"), "noteBadge"),
        }
        if message.direction in badges:
            text, name = badges[Direction(message.direction)]
            row.addWidget(plain_label(text, name, self))
        self.from_label = plain_label(self._sender(message), "messageFrom", self)
        row.addWidget(self.from_label, 1)
        if message.is_auto_reply:
            row.addWidget(plain_label(self.tr("Auto-reply"), "autoReplyBadge", self))
        self.date_label = plain_label(format_datetime(message.created_at), "messageDate", self)
        row.addWidget(self.date_label)
        self.headers_button = QToolButton(self)
        self.headers_button.setObjectName("headersToggle")
        self.headers_button.setText(self.tr("Headers"))
        self.headers_button.setCheckable(True)
        self.headers_button.setVisible(bool(message.headers))  # notes and replies have none
        self.headers_button.setToolTip(self.tr("Show the message's raw headers"))
        self.headers_button.toggled.connect(self._toggle_headers)
        row.addWidget(self.headers_button)
        return row

    def _sender(self, message: ConversationMessage) -> str:
        if message.direction != Direction.IN and message.author_name:
            return message.author_name
        return message.from_address or self.tr("(unknown sender)")

    def _recipients(self, message: ConversationMessage) -> str:
        parts = []
        if message.to_addresses:
            parts.append(self.tr("To: {}").format(message.to_addresses))
        if message.cc_addresses:
            parts.append(self.tr("Cc: {}").format(message.cc_addresses))
        return "   ".join(parts)

    def _remote_bar(self, message: ConversationMessage) -> QFrame:
        bar = QFrame(self)
        bar.setObjectName("remoteImagesBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(8, 4, 8, 4)
        count = len(message.remote_images)
        text = (
            self.tr("1 remote image was blocked to protect your privacy.")
            if count == 1
            else self.tr("{} remote images were blocked to protect your privacy.").format(
                QLocale().toString(count)
            )
        )
        row.addWidget(plain_label(text, "remoteImagesText", bar), 1)
        self.load_remote_button = QPushButton(self.tr("Load for this message"), bar)
        self.load_remote_button.setObjectName("loadRemoteForMessage")
        self.load_remote_button.clicked.connect(
            lambda: self.remote_for_message_requested.emit(message.id)
        )
        row.addWidget(self.load_remote_button)
        self.always_remote_button = QPushButton(self.tr("Always for this sender"), bar)
        self.always_remote_button.setObjectName("loadRemoteForSender")
        sender = message.sender_email
        self.always_remote_button.setEnabled(sender is not None)
        if sender is not None:
            self.always_remote_button.setToolTip(
                self.tr("Load remote images in every message from this address")
            )
            self.always_remote_button.clicked.connect(
                lambda: self.remote_for_sender_requested.emit(sender)
            )
        row.addWidget(self.always_remote_button)
        return bar

    def _attachment_row(self, attachment: AttachmentInfo) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(plain_label(attachment.display_name, "attachmentName", self), 1)
        size = QLocale().formattedDataSize(attachment.size)
        row.addWidget(plain_label(size, "attachmentSize", self))
        button = QPushButton(self.tr("Save…"), self)
        button.setObjectName("saveAttachment")
        button.setToolTip(self.tr("Save this attachment to a file you choose"))
        button.clicked.connect(
            lambda: self.save_requested.emit(attachment.id, attachment.display_name)
        )
        self.save_buttons[attachment.id] = button
        row.addWidget(button)
        return row

    # --- actions ----------------------------------------------------------------------------

    def show_remote_html(self, body_html: str | None) -> None:
        """The agent allowed remote images: show the body with them (fetched asynchronously)."""
        if self.remote_bar is not None:
            self.remote_bar.hide()
        if body_html is not None:
            self.body.set_message(
                body_html, self.message.body_text, self.message.inline_images, remote_allowed=True
            )

    @property
    def headers_view(self) -> QPlainTextEdit | None:
        return self._headers_view

    def _toggle_headers(self, shown: bool) -> None:
        if self._headers_view is None:
            if not shown:
                return
            view = QPlainTextEdit(self)
            view.setObjectName("rawHeaders")
            view.setReadOnly(True)
            view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            view.setPlainText(self.message.headers or "")
            lines = (self.message.headers or "").count("\n") + 2
            frame = 2 * view.frameWidth() + 8
            view.setFixedHeight(
                min(HEADERS_MAX_HEIGHT, view.fontMetrics().lineSpacing() * lines + frame)
            )
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(layout.indexOf(self.body), view)
            self._headers_view = view
        self._headers_view.setVisible(shown)
