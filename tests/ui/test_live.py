"""Live updates through the change feed: another writer's change shows within 2 s, selection kept.

The writers are what the issue names: a second ``Database`` object on the same file (another
desktop), a separate process, and, on PostgreSQL, a second "window" with its own engine.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QObject
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from crm_desk.core import agents, changes, tickets
from crm_desk.core.changes import FeedItem
from crm_desk.core.queries import TicketSort
from crm_desk.errors import AlreadyClaimedError, ConflictError
from crm_desk.store.db import Database
from crm_desk.store.schema import open_database
from crm_desk.ui import tasks
from crm_desk.ui.live import ChangeWatcher, FeedBatch, PresenceReporter
from crm_desk.ui.models.queue_model import Column, QueueModel
from crm_desk.ui.views.presence_bar import PresenceBar
from tests.support.factories import Team, make_team
from tests.support.postgres import PostgresCluster

LIVE_MS = 2000  # the issue's promise: other desktops' changes show within 2 s

MakeWatcher = Callable[[Database], ChangeWatcher]


@pytest.fixture
def make_watcher(qtbot: QtBot) -> Iterator[MakeWatcher]:
    """Started watchers, stopped before their database is disposed."""
    made: list[ChangeWatcher] = []

    def make(db: Database) -> ChangeWatcher:
        watcher = ChangeWatcher(db, interval_ms=100)
        made.append(watcher)
        with qtbot.waitSignal(watcher.ready):
            watcher.start()
        return watcher

    yield make
    for watcher in made:
        watcher.stop()
    qtbot.waitUntil(tasks.is_idle)


@pytest.fixture
def other_desktop(ui_db: Database) -> Iterator[Database]:
    """A second Database object on the same SQLite file: another desktop's engine."""
    other = Database(ui_db.url)
    yield other
    other.dispose()


def add_tickets(db: Database, team: Team, count: int) -> list[int]:
    with db.write() as session:
        return [
            tickets.create_ticket(
                session, None, subject=f"Ticket {n}", contact_id=team.contact_id
            ).id
            for n in range(count)
        ]


def claim(db: Database, agent_id: int, ticket_id: int) -> None:
    with db.write() as session:
        tickets.claim(session, agents.by_id(session, agent_id), ticket_id)


def settle(qtbot: QtBot, model: QueueModel) -> None:
    qtbot.waitUntil(lambda: not model.busy and tasks.is_idle())


def assignee_of(model: QueueModel, ticket_id: int) -> str | None:
    index = model.index_of(ticket_id)
    return model.row_at(index.row()).assignee_name if index.isValid() else None


def selected_ids(model: QueueModel, selection: QItemSelectionModel) -> list[int]:
    return sorted(model.row_at(index.row()).id for index in selection.selectedRows())


def select(model: QueueModel, selection: QItemSelectionModel, ticket_id: int) -> None:
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    selection.select(model.index_of(ticket_id), flags)


def follow(watcher: ChangeWatcher, model: QueueModel) -> None:
    watcher.tickets_changed.connect(lambda _ids: model.refresh())


# --- sorting the feed --------------------------------------------------------------------------


def test_feed_batches_are_sorted_by_what_they_mean() -> None:
    items = [
        FeedItem(1, "ticket", 7, "ticket.created", None),
        FeedItem(2, "ticket", 7, "ticket.message_received", None),
        FeedItem(3, "ticket", 3, "ticket.claimed", 2),
        FeedItem(4, "presence", 3, "presence", 2),
        FeedItem(5, "contact", 9, "contact.updated", 2),
        FeedItem(6, "presence", 3, "presence", 4),
    ]
    batch = FeedBatch.of(items)
    assert batch.tickets_changed == [7, 3]
    assert batch.tickets_created == [7]
    assert batch.presence_changed == [3]
    assert batch.contacts_changed == [9]
    assert batch.counts_stale

    quiet = FeedBatch.of([FeedItem(1, "presence", 3, "presence", 2)])
    assert not quiet.counts_stale and quiet.tickets_changed == []
    assert FeedBatch.of([FeedItem(1, "quarantine", 1, "mail.quarantined", None)]).counts_stale


# --- another desktop on the same SQLite file ---------------------------------------------------


