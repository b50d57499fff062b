"""Presence between desktops: B sees "A is viewing" and then "A is replying" within 2 s."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from crm_desk.core import agents, changes, presence, tickets
from crm_desk.store.db import Database
from crm_desk.store.models import Presence, utcnow
from crm_desk.ui import tasks
from crm_desk.ui.live import ChangeWatcher, PresenceReporter
from crm_desk.ui.views.presence_bar import PresenceBar
from tests.support.factories import Team, make_team

LIVE_MS = 2000


@pytest.fixture
def desk_b(ui_db: Database) -> Iterator[Database]:
    """Agent B's desktop: its own Database object on the same file."""
    other = Database(ui_db.url)
    yield other
    other.dispose()


@pytest.fixture
def watcher_b(desk_b: Database, qtbot: QtBot) -> Iterator[ChangeWatcher]:
    watcher = ChangeWatcher(desk_b, interval_ms=100)
    with qtbot.waitSignal(watcher.ready):
        watcher.start()
    yield watcher
    watcher.stop()
    qtbot.waitUntil(tasks.is_idle)


@pytest.fixture
def team(ui_db: Database) -> Team:
    return make_team(ui_db)


MakeReporter = Callable[..., PresenceReporter]  # (db, agent_id, heartbeat_ms=…)


@pytest.fixture
def make_reporter(qtbot: QtBot) -> Iterator[MakeReporter]:
    """Reporters that leave (and so stop beating) before their database goes away."""
    made: list[PresenceReporter] = []

    def make(db: Database, agent_id: int, heartbeat_ms: int = 3000) -> PresenceReporter:
        reporter = PresenceReporter(db, agent_id, heartbeat_ms=heartbeat_ms)
        made.append(reporter)
        return reporter

    yield make
    for reporter in made:
        reporter.leave()
    qtbot.waitUntil(tasks.is_idle)


MakeBar = Callable[..., PresenceBar]


@pytest.fixture
def make_bar(desk_b: Database, watcher_b: ChangeWatcher, qtbot: QtBot) -> Iterator[MakeBar]:
    """B's presence bars, refreshed by B's change-feed watcher."""
    hosts: list[QWidget] = []

    def make(own_agent_id: int | None, **options: int) -> PresenceBar:
        host = QWidget()
        hosts.append(host)  # qtbot only holds a weak reference
        qtbot.addWidget(host)
        bar = PresenceBar(desk_b, own_agent_id, host, **options)
        watcher_b.presence_changed.connect(bar.on_presence_changed)
        host.show()
        return bar

    yield make
    qtbot.waitUntil(tasks.is_idle)


def row_of(db: Database, agent_id: int) -> tuple[int, str] | None:
    with db.read() as session:
        row = session.get(Presence, agent_id)
        return None if row is None else (row.ticket_id, row.activity)


def test_b_sees_a_viewing_then_replying_then_gone(
    ui_db: Database,
    team: Team,
    make_bar: MakeBar,
    qtbot: QtBot,
    make_reporter: MakeReporter,
) -> None:
    bar = make_bar(team.bob_id)
    bar.show_ticket(team.ticket_id)
    qtbot.waitUntil(tasks.is_idle)
    assert bar.isHidden() and bar.people == []

    reporter_a = make_reporter(ui_db, team.alice_id)
    reporter_a.set_viewing(team.ticket_id)
    qtbot.waitUntil(lambda: bar.label.text() == "Alice Agent is viewing", timeout=LIVE_MS)
    assert bar.isVisible()

    reporter_a.set_replying(True)
    qtbot.waitUntil(lambda: bar.label.text() == "Alice Agent is replying", timeout=LIVE_MS)

    reporter_a.leave()
    qtbot.waitUntil(bar.isHidden, timeout=LIVE_MS)
    assert row_of(ui_db, team.alice_id) is None
    qtbot.waitUntil(tasks.is_idle)


