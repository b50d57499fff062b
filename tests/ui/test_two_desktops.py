"""Two desktops on one PostgreSQL database: what one agent does, the other sees within 2 s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from crm_desk.core import demo, tickets
from crm_desk.core.agents import by_email
from crm_desk.errors import AlreadyClaimedError
from crm_desk.store.db import Database
from crm_desk.store.schema import open_database
from crm_desk.ui import tasks
from crm_desk.ui.actor import find_actor
from crm_desk.ui.main_window import MainWindow
from crm_desk.ui.models.queue_model import Column, TicketRowRole

EMILY = "emily.clarke@demo.crm-desk.example"
REN = "ito.ren@demo.crm-desk.example"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]


@pytest.fixture
def second_db(db: Database) -> Iterator[Database]:
    other = open_database(db.url.render_as_string(hide_password=False))
    yield other
    other.dispose()


def desktop(db: Database, email: str, tmp_path: Path, qtbot: QtBot) -> MainWindow:
    settings = QSettings(str(tmp_path / f"{email}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(db, find_actor(db, email), settings=settings, live=True)
    qtbot.addWidget(window)
    window.show()
    window.sidebar.select_key("all_open")
    qtbot.waitUntil(lambda: window.sidebar.selected_key() == "all_open", timeout=10_000)
    qtbot.waitUntil(lambda: tasks.is_idle() and window.model.rowCount() > 0, timeout=10_000)
    return window


def test_one_claims_the_other_sees_the_owner_and_cannot_claim(
    db: Database, second_db: Database, tmp_path: Path, qtbot: QtBot
) -> None:
    demo.build_demo(db, tickets=80)
    emily = desktop(db, EMILY, tmp_path, qtbot)
    ren = desktop(second_db, REN, tmp_path, qtbot)
    try:
        row = next(
            emily.model.row_at(n)
            for n in range(emily.model.rowCount())
            if emily.model.row_at(n).assignee_id is None
        )
        emily.view.setCurrentIndex(emily.model.index_of(row.id, Column.SUBJECT))
        qtbot.waitUntil(lambda: emily.conversation.ticket_id == row.id and tasks.is_idle())
        ren.open_ticket(row.id)

        # Presence: Ren's desktop says who else is on the ticket.
        qtbot.waitUntil(
            lambda: (
                "Emily Clarke" in ren.presence_bar.label.text() and ren.presence_bar.isVisible()
            ),
            timeout=2_000,
        )

        emily.activateWindow()  # both desktops live in this one test process
        qtbot.waitUntil(emily.isActiveWindow)
        emily.view.setFocus()
        QTest.keyClick(emily.view, Qt.Key.Key_C)  # Emily claims
        qtbot.waitUntil(lambda: emily.model.index_of(row.id, Column.ASSIGNEE).data() != "")

        def ren_sees_the_owner() -> bool:
            index = ren.model.index_of(row.id, Column.ASSIGNEE)
            return index.isValid() and index.data() == "Emily Clarke"

        qtbot.waitUntil(ren_sees_the_owner, timeout=2_000)
        ren.view.setCurrentIndex(ren.model.index_of(row.id, Column.SUBJECT))
        current = ren.view.currentIndex().data(TicketRowRole)
        assert current.assignee_name == "Emily Clarke"
        qtbot.waitUntil(lambda: not ren.action_bar.claim_action.isEnabled())
        with second_db.write() as session, pytest.raises(AlreadyClaimedError, match="Emily"):
            tickets.claim(session, by_email(session, REN), row.id)
    finally:
        emily.close()
        ren.close()
        qtbot.waitUntil(tasks.is_idle, timeout=10_000)
