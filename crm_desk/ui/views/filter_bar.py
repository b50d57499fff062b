"""The row above the queue: which tickets to list (by status, for now)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from crm_desk.store.models import OPEN_STATUSES, TicketStatus
from crm_desk.ui.labels import status_label


def _status_choices() -> list[tuple[str, tuple[str, ...]]]:
    all_open = QCoreApplication.translate("FilterBar", "All open")
    everything = QCoreApplication.translate("FilterBar", "All")
    single = [(status_label(s), (str(s),)) for s in TicketStatus]
    return [(all_open, tuple(str(s) for s in OPEN_STATUSES)), *single, (everything, ())]


class FilterBar(QWidget):
    """Emits ``statuses_changed`` with the statuses to list (empty: every status)."""

    statuses_changed = Signal(tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self._choices = _status_choices()
        self.status_combo = QComboBox(self)
        self.status_combo.setObjectName("statusFilter")
        for text, _statuses in self._choices:
            self.status_combo.addItem(text)
        caption = QLabel(self.tr("&Status:"), self)
        caption.setBuddy(self.status_combo)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(caption)
        layout.addWidget(self.status_combo)
        layout.addStretch(1)
        self.status_combo.currentIndexChanged.connect(self._changed)

    def statuses(self) -> tuple[str, ...]:
        return self._choices[self.status_combo.currentIndex()][1]

    def _changed(self, _index: int) -> None:
        self.statuses_changed.emit(self.statuses())
