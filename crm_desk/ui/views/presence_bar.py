"""A slim bar above a ticket: "<agent> is viewing" / "<agent> is replying", for other agents.

It re-reads who is on the shown ticket when the change feed says that ticket's presence
changed (``on_presence_changed``, fed by ``ChangeWatcher.presence_changed``), and on a slow
timer while it shows someone, because a desktop that vanished without saying goodbye
disappears by expiry, which no feed row announces. It hides itself when nobody else is there.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from crm_desk.core import presence
from crm_desk.core.presence import PresenceInfo
from crm_desk.store.db import Database
from crm_desk.store.models import Activity
from crm_desk.ui import tasks

# Expiry is 10 s; re-reading this often shows a vanished desktop gone within ~13 s.
RECHECK_MS = 3000


def _present(db: Database, ticket_id: int, exclude_agent_id: int | None) -> list[PresenceInfo]:
    with db.read() as session:
        return presence.present(session, ticket_id, exclude_agent_id=exclude_agent_id)


class PresenceBar(QFrame):
    """Shows who else is on the current ticket. ``own_agent_id`` is never shown."""

    def __init__(
        self,
        db: Database,
        own_agent_id: int | None,
        parent: QWidget | None = None,
        *,
        recheck_ms: int = RECHECK_MS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("presenceBar")
        self._db = db
        self._own_agent_id = own_agent_id
        self._ticket_id: int | None = None
        self._people: list[PresenceInfo] = []
        self._reads = tasks.OneAtATime[list[PresenceInfo]](self, self._prepare_read)

        self.label = QLabel(self)
        self.label.setObjectName("presenceLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # agent names are never markup
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 8, 3)
        layout.addWidget(self.label, 1)

        self._recheck = QTimer(self)
        self._recheck.setInterval(recheck_ms)
        self._recheck.timeout.connect(self.refresh)
        self.hide()

    @property
    def ticket_id(self) -> int | None:
        return self._ticket_id

    @property
    def people(self) -> list[PresenceInfo]:
        return list(self._people)

    def show_ticket(self, ticket_id: int | None) -> None:
        if ticket_id == self._ticket_id:
            return
        self._ticket_id = ticket_id
        self._apply([])  # never show the previous ticket's people on this one
        self.refresh()

    def on_presence_changed(self, ticket_ids: list[int]) -> None:
        if self._ticket_id is not None and self._ticket_id in ticket_ids:
            self.refresh()

    def refresh(self) -> None:
        if self._ticket_id is None:
            self._apply([])
            return
        self._reads.request()  # coalesced: one read at a time

    def _prepare_read(
        self,
    ) -> tuple[Callable[[], list[PresenceInfo]], Callable[[list[PresenceInfo]], None]]:
        db, ticket_id, own = self._db, self._ticket_id, self._own_agent_id

        def show(people: list[PresenceInfo]) -> None:
            if ticket_id == self._ticket_id:
                self._apply(people)

        def read() -> list[PresenceInfo]:
            assert ticket_id is not None
            return _present(db, ticket_id, own)

        return read, show

    def _apply(self, people: list[PresenceInfo]) -> None:
        self._people = people
        self.label.setText(self.describe(people))
        self.setVisible(bool(people))
        if people:
            if not self._recheck.isActive():
                self._recheck.start()
        else:
            self._recheck.stop()

    def describe(self, people: list[PresenceInfo]) -> str:
        parts = []
        for person in people:
            if person.activity == Activity.REPLYING:
                parts.append(self.tr("{name} is replying").format(name=person.name))
            else:
                parts.append(self.tr("{name} is viewing").format(name=person.name))
        return self.tr(" · ").join(parts)
