"""MainWindow as a whole: the parts load together, the keyboard triage path, live updates from
another writer, the customer panel following the selection, literal markup, layout memory,
errors in one place, and a million tickets."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from crm_desk.core import demo, tickets
from crm_desk.core.agents import by_email
from crm_desk.errors import ConflictError
from crm_desk.store.db import Database
from crm_desk.store.models import Order, Ticket, TicketStatus
from crm_desk.store.schema import open_database
from crm_desk.ui import tasks
from crm_desk.ui.actor import Actor, find_actor
from crm_desk.ui.app import load_style_sheet
from crm_desk.ui.main_window import MainWindow
from crm_desk.ui.models.queue_model import Column, TicketRowRole
from tests.support.big_queue import fill_queue

AGENT_EMAIL = "emily.clarke@demo.crm-desk.example"  # an agent, not a lead


@pytest.fixture
def demo_db(ui_db: Database) -> Database:
    demo.build_demo(ui_db, tickets=120)
    return ui_db


@pytest.fixture
def make_window(
    demo_db: Database, settings: QSettings, qtbot: QtBot
) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(email: str = demo.DEMO_LEAD_EMAIL, live: bool = False) -> MainWindow:
        window = MainWindow(
            demo_db, find_actor(demo_db, email), settings=settings, live=live, page_size=40
        )
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        return window

    yield make
    for window in windows:
        window.close()  # stops the feed watcher and says goodbye to presence


def settle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: tasks.is_idle() and not window.model.busy, timeout=10_000)


def show_view(qtbot: QtBot, window: MainWindow, key: str) -> None:
    """Pick a sidebar view (its counts load just after the first page) and wait for its rows."""
    window.sidebar.select_key(key)
    qtbot.waitUntil(lambda: window.sidebar.selected_key() == key, timeout=10_000)
    settle(qtbot, window)


def ticket_in_db(db: Database, ticket_id: int) -> Ticket:
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        session.expunge(ticket)
        return ticket


def select_row(qtbot: QtBot, window: MainWindow, row: int) -> int:
    index = window.model.index(row, Column.SUBJECT)
    window.view.setCurrentIndex(index)
    ticket_id = int(index.data(TicketRowRole).id)
    qtbot.waitUntil(
        lambda: (
            window.conversation.ticket_id == ticket_id
            and window.customer_panel.ticket_id == ticket_id
            and tasks.is_idle()
        )
    )
    return ticket_id


def test_every_part_loads_for_a_lead(
    demo_db: Database, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = make_window()
    settle(qtbot, window)
    qtbot.waitUntil(lambda: window.sidebar.selected_key() == "mine")
    assert window.actor is not None and window.actor.is_lead
    assert window.agent_label.text() == window.actor.name
    assert window.workload_dock is not None  # a lead sees the workload view
    show_view(qtbot, window, "all_open")
    with demo_db.read() as session:
        open_count = len(
            session.scalars(
                select(Ticket.id).where(Ticket.status.in_((TicketStatus.NEW, TicketStatus.OPEN)))
            ).all()
        )
    assert window.model.rowCount() == min(open_count, 40)
    qtbot.waitUntil(lambda: window.count_label.text() == f"{open_count} tickets")
    ticket_id = select_row(qtbot, window, 0)
    assert window.windowTitle().startswith(f"#{ticket_id} ")


def test_an_agent_sees_no_lead_tools(make_window: Callable[..., MainWindow], qtbot: QtBot) -> None:
    window = make_window(AGENT_EMAIL)
    settle(qtbot, window)
    assert window.workload_dock is None
    assert window.actor is not None and not window.actor.is_lead


def test_keyboard_triage_open_claim_categorise_resolve_next(
    demo_db: Database, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = make_window(AGENT_EMAIL)
    qtbot.waitUntil(lambda: window.sidebar.selected_key() == "mine")
    show_view(qtbot, window, "unassigned")
    assert window.model.rowCount() >= 2
    # Ctrl+3, All open: claimed tickets stay in this view.
    QTest.keyClick(window.view, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.sidebar.selected_key() == "all_open")
    settle(qtbot, window)
    window.focus_list()
    view = window.view
    while True:  # j until an unassigned ticket, as an agent would look for one
        QTest.keyClick(view, Qt.Key.Key_J)
        if view.currentIndex().data(TicketRowRole).assignee_id is None:
            break
    QTest.keyClick(view, Qt.Key.Key_Return)  # open it
    first = window.view.currentIndex().data(TicketRowRole)
    qtbot.waitUntil(lambda: window.conversation.ticket_id == first.id and tasks.is_idle())

    QTest.keyClick(window.view, Qt.Key.Key_C)  # claim
    me = window.actor
    assert me is not None
    qtbot.waitUntil(lambda: ticket_in_db(demo_db, first.id).assignee_id == me.id)

    window.focus_list()
    # The claim's answer is back (the bar acts on the new version) before the next key.
    qtbot.waitUntil(lambda: not window.action_bar.busy and tasks.is_idle())
    qtbot.waitUntil(window.action_bar.category_menu.isEnabled)
    QTest.keyClick(window.view, Qt.Key.Key_G)  # the category menu, at the row
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    QTest.keyClick(menu, Qt.Key.Key_Down)
    chosen = menu.activeAction()
    assert chosen is not None
    QTest.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ticket_in_db(demo_db, first.id).category_id is not None)
    # Offscreen, a closed popup keeps "activation"; a desktop's window manager gives it back.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    qtbot.waitUntil(lambda: window.action_bar.resolve_action.isEnabled() and tasks.is_idle())
    QTest.keyClick(window.view, Qt.Key.Key_E)  # resolve
    qtbot.waitUntil(lambda: ticket_in_db(demo_db, first.id).status == TicketStatus.RESOLVED)

    settle(qtbot, window)
    window.focus_list()
    before = window.view.currentIndex().data(TicketRowRole).id
    QTest.keyClick(window.view, Qt.Key.Key_J)  # next
    after = window.view.currentIndex().data(TicketRowRole)
    assert after is not None and after.id != before
    qtbot.waitUntil(lambda: window.conversation.ticket_id == after.id)


def test_another_writer_shows_within_two_seconds_and_the_selection_stays(
    demo_db: Database, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = make_window(live=True)
    show_view(qtbot, window, "all_open")
    qtbot.waitUntil(lambda: window.watcher.running)
    selected = select_row(qtbot, window, 2)
    other_row = next(
        row
        for row in (window.model.row_at(n) for n in range(window.model.rowCount()))
        if row.id != selected and row.assignee_id is None
    )
    other = open_database(demo_db.url.render_as_string(hide_password=False))
    try:
        with other.write() as session:
            alice = by_email(session, AGENT_EMAIL)
            tickets.claim(session, alice, other_row.id)  # another desktop claims a ticket
    finally:
        other.dispose()

    def shows_new_owner() -> bool:
        index = window.model.index_of(other_row.id, Column.ASSIGNEE)
        return index.isValid() and index.data() == "Emily Clarke"

    qtbot.waitUntil(shows_new_owner, timeout=2_000)
    assert window.view.currentIndex().data(TicketRowRole).id == selected

    # Now the selected ticket itself changes: sorted by last update it moves to the top, and
    # the selection moves with it.
    other = open_database(demo_db.url.render_as_string(hide_password=False))
    try:
        with other.write() as session:
            tickets.add_note(session, by_email(session, AGENT_EMAIL), selected, "seen it")
    finally:
        other.dispose()
    qtbot.waitUntil(lambda: window.model.row_at(0).id == selected, timeout=2_000)
    qtbot.waitUntil(lambda: window.view.currentIndex().data(TicketRowRole).id == selected)
    assert [i.row() for i in window.view.selectionModel().selectedRows()] == [0]


def test_customer_panel_shows_the_selected_tickets_customer(
    demo_db: Database, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = make_window()
    show_view(qtbot, window, "all_open")
    for row in (0, 3):
        ticket_id = select_row(qtbot, window, row)
        with demo_db.read() as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            numbers = set(
                session.scalars(select(Order.number).where(Order.contact_id == ticket.contact_id))
            )
            contact_id = ticket.contact_id
        history = window.customer_panel.history
        assert history is not None and history.contact.id == contact_id
        assert {order.number for order in history.orders} == numbers


def test_markup_in_a_subject_stays_literal(
    demo_db: Database, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    hostile = '<b>bold</b><img src="http://example.com/x.png"><script>alert(1)</script>'
    with demo_db.write() as session:
        lead = by_email(session, demo.DEMO_LEAD_EMAIL)
        created = tickets.create_ticket(session, lead, subject=hostile, body_text="body")
        ticket_id = created.id
    window = make_window()
    show_view(qtbot, window, "all_open")
    window.open_ticket(ticket_id)
    qtbot.waitUntil(lambda: window.conversation.ticket_id == ticket_id and tasks.is_idle())
    index = window.model.index_of(ticket_id, Column.SUBJECT)
    assert index.data() == hostile
    tooltip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert html.escape(hostile, quote=False) in tooltip and "<b>" not in tooltip
    qtbot.waitUntil(lambda: hostile in window.windowTitle())


def test_shortcuts_dialog_lists_the_triage_keys(
    make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: bool(window.sidebar.view_keys()))  # Ctrl+1… follow the views
    settle(qtbot, window)
    window.show_shortcuts()
    dialog = window.findChild(QMessageBox)  # none: the shortcuts dialog is its own class
    assert dialog is None
    from crm_desk.ui.shortcuts import ShortcutsDialog

    shortcuts = window.findChild(ShortcutsDialog)
    assert shortcuts is not None
    keys = {keys for _, keys in shortcuts.rows()}
    for key in ("C", "A", "N", "E", "S", "J", "K", "G", "/, Ctrl+F", "Ctrl+1", "F5"):
        assert key in keys, key
    shortcuts.close()


def test_layout_is_remembered(
    demo_db: Database, settings: QSettings, qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    settle(qtbot, window)
    window.main_splitter.setSizes([150, 800, 420])
    sizes = window.main_splitter.sizes()
    window.close()
    again = MainWindow(demo_db, None, settings=settings, live=False)
    qtbot.addWidget(again)
    again.resize(window.size())
    again.show()
    settle(qtbot, again)
    restored = again.main_splitter.sizes()
    # The same proportions (a different screen may scale them).
    assert [round(s / sum(restored), 2) for s in restored] == [
        round(s / sum(sizes), 2) for s in sizes
    ]
    assert again.agent_label.text() == "No agent profile: read only"
    again.close()


def test_errors_are_shown_in_one_place(
    make_window: Callable[..., MainWindow], qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    window = make_window()
    settle(qtbot, window)
    window.show_error(ConflictError("ticket #3 is already claimed by Bob"))
    assert window.statusBar().currentMessage() == "ticket #3 is already claimed by Bob"
    window.show_error(RuntimeError("disk on fire"))
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and box.textFormat() == Qt.TextFormat.PlainText
    assert "RuntimeError: disk on fire" in box.text()
    box.close()


def test_style_sheet_applies_without_warnings(
    make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    previous = app.styleSheet()
    try:
        load_style_sheet(app)  # a QSS parse error would be a Qt warning, failing this test
        window = make_window()
        settle(qtbot, window)
        assert app.styleSheet()
    finally:
        app.setStyleSheet(previous)


def test_a_million_tickets_open_on_the_first_page(
    tmp_path: Path, settings: QSettings, qtbot: QtBot
) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'million.sqlite3'}")
    try:
        fill_queue(db, 1_000_000)
        window = MainWindow(db, None, settings=settings, live=False, page_size=100)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.model.rowCount() == 100, timeout=30_000)
        # Newest activity first: the team's own ticket (made today), then the newest of the rest.
        second = window.model.index(1, Column.NUMBER).data(TicketRowRole)
        assert second.id > 999_000
        qtbot.waitUntil(lambda: window.count_label.text().endswith("tickets"), timeout=30_000)
        window.close()
        qtbot.waitUntil(tasks.is_idle, timeout=30_000)
    finally:
        db.dispose()


def test_keys_are_real_shortcuts(make_window: Callable[..., MainWindow], qtbot: QtBot) -> None:
    window = make_window()
    settle(qtbot, window)
    assert window.action_bar.claim_action.shortcut() == QKeySequence("C")
    assert window.next_action.shortcut() == QKeySequence("J")
    assert isinstance(window.actor, Actor)
