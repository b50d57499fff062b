"""One message body: a QTextBrowser that runs nothing and fetches nothing on its own.

QTextBrowser has no script engine at all, so ``<script>`` and event attributes are only ever
text to it; the HTML it gets was sanitized at ingest and again when it was read. What is left
to guard is where the document may reach out:

* every resource (image, style sheet) goes through ``loadResource``, overridden here: ``cid:``
  names the message's own inline images, ``data:`` only raster images, remote ``http(s):``
  images only when the agent allowed them for this message or sender, and then they are
  fetched asynchronously by ``RemoteImages`` (``QNetworkAccessManager``, size and time
  limited, no cookies), never on the GUI thread's time. Anything else (``file:``, ``qrc:``,
  style sheets ...) gets nothing. Every name asked for is recorded, so tests can prove it;
* links never navigate the browser (``setOpenLinks(False)``): a click is handed to
  ``LinkOpener``, which opens only ``http``, ``https`` and ``mailto`` in the system browser,
  after a warning when the link's visible text names another address than its target.
"""

from __future__ import annotations

import base64
import binascii
import html
import logging
import re
from collections.abc import Callable, Mapping
from math import ceil
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QIODevice,
    QObject,
    QSizeF,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QDesktopServices,
    QImage,
    QImageReader,
    QTextDocument,
    QWheelEvent,
)
from PySide6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest
from PySide6.QtWidgets import QFrame, QMessageBox, QSizePolicy, QTextBrowser, QWidget

log = logging.getLogger(__name__)

OpenUrl = Callable[[QUrl], object]
Confirm = Callable[[QWidget, str, str], bool]  # parent, title, question -> go ahead?

OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})
REMOTE_SCHEMES = frozenset({"http", "https"})
_RASTER_FORMATS = frozenset({b"png", b"jpeg", b"jpg", b"gif", b"bmp", b"webp"})
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp|bmp);base64,", re.I)
MAX_IMAGE_SIDE = 8000  # pixels; a "decompression bomb" is refused before it is decoded
MAX_REMOTE_BYTES = 5 * 1024 * 1024
MAX_REMOTE_IMAGES = 100  # per conversation
REMOTE_TIMEOUT_MS = 15_000
_IMAGE = QTextDocument.ResourceType.ImageResource.value


def _tr(text: str) -> str:
    return QCoreApplication.translate("HtmlView", text)


def raster_image(data: bytes) -> QImage | None:
    """Decode ``data`` if it is a raster image of sane dimensions; None otherwise (SVG too)."""
    array = QByteArray(data)
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setDecideFormatFromContent(True)
    if bytes(reader.format().data()).lower() not in _RASTER_FORMATS:
        return None
    size = reader.size()
    if not size.isValid() or max(size.width(), size.height()) > MAX_IMAGE_SIDE:
        return None
    image = reader.read()
    return None if image.isNull() else image


def _blank_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    return image


# --- remote images -----------------------------------------------------------------------------


class RemoteImages(QObject):
    """Fetches remote images the agent allowed: asynchronously, size and time limited, no
    cookies sent or kept, redirects only to equally safe addresses; decoded raster images are
    kept for the session. ``fetched(url)`` says one arrived."""

    fetched = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._network: QNetworkAccessManager | None = None  # created on first use only
        self._images: dict[str, QImage] = {}
        self._failed: set[str] = set()
        self._replies: dict[str, QNetworkReply] = {}
        self.requested: list[str] = []  # every URL ever fetched, in order: what went out

    def image(self, url: str) -> QImage | None:
        return self._images.get(url)

    def request(self, url: QUrl) -> None:
        key = url.toString()
        if key in self._images or key in self._failed or key in self._replies:
            return
        if url.scheme().lower() not in REMOTE_SCHEMES or len(self._replies) >= MAX_REMOTE_IMAGES:
            return
        if self._network is None:
            self._network = QNetworkAccessManager(self)
        request = QNetworkRequest(url)
        request.setTransferTimeout(REMOTE_TIMEOUT_MS)
        request.setMaximumRedirectsAllowed(3)
        request.setAttribute(
            QNetworkRequest.Attribute.RedirectPolicyAttribute,
            QNetworkRequest.RedirectPolicy.NoLessSafeRedirectPolicy,
        )
        manual = QNetworkRequest.LoadControl.Manual
        request.setAttribute(QNetworkRequest.Attribute.CookieLoadControlAttribute, manual)
        request.setAttribute(QNetworkRequest.Attribute.CookieSaveControlAttribute, manual)
        self.requested.append(key)
        reply = self._network.get(request)
        self._replies[key] = reply
        reply.downloadProgress.connect(
            lambda received, total: self._check_size(reply, received, total)
        )
        reply.finished.connect(lambda: self._finished(key, reply))

    def abort_all(self) -> None:
        for reply in list(self._replies.values()):
            reply.abort()

    def _check_size(self, reply: QNetworkReply, received: int, total: int) -> None:
        if max(received, total) > MAX_REMOTE_BYTES:
            reply.abort()

    def _finished(self, key: str, reply: QNetworkReply) -> None:
        self._replies.pop(key, None)
        reply.deleteLater()
        image = None
        if reply.error() == QNetworkReply.NetworkError.NoError:
            data = bytes(reply.readAll().data())
            image = raster_image(data) if len(data) <= MAX_REMOTE_BYTES else None
        if image is None:
            self._failed.add(key)
            return
        self._images[key] = image
        self.fetched.emit(key)


