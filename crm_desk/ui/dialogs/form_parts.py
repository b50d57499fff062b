"""Small pieces the setup forms share: a one-line status, and errors said in one line."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from crm_desk.ui import tasks


def one_line_error(exc: BaseException) -> str:
    """What went wrong, in one line a person can act on.

    SQLAlchemy wraps the driver's message in its own text and a link; the driver's message
    (``connection refused``, ``password authentication failed``) is the useful part.
    """
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text = str(exc.orig)
    elif isinstance(exc, SQLAlchemyError):
        text = str(exc).split("(Background on this error", 1)[0]
    else:
        text = tasks.describe_error(exc)
    return " ".join(text.split()) or type(exc).__name__


class StatusLine(QLabel):
    """One line under a form: what a test found, what is going on, or what went wrong.

    Its ``state`` property (``""``, ``"busy"``, ``"ok"``, ``"error"``) is there for the
    style sheet: ``QLabel#statusLine[state="error"]``.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusLine")
        self.setTextFormat(Qt.TextFormat.PlainText)  # errors quote hosts, names and addresses
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setProperty("state", "")

    def show_state(self, state: str, text: str) -> None:
        self.setText(text)
        self.setToolTip(text)
        if self.property("state") != state:
            self.setProperty("state", state)
            self.style().unpolish(self)  # re-apply the style sheet for the new state
            self.style().polish(self)

    def busy(self, text: str) -> None:
        self.show_state("busy", text)

    def ok(self, text: str) -> None:
        self.show_state("ok", text)

    def error(self, text: str) -> None:
        self.show_state("error", text)

    def clear_state(self) -> None:
        self.show_state("", "")

    @property
    def state(self) -> str:
        return str(self.property("state"))
