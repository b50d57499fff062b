"""Merge one ticket into another: type the target's number, see its subject, then confirm.

The target is looked up through an ``Op`` a moment after typing stops; the Merge button is
enabled only once the subject shown is the one of the number typed, so a person always sees
what they merge into. The merge itself is the caller's (``ActionBar``) to run.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from crm_desk.core import tickets
from crm_desk.errors import NotFoundError
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.labels import status_label

LOOKUP_DELAY_MS = 250


@dataclass(frozen=True)
class MergeTarget:
    id: int
    subject: str
    status: str
    merged_into_id: int | None


def look_up_target(db: Database, ticket_id: int) -> MergeTarget | None:
    """Runs on the worker: the ticket as plain values, None when there is no such ticket."""
    with db.read() as session:
        try:
            ticket = tickets.get(session, ticket_id)
        except NotFoundError:
            return None
        return MergeTarget(ticket.id, ticket.subject, ticket.status, ticket.merged_into_id)


def _parse_number(text: str) -> int | None:
    digits = text.strip().removeprefix("#").strip()
    return int(digits) if digits.isdigit() and int(digits) > 0 else None


class MergeDialog(QDialog):
    """``target_id()`` after ``accepted``: the ticket the source goes into."""

    def __init__(
        self, db: Database, source_id: int, source_subject: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mergeDialog")
        self.setWindowTitle(self.tr("Merge #{} into another ticket").format(source_id))
        self._db = db
        self._source_id = source_id
        self._target: MergeTarget | None = None
        self._lookups = 0  # bumps per lookup, so an older answer never overwrites a newer one

        source = QLabel(self)
        source.setObjectName("mergeSource")
        source.setTextFormat(Qt.TextFormat.PlainText)  # subjects are never markup
        source.setText(f"#{source_id}  {source_subject}")
        source.setWordWrap(True)

        self.number_edit = QLineEdit(self)
        self.number_edit.setObjectName("mergeTargetNumber")
        self.number_edit.setValidator(QIntValidator(1, 2_000_000_000, self))
        self.number_edit.setPlaceholderText(self.tr("Ticket number"))

        self.target_label = QLabel(self)
        self.target_label.setObjectName("mergeTarget")
        self.target_label.setTextFormat(Qt.TextFormat.PlainText)
        self.target_label.setWordWrap(True)
        self.target_label.setMinimumHeight(self.fontMetrics().height() * 2)

        explanation = QLabel(
            self.tr(
                "The messages of #{} move to the target ticket, and #{} is closed as merged."
            ).format(source_id, source_id),
            self,
        )
        explanation.setObjectName("dialogHint")
        explanation.setTextFormat(Qt.TextFormat.PlainText)
        explanation.setWordWrap(True)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.merge_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.merge_button.setText(self.tr("Merge"))

        form = QFormLayout()
        form.addRow(self.tr("Merge:"), source)
        form.addRow(self.tr("&Into ticket:"), self.number_edit)
        form.addRow("", self.target_label)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(explanation)
        layout.addWidget(self.buttons)
        self.resize(460, self.sizeHint().height())

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LOOKUP_DELAY_MS)
        self._timer.timeout.connect(self._look_up)
        self.number_edit.textChanged.connect(self._typed)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._show(None, "")
        self.number_edit.setFocus()

    def target_id(self) -> int:
        if self._target is None:
            raise LookupError("no target ticket has been found")
        return self._target.id

    def target(self) -> MergeTarget | None:
        return self._target

    def accept(self) -> None:
        if self.merge_button.isEnabled():
            super().accept()

    def _typed(self, text: str) -> None:
        self._lookups += 1  # whatever is in flight now answers an older question
        self._show(None, self.tr("Looking up…") if _parse_number(text) is not None else "")
        self._timer.start()

    def _look_up(self) -> None:
        number = _parse_number(self.number_edit.text())
        if number is None:
            self._show(None, "")
            return
        if number == self._source_id:
            self._show(None, self.tr("A ticket cannot be merged into itself."))
            return
        self._lookups += 1
        lookup, db = self._lookups, self._db

        def landed(target: MergeTarget | None) -> None:
            if lookup == self._lookups:
                self._found(number, target)

        tasks.Op(self, lambda: look_up_target(db, number)).on_success(landed).start()

    def _found(self, number: int, target: MergeTarget | None) -> None:
        if target is None:
            self._show(None, self.tr("There is no ticket #{}.").format(number))
        elif target.merged_into_id is not None:
            self._show(
                None,
                self.tr("#{} was itself merged into #{}.").format(number, target.merged_into_id),
            )
        else:
            status = status_label(target.status)
            self._show(target, f"#{target.id}  {target.subject}  ({status})")

    def _show(self, target: MergeTarget | None, text: str) -> None:
        self._target = target
        self.target_label.setText(text)
        self.merge_button.setEnabled(target is not None)