@pytest.mark.parametrize("sort", [TicketSort("number"), TicketSort("updated")])
def test_a_claim_on_another_desktop_shows_within_2s_with_the_selection_kept(
    ui_db: Database,
    other_desktop: Database,
    make_watcher: MakeWatcher,
    qtbot: QtBot,
    sort: TicketSort,
) -> None:
    team = make_team(ui_db)
    ids = [team.ticket_id, *add_tickets(ui_db, team, 5)]
    model = QueueModel(ui_db, sort=sort)
    settle(qtbot, model)
    selection = QItemSelectionModel(model)
    kept = ids[2]  # selected here; the claim is on another row
    select(model, selection, kept)
    watcher = make_watcher(ui_db)
    follow(watcher, model)

    with qtbot.waitSignal(watcher.tickets_changed, timeout=LIVE_MS) as changed:
        claim(other_desktop, team.alice_id, ids[4])
    assert changed.args == [[ids[4]]]
    qtbot.waitUntil(lambda: assignee_of(model, ids[4]) == "Alice Agent", timeout=LIVE_MS)

    settle(qtbot, model)
    assert selected_ids(model, selection) == [kept]
    assert model.rowCount() == len(ids)


def test_the_selected_ticket_itself_updates_in_place(
    ui_db: Database, other_desktop: Database, make_watcher: MakeWatcher, qtbot: QtBot
) -> None:
    team = make_team(ui_db)
    ids = [team.ticket_id, *add_tickets(ui_db, team, 3)]
    model = QueueModel(ui_db, sort=TicketSort("number"))
    settle(qtbot, model)
    selection = QItemSelectionModel(model)
    select(model, selection, ids[1])
    row_before = model.index_of(ids[1]).row()
    follow(make_watcher(ui_db), model)

    with qtbot.waitSignal(model.dataChanged, timeout=LIVE_MS):
        claim(other_desktop, team.bob_id, ids[1])

    assert assignee_of(model, ids[1]) == "Bob Agent"
    assert model.index_of(ids[1]).row() == row_before
    assert selected_ids(model, selection) == [ids[1]]


def test_new_tickets_from_another_writer_are_announced_and_listed(
    ui_db: Database, other_desktop: Database, make_watcher: MakeWatcher, qtbot: QtBot
) -> None:
    team = make_team(ui_db)
    model = QueueModel(ui_db)
    settle(qtbot, model)
    watcher = make_watcher(ui_db)
    follow(watcher, model)
    created: list[int] = []
    watcher.tickets_created.connect(created.extend)

    with qtbot.waitSignal(watcher.counts_stale, timeout=LIVE_MS):
        new_ids = add_tickets(other_desktop, team, 2)
    assert created == new_ids
    qtbot.waitUntil(lambda: all(model.index_of(i).isValid() for i in new_ids), timeout=LIVE_MS)


def test_the_watcher_starts_from_now_and_reads_big_batches_in_a_row(
    ui_db: Database, other_desktop: Database, qtbot: QtBot
) -> None:
    team = make_team(ui_db)
    with ui_db.read() as session:
        start = changes.latest_seq(session)
    watcher = ChangeWatcher(ui_db, interval_ms=100, batch_limit=3)
    seen: list[int] = []
    watcher.tickets_created.connect(seen.extend)
    with qtbot.waitSignal(watcher.ready):
        watcher.start()
    assert watcher.last_seq == start  # what happened before is not reported
    new_ids = add_tickets(other_desktop, team, 8)
    qtbot.waitUntil(lambda: seen == new_ids, timeout=LIVE_MS)
    watcher.stop()
    qtbot.waitUntil(tasks.is_idle)
    add_tickets(other_desktop, team, 1)
    watcher.poll_now()  # stopped: does nothing
    assert tasks.is_idle() and seen == new_ids


