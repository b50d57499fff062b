"""New-ticket notifications: only tickets in the agent's views, literal text, a click opens it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QMainWindow, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from crm_desk.core import agents, tickets
from crm_desk.core.queries import TicketFilter
from crm_desk.core.views import TicketHeadline
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.live import ChangeWatcher
from crm_desk.ui.notifications import Notice, Notifier, one_line
from tests.support.factories import Team, make_team

LIVE_MS = 2000
HOSTILE = '<b>bold</b> <img src="http://example.com/pixel.png"> <script>alert(1)</script> & co'
UNASSIGNED = TicketFilter(statuses=("new", "open", "pending"), unassigned=True)


@pytest.fixture
def notices() -> list[Notice]:
    return []


@pytest.fixture
def notifier(ui_db: Database, notices: list[Notice], qtbot: QtBot) -> Iterator[Notifier]:
    made = Notifier(ui_db, display=notices.append, markup=False)
    yield made
    qtbot.waitUntil(tasks.is_idle)


def rendered_as_markup(body: str) -> str:
    """What a notification server that reads markup would show."""
    document = QTextDocument()
    document.setHtml(body.replace("\n", "<br>"))
    return document.toPlainText().replace("\u2028", "\n")  # <br> reads back as U+2028


def new_ticket(db: Database, team: Team, subject: str) -> int:
    with db.write() as session:
        return tickets.create_ticket(session, None, subject=subject, contact_id=team.contact_id).id


@pytest.mark.parametrize("markup", [False, True])
def test_a_hostile_subject_and_sender_show_literally(ui_db: Database, markup: bool) -> None:
    shown: list[Notice] = []
    notifier = Notifier(ui_db, display=shown.append, markup=markup)
    sender = "<i>Eve</i> <a href='javascript:alert(2)'>x</a>"
    notifier.notify([TicketHeadline(42, HOSTILE, sender)])

    (notice,) = shown
    assert notice.title == "New ticket #42"
    assert notice.ticket_id == 42
    expected = f"{HOSTILE}\nFrom {sender}"
    if markup:
        # A server that reads markup shows exactly the characters; no tag survives unescaped.
        assert rendered_as_markup(notice.body) == expected
        assert "<" not in notice.body and ">" not in notice.body
    else:
        assert notice.body == expected  # plain-text displays get the text as it is


def test_several_new_tickets_make_one_notice_that_opens_the_newest(
    notifier: Notifier, notices: list[Notice], qtbot: QtBot
) -> None:
    headlines = [TicketHeadline(n, f"Subject {n}", None) for n in (9, 8, 7, 6, 5)]
    notifier.notify(headlines)
    (notice,) = notices
    assert notice.title == "5 new tickets"
    assert notice.body.splitlines() == [
        "#9: Subject 9",
        "#8: Subject 8",
        "#7: Subject 7",
        "and 2 more",
    ]
    with qtbot.waitSignal(notifier.open_ticket) as opened:
        notifier.activate()  # what a click on the message does
    assert opened.args == [9]


def test_values_are_flattened_and_shortened() -> None:
    assert one_line("a\r\nb\x1b[31m\tc\u2028d") == "a b [31m c d"
    assert one_line("x" * 500, limit=10) == "x" * 9 + "…"


def test_only_new_tickets_in_the_agents_views_are_announced(
    ui_db: Database, notifier: Notifier, notices: list[Notice], qtbot: QtBot
) -> None:
    team = make_team(ui_db)
    mine = TicketFilter(statuses=("new", "open", "pending"), assignee_id=team.bob_id)
    notifier.set_views([UNASSIGNED, mine])
    other = new_ticket(ui_db, team, HOSTILE)
    with ui_db.write() as session:
        tickets.claim(session, agents.by_id(session, team.alice_id), other)  # not Bob's view

    notifier.on_tickets_created([team.ticket_id, other])
    qtbot.waitUntil(lambda: len(notices) == 1)
    assert notices[0].ticket_id == team.ticket_id
    assert notices[0].body.splitlines() == ["注文した商品が届きません", "From 山田 太郎"]

    notifier.on_tickets_created([other])  # in none of the views: silence
    notifier.set_enabled(False)
    notifier.on_tickets_created([team.ticket_id])
    qtbot.waitUntil(tasks.is_idle)
    assert len(notices) == 1


def test_a_ticket_from_another_writer_is_announced_within_2s(
    ui_db: Database, notifier: Notifier, notices: list[Notice], qtbot: QtBot
) -> None:
    team = make_team(ui_db)
    notifier.set_views([UNASSIGNED])
    watcher = ChangeWatcher(ui_db, interval_ms=100)
    watcher.tickets_created.connect(notifier.on_tickets_created)
    with qtbot.waitSignal(watcher.ready):
        watcher.start()
    other_desktop = Database(ui_db.url)
    try:
        with qtbot.waitSignal(notifier.shown, timeout=LIVE_MS):
            ticket_id = new_ticket(other_desktop, team, HOSTILE)
        assert notices[-1].title == f"New ticket #{ticket_id}"
        assert notices[-1].body.splitlines()[0] == HOSTILE
        with qtbot.waitSignal(notifier.open_ticket) as opened:
            notifier.activate()
        assert opened.args == [ticket_id]
    finally:
        watcher.stop()
        qtbot.waitUntil(tasks.is_idle)
        other_desktop.dispose()


def test_without_a_tray_the_status_bar_says_it_as_plain_text(ui_db: Database, qtbot: QtBot) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen has no tray
    window = QMainWindow()
    qtbot.addWidget(window)
    notifier = Notifier(ui_db, window, status_bar=window.statusBar())
    assert notifier.tray is None
    notifier.notify([TicketHeadline(7, HOSTILE, None)])
    assert window.statusBar().currentMessage() == f"New ticket #7: {HOSTILE}"

    notifier.set_enabled(False)
    window.statusBar().clearMessage()
    notifier.notify([TicketHeadline(8, "quiet", None)])
    assert window.statusBar().currentMessage() == ""
