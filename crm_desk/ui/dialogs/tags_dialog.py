"""Edit a ticket's tags as one line: ``refund, vip, 至急``. Enter saves, Esc cancels.

Commas (ASCII, full-width and the Japanese 、) separate tags; spaces inside a tag are kept.
The service cleans and limits the list again (``core.tickets.MAX_TAGS``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from crm_desk.core.tickets import MAX_TAG_LENGTH, MAX_TAGS

_SEPARATORS = re.compile("[,，、]")


def split_tags(text: str) -> list[str]:
    """The tags in ``text``, in order, each once, blanks dropped."""
    tags: list[str] = []
    for piece in _SEPARATORS.split(text):
        tag = " ".join(piece.split())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


class TagsDialog(QDialog):
    """``tags()`` after ``accepted``: the new list (may be empty: all tags removed)."""

    def __init__(self, ticket_id: int, tags: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tagsDialog")
        self.setWindowTitle(self.tr("Tags of #{}").format(ticket_id))

        self.editor = QLineEdit(self)
        self.editor.setObjectName("tagsEditor")
        self.editor.setText(", ".join(tags))
        self.editor.setPlaceholderText(self.tr("refund, vip"))
        self.editor.setClearButtonEnabled(True)
        caption = QLabel(self.tr("&Tags, separated by commas:"), self)
        caption.setBuddy(self.editor)
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("dialogProblem")
        self.problem_label.setTextFormat(Qt.TextFormat.PlainText)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)

        layout = QVBoxLayout(self)
        layout.addWidget(caption)
        layout.addWidget(self.editor)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.resize(420, self.sizeHint().height())

        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.editor.textChanged.connect(self._check)
        self._check()
        self.editor.setFocus()
        self.editor.selectAll()

    def tags(self) -> list[str]:
        return split_tags(self.editor.text())

    def problem(self) -> str:
        """Why the tags cannot be saved as they are; empty when they can."""
        tags = self.tags()
        if len(tags) > MAX_TAGS:
            return self.tr("A ticket takes at most {} tags.").format(MAX_TAGS)
        if any(len(tag) > MAX_TAG_LENGTH for tag in tags):
            return self.tr("A tag can be at most {} characters long.").format(MAX_TAG_LENGTH)
        return ""

    def accept(self) -> None:
        if not self.problem():
            super().accept()

    def _check(self) -> None:
        problem = self.problem()
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        self.save_button.setEnabled(not problem)