# --- links -------------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s")
_DOMAIN = re.compile(r"^(?:[\w-]+\.)+[^\W\d_]{2,}$")


def _host_named_by(text: str) -> str | None:
    """The host (or mail address) a link's visible text seems to name, if it names one."""
    shown = text.strip().strip("<>()[]\"'.,;").lower()
    if not shown or _WHITESPACE.search(shown):
        return None
    if shown.startswith("mailto:"):
        shown = shown[len("mailto:") :]
    if "://" in shown:
        return QUrl(shown).host().lower() or None
    if "@" in shown:
        return shown if _DOMAIN.match(shown.rsplit("@", 1)[1]) else None
    host = re.split(r"[/?#:]", shown, maxsplit=1)[0]
    return host if _DOMAIN.match(host) else None


def _bare(host: str) -> str:
    return host.removeprefix("www.")


def misleading_text(visible_text: str, url: QUrl) -> bool:
    """Whether a link's visible text names another address than the one it opens."""
    named = _host_named_by(visible_text)
    if named is None:
        return False
    if url.scheme().lower() == "mailto":
        return named != url.path().strip().lower()
    return _bare(named) != _bare(url.host().lower())


def default_confirm(parent: QWidget, title: str, question: str) -> bool:
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        title,
        question,
        QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setObjectName("linkWarning")
    box.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the sender's link text
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box.exec() == QMessageBox.StandardButton.Open


class LinkOpener:
    """What a click on a link in a message does. ``open_url`` and ``confirm`` are injectable:
    by default the system browser (``QDesktopServices.openUrl``) and a warning box."""

    def __init__(self, open_url: OpenUrl | None = None, confirm: Confirm | None = None) -> None:
        self.open_url: OpenUrl = open_url or QDesktopServices.openUrl
        self.confirm: Confirm = confirm or default_confirm

    def open(self, parent: QWidget, url: QUrl, visible_texts: list[str]) -> bool:
        """Open ``url`` if its scheme is safe and, when its text misleads, the agent agrees."""
        if url.scheme().lower() not in OPENABLE_SCHEMES or not url.isValid():
            log.info("refused to open a %r link", url.scheme())
            return False
        target = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
        for shown in visible_texts:
            if misleading_text(shown, url):
                question = _tr(
                    "The link text shows “{shown}”, but the link goes to:\n\n{target}\n\n"
                    "Open it in your browser anyway?"
                ).format(shown=shown.strip(), target=target)
                if not self.confirm(parent, _tr("Link goes elsewhere"), question):
                    return False
                break
        self.open_url(url)
        return True


def anchor_texts(document: QTextDocument, href: str) -> list[str]:
    """The visible texts of every link to ``href`` in ``document`` (adjacent fragments of one
    link, e.g. ``www.<b>bank</b>.com``, joined)."""
    texts: list[str] = []
    current: list[str] = []
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            if fragment.charFormat().anchorHref() == href:
                current.append(fragment.text())
            elif current:
                texts.append("".join(current))
                current = []
            fragments += 1
        if current:
            texts.append("".join(current))
            current = []
        block = block.next()
    return texts


# --- the view ----------------------------------------------------------------------------------


