"""An internal note on one ticket: plain text, seen by the team, never sent to the customer.

Ctrl+Enter saves (the Enter key alone starts a new line, as in any text box); Esc cancels.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


class NoteDialog(QDialog):
    """``note_text()`` after ``accepted``: the note, stripped; never empty."""

    def __init__(self, ticket_id: int, subject: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noteDialog")
        self.setWindowTitle(self.tr("Internal note on #{}").format(ticket_id))

        self.subject_label = QLabel(self)
        self.subject_label.setObjectName("noteSubject")
        self.subject_label.setTextFormat(Qt.TextFormat.PlainText)  # a subject is never markup
        self.subject_label.setText(subject)
        self.subject_label.setWordWrap(True)
        hint = QLabel(self.tr("Only the team sees internal notes. Ctrl+Enter saves."), self)
        hint.setObjectName("dialogHint")
        hint.setTextFormat(Qt.TextFormat.PlainText)

        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("noteEditor")
        self.editor.setTabChangesFocus(True)  # Tab reaches the buttons: no mouse needed
        self.editor.setPlaceholderText(self.tr("What should the team know?"))

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Add note"))
        self.save_button.setDefault(False)  # Enter writes a new line; Ctrl+Enter saves
        self.save_button.setAutoDefault(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.subject_label)
        layout.addWidget(self.editor, 1)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self.resize(480, 300)

        # A key filter rather than a QShortcut: it works whether or not the window is active.
        self.editor.installEventFilter(self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.editor.textChanged.connect(self._update_save)
        self._update_save()
        self.editor.setFocus()

    def note_text(self) -> str:
        return self.editor.toPlainText().strip()

    def accept(self) -> None:
        if self.note_text():  # an empty note is refused by the service anyway
            super().accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        if watched is self.editor and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
            # Return: the main keyboard; Enter: the keypad.
            if control and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.accept()
                return True
        return super().eventFilter(watched, event)

    def _update_save(self) -> None:
        self.save_button.setEnabled(bool(self.note_text()))