def test_a_failing_poll_is_reported_once_then_retried_until_it_works(
    ui_db: Database,
    other_desktop: Database,
    make_watcher: MakeWatcher,
    qtbot: QtBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    team = make_team(ui_db)
    shown: list[BaseException] = []
    owner = QObject()
    tasks.install_error_handler(shown.append, owner=owner)
    watcher = make_watcher(ui_db)
    created: list[int] = []
    watcher.tickets_created.connect(created.extend)

    with other_desktop.write() as session:  # the feed goes away under the watcher
        session.execute(text("ALTER TABLE changes RENAME TO changes_away"))
    qtbot.waitUntil(lambda: len(shown) == 1)
    qtbot.waitUntil(lambda: any("failed again" in r.getMessage() for r in caplog.records))
    assert len(shown) == 1  # said once, not at every poll
    assert watcher.running

    with other_desktop.write() as session:
        session.execute(text("ALTER TABLE changes_away RENAME TO changes"))
    new_ids = add_tickets(other_desktop, team, 1)
    qtbot.waitUntil(lambda: created == new_ids, timeout=15_000)  # after the back-off
    caplog.clear()  # the unexpected error was logged on purpose


def test_a_watcher_that_cannot_start_can_be_started_again(
    tmp_path: Path, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    shown: list[BaseException] = []
    owner = QObject()
    tasks.install_error_handler(shown.append, owner=owner)
    empty = Database(f"sqlite:///{tmp_path / 'no-schema.sqlite3'}")
    watcher = ChangeWatcher(empty, interval_ms=50)
    watcher.start()
    qtbot.waitUntil(lambda: len(shown) == 1)
    assert not watcher.running and watcher.last_seq is None
    qtbot.waitUntil(tasks.is_idle)
    empty.dispose()
    caplog.clear()


# --- another process ---------------------------------------------------------------------------

_CLAIM_SCRIPT = textwrap.dedent(
    """
    import sys
    from crm_desk.core import agents, tickets
    from crm_desk.store.db import Database

    db = Database(sys.argv[1])
    with db.write() as session:
        tickets.claim(session, agents.by_email(session, sys.argv[2]), int(sys.argv[3]))
    db.dispose()
    """
)


def test_a_claim_by_another_process_shows_within_2s(
    ui_db: Database, make_watcher: MakeWatcher, qtbot: QtBot
) -> None:
    team = make_team(ui_db)
    ids = [team.ticket_id, *add_tickets(ui_db, team, 3)]
    model = QueueModel(ui_db, sort=TicketSort("number"))
    settle(qtbot, model)
    selection = QItemSelectionModel(model)
    select(model, selection, ids[0])
    follow(make_watcher(ui_db), model)

    url = ui_db.url.render_as_string(hide_password=False)
    writer = subprocess.Popen(
        [sys.executable, "-c", _CLAIM_SCRIPT, url, "bob@example.com", str(ids[2])],
        stderr=subprocess.PIPE,
        text=True,
    )
    qtbot.waitUntil(lambda: writer.poll() is not None, timeout=60_000)  # interpreter start-up
    assert writer.returncode == 0, writer.communicate()[1]

    # The clock starts when the other process has committed and exited.
    qtbot.waitUntil(lambda: assignee_of(model, ids[2]) == "Bob Agent", timeout=LIVE_MS)
    settle(qtbot, model)
    assert selected_ids(model, selection) == [ids[0]]
    assert model.data(model.index_of(ids[2], Column.ASSIGNEE)) == "Bob Agent"


# --- two windows on one PostgreSQL database ----------------------------------------------------


@pytest.mark.postgres
def test_two_windows_on_postgresql_see_each_others_claims_and_presence(
    pg_cluster: PostgresCluster, make_watcher: MakeWatcher, qtbot: QtBot
) -> None:
    url = pg_cluster.create_database()
    window_a = open_database(url)
    window_b = Database(url)  # its own engine and connections, like another desktop
    watching: list[ChangeWatcher] = []
    try:
        team = make_team(window_a)
        model_a = QueueModel(window_a, sort=TicketSort("number"))
        model_b = QueueModel(window_b, sort=TicketSort("number"))
        settle(qtbot, model_a)
        settle(qtbot, model_b)
        watcher_b = make_watcher(window_b)
        watching.append(watcher_b)
        follow(watcher_b, model_b)
        bar_b = PresenceBar(window_b, team.bob_id)
        qtbot.addWidget(bar_b)
        bar_b.show_ticket(team.ticket_id)
        watcher_b.presence_changed.connect(bar_b.on_presence_changed)

        # Alice, in window A, opens the ticket and claims it.
        reporter_a = PresenceReporter(window_a, team.alice_id)
        reporter_a.set_viewing(team.ticket_id)
        qtbot.waitUntil(lambda: bar_b.label.text() == "Alice Agent is viewing", timeout=LIVE_MS)
        claim(window_a, team.alice_id, team.ticket_id)

        qtbot.waitUntil(
            lambda: assignee_of(model_b, team.ticket_id) == "Alice Agent", timeout=LIVE_MS
        )
        # Bob, in window B, cannot claim it: he is told who has it.
        with pytest.raises(ConflictError, match="Alice Agent") as refused:
            claim(window_b, team.bob_id, team.ticket_id)
        assert isinstance(refused.value, AlreadyClaimedError)
        assert refused.value.owner_email == "alice@example.com"

        reporter_a.leave()
        qtbot.waitUntil(bar_b.isHidden, timeout=LIVE_MS)
        settle(qtbot, model_b)
    finally:
        for watcher in watching:
            watcher.stop()
        qtbot.waitUntil(tasks.is_idle)
        window_a.dispose()
        window_b.dispose()