class HtmlView(QTextBrowser):
    """A message body that grows to its content's height (the conversation scrolls, not each
    message) and only shows what ``loadResource`` allows."""

    link_refused = Signal(QUrl)

    def __init__(
        self,
        remote: RemoteImages,
        links: LinkOpener,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("messageBody")
        self._remote = remote
        self._links = links
        self._inline: Mapping[str, bytes] = {}
        self._remote_allowed = False
        self._waiting: set[str] = set()
        self.requested_resources: list[str] = []  # every name loadResource was asked for
        self.setOpenLinks(False)  # a click never loads anything into this view
        self.setOpenExternalLinks(False)
        self.setSearchPaths([])
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.document().setDocumentMargin(2)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self.anchorClicked.connect(self._link_clicked)
        self.highlighted.connect(self._show_target)
        self._relayout = QTimer(self)  # several images arriving together: one relayout
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(50)
        self._relayout.timeout.connect(self._refresh_images)
        remote.fetched.connect(self._remote_arrived)

    # --- content ----------------------------------------------------------------------------

    def set_message(
        self,
        body_html: str | None,
        body_text: str,
        inline_images: Mapping[str, bytes] | None = None,
        *,
        remote_allowed: bool = False,
    ) -> None:
        """Show sanitized HTML, or else the plain text (escaped by Qt, line breaks kept)."""
        self._inline = inline_images or {}
        self._remote_allowed = remote_allowed
        self._waiting.clear()
        self.document().clear()  # drops cached resources too: nothing carries over
        if body_html is not None:
            self.setHtml(body_html)
        else:
            self.setPlainText(body_text.rstrip())  # trailing blank lines only add height
        self._fit_height(self.document().size())

    @property
    def remote_allowed(self) -> bool:
        return self._remote_allowed

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        name = QUrl(name)
        key = name.toString()
        self.requested_resources.append(key)
        if kind != _IMAGE:
            return None  # style sheets and documents: never
        scheme = name.scheme().lower()
        image: QImage | None = None
        if scheme == "cid":
            data = self._inline.get(QUrl.fromPercentEncoding(name.path().encode()).strip("<>"))
            image = raster_image(data) if data is not None else None
        elif scheme == "data" and _DATA_IMAGE.match(key):
            try:
                image = raster_image(base64.b64decode(key.split(",", 1)[1], validate=False))
            except (binascii.Error, ValueError):
                image = None
        elif scheme in REMOTE_SCHEMES and self._remote_allowed:
            image = self._remote.image(key)
            if image is None:
                self._waiting.add(key)
                self._remote.request(name)
                return _blank_image()  # not cached: asked again once the image arrived
        # Cached in the document, so painting does not ask again; blocked shows as nothing.
        result = image if image is not None else _blank_image()
        self.document().addResource(_IMAGE, name, result)
        return result

    def _remote_arrived(self, key: str) -> None:
        if key in self._waiting:
            self._relayout.start()

    def _refresh_images(self) -> None:
        document = self.document()
        for key in list(self._waiting):
            image = self._remote.image(key)
            if image is not None:
                document.addResource(_IMAGE, QUrl(key), image)
                self._waiting.discard(key)
        document.markContentsDirty(0, document.characterCount())

    # --- size -------------------------------------------------------------------------------

    def _fit_height(self, size: QSizeF) -> None:
        margins = self.contentsMargins()
        height = ceil(size.height()) + margins.top() + margins.bottom()
        if self.horizontalScrollBar().maximum() > 0:
            height += self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(max(height, self.fontMetrics().height()))

    def wheelEvent(self, event: QWheelEvent) -> None:
        # The body never scrolls vertically: the wheel scrolls the conversation around it.
        delta = event.angleDelta()
        if abs(delta.y()) >= abs(delta.x()):
            event.ignore()
            return
        super().wheelEvent(event)

    # --- links ------------------------------------------------------------------------------

    def _link_clicked(self, url: QUrl) -> None:
        href = url.toString()
        texts = anchor_texts(self.document(), href) if href else []
        opened = self._links.open(self, url, texts)
        if not opened and url.scheme().lower() not in OPENABLE_SCHEMES:
            self.link_refused.emit(url)

    def _show_target(self, url: QUrl) -> None:
        # Where a link really goes, before it is clicked. Tool tips may be rich text: escaped.
        target = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
        self.setToolTip(f"<span>{html.escape(target)}</span>" if target else "")