def test_own_presence_is_never_shown_and_several_people_are_listed(
    ui_db: Database,
    team: Team,
    make_bar: MakeBar,
    qtbot: QtBot,
    make_reporter: MakeReporter,
) -> None:
    bar = make_bar(team.bob_id)
    bar.show_ticket(team.ticket_id)

    reporter_b = make_reporter(ui_db, team.bob_id)
    reporter_b.set_viewing(team.ticket_id)
    qtbot.waitUntil(lambda: row_of(ui_db, team.bob_id) is not None)
    reporter_lead = make_reporter(ui_db, team.lead_id)
    reporter_lead.set_viewing(team.ticket_id)
    reporter_a = make_reporter(ui_db, team.alice_id)
    reporter_a.set_viewing(team.ticket_id)
    reporter_a.set_replying(True)

    expected = "Alice Agent is replying · 佐藤 美咲 is viewing"
    qtbot.waitUntil(lambda: bar.label.text() == expected, timeout=LIVE_MS)
    assert [p.agent_id for p in bar.people] == [team.alice_id, team.lead_id]

    # Another ticket shows its own people, never the previous ticket's.
    with ui_db.write() as session:
        other = tickets.create_ticket(session, None, subject="Other").id
    bar.show_ticket(other)
    assert bar.isHidden() and bar.people == []
    reporter_a.set_viewing(other)  # moving to another ticket ends replying
    qtbot.waitUntil(lambda: bar.label.text() == "Alice Agent is viewing", timeout=LIVE_MS)
    assert reporter_a.activity == "viewing"
    qtbot.waitUntil(tasks.is_idle)


def test_names_show_as_plain_text(
    ui_db: Database,
    team: Team,
    make_bar: MakeBar,
    qtbot: QtBot,
    make_reporter: MakeReporter,
) -> None:
    hostile = "<b>Mallory</b> <img src=http://example.com/x.png>"
    with ui_db.write() as session:
        mallory = agents.add_agent(session, None, name=hostile, email="mallory@example.com").id
    bar = make_bar(team.bob_id)
    bar.show_ticket(team.ticket_id)
    make_reporter(ui_db, mallory).set_viewing(team.ticket_id)

    qtbot.waitUntil(lambda: bar.label.text() == f"{hostile} is viewing", timeout=LIVE_MS)
    assert bar.label.textFormat() == Qt.TextFormat.PlainText
    qtbot.waitUntil(tasks.is_idle)


def test_heartbeats_keep_presence_fresh_and_a_silent_desktop_expires(
    ui_db: Database, team: Team, make_bar: MakeBar, qtbot: QtBot, make_reporter: MakeReporter
) -> None:
    reporter = make_reporter(ui_db, team.alice_id, heartbeat_ms=50)
    reporter.set_viewing(team.ticket_id)

    def seen_at() -> object:
        with ui_db.read() as session:
            row = session.get(Presence, team.alice_id)
            return None if row is None else row.seen_at

    qtbot.waitUntil(lambda: seen_at() is not None)
    first = seen_at()
    qtbot.waitUntil(lambda: seen_at() != first)  # the heartbeat rewrote it
    reporter.set_viewing(None)
    qtbot.waitUntil(lambda: seen_at() is None)

    # A desktop that vanished 8 s ago without leaving: shown now, gone once it is 10 s old.
    with ui_db.write() as session:
        presence.announce(
            session,
            team.lead_id,
            team.ticket_id,
            "viewing",
            now=utcnow() - timedelta(seconds=presence.MAX_AGE_S - 2),
        )
    bar = make_bar(team.bob_id, recheck_ms=200)
    bar.show_ticket(team.ticket_id)
    qtbot.waitUntil(lambda: bar.label.text() == "佐藤 美咲 is viewing")
    qtbot.waitUntil(bar.isHidden, timeout=5000)  # no feed row says so: the recheck notices
    qtbot.waitUntil(tasks.is_idle)


def test_paging_through_tickets_announces_only_where_the_agent_stops(
    ui_db: Database, team: Team, qtbot: QtBot, make_reporter: MakeReporter
) -> None:
    with ui_db.write() as session:
        ids = [tickets.create_ticket(session, None, subject=f"T{n}").id for n in range(5)]
    with ui_db.read() as session:  # feed rows are appended at commit
        start = changes.latest_seq(session)
    reporter = make_reporter(ui_db, team.alice_id)
    for ticket_id in ids:  # j, j, j, j, j
        reporter.set_viewing(ticket_id)
    reporter.set_replying(True)
    assert tasks.is_idle()  # nothing written while the agent is still moving
    qtbot.waitUntil(lambda: row_of(ui_db, team.alice_id) == (ids[-1], "replying"))
    qtbot.waitUntil(tasks.is_idle)
    with ui_db.read() as session:
        told = [(i.entity, i.entity_id) for i in changes.changes_since(session, start)]
    assert told == [("presence", ids[-1])]

    reporter.leave()  # at once, not after the settle time
    assert not tasks.is_idle()
    qtbot.waitUntil(lambda: row_of(ui_db, team.alice_id) is None)
    qtbot.waitUntil(tasks.is_idle)
