"""WorkloadView: the numbers per agent, drops and the context menu reassign, stale moves are
refused with who changed the ticket; the model passes qtmodeltester."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session

from crm_desk.core import agents, tickets
from crm_desk.core.queries import TicketFilter, TicketRow, TicketSort, list_tickets
from crm_desk.core.workload import AgentLoad, OldestWaiting
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Ticket
from crm_desk.ui import tasks
from crm_desk.ui.models.workload_model import (
    TICKET_IDS_MIME,
    Column,
    TicketRef,
    WorkloadModel,
    format_age,
    ticket_refs_from_mime,
    ticket_refs_mime_data,
)
from crm_desk.ui.views.workload_view import WorkloadView
from tests.support.factories import Team, make_team


def actor(session: Session, agent_id: int) -> Agent:
    return agents.by_id(session, agent_id)


@pytest.fixture
def team(ui_db: Database) -> Team:
    """The team, with Alice holding three tickets (one pending, one overdue) and Bob none."""
    team = make_team(ui_db)
    with ui_db.write() as session:
        lead = actor(session, team.lead_id)
        now = datetime.now(UTC)
        for n, status, due in (
            (1, None, None),
            (2, "pending", None),
            (3, None, now - timedelta(hours=2)),
        ):
            made = tickets.create_ticket(
                session, None, subject=f"Alice {n}", created_at=now - timedelta(days=n)
            )
            tickets.assign(session, lead, made.id, team.alice_id)
            if status or due:
                tickets.update_ticket(
                    session, lead, made.id, tickets.TicketEdit(status=status, due_at=due)
                )
    return team


@pytest.fixture
def view(ui_db: Database, team: Team, qtbot: QtBot) -> Iterator[WorkloadView]:
    workload = WorkloadView(ui_db)
    qtbot.addWidget(workload)
    workload.set_actor(team.lead_id, True)
    workload.resize(720, 240)
    with qtbot.waitSignal(workload.loaded):
        workload.show()  # showing loads the numbers
    yield workload
    qtbot.waitUntil(tasks.is_idle)


def texts(view: WorkloadView, agent_id: int | None) -> list[str]:
    row = view.model.row_of(agent_id)
    return [str(view.model.index(row, column).data()) for column in Column]


def queue_rows(db: Database, *ids: int) -> list[TicketRow]:
    with db.read() as session:
        page = list_tickets(session, TicketFilter(), TicketSort("number", False), limit=100)
    return [row for row in page.rows if row.id in ids]


def owner(db: Database, ticket_id: int) -> int | None:
    with db.read() as session:
        return session.get_one(Ticket, ticket_id).assignee_id


def drop_on_row(view: WorkloadView, row: int, mime: QMimeData) -> bool:
    """Drag ``mime`` over the row's centre and drop it, as the queue's drag would; accepted?"""
    centre = view.table.visualRect(view.model.index(row, Column.AGENT)).center()
    actions = Qt.DropAction.MoveAction | Qt.DropAction.CopyAction
    button, no_key = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    viewport = view.table.viewport()
    QApplication.sendEvent(viewport, QDragEnterEvent(centre, actions, mime, button, no_key))
    move = QDragMoveEvent(centre, actions, mime, button, no_key)
    QApplication.sendEvent(viewport, move)
    if not move.isAccepted():
        return False
    drop = QDropEvent(QPointF(centre), actions, mime, button, no_key)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def test_numbers_per_agent_and_the_queue(view: WorkloadView, team: Team) -> None:
    assert [view.model.load_at(r).name for r in range(view.model.rowCount())] == [
        "Alice Agent",
        "Bob Agent",
        "佐藤 美咲",
        "",
    ]
    alice = texts(view, team.alice_id)
    assert alice[: Column.OLDEST_AGE] == ["Alice Agent", "2", "1", "1"]
    assert alice[Column.OLDEST_AGE].startswith("3 d ")  # "Alice 3", made three days ago
    assert alice[Column.OLDEST_TICKET].endswith("  Alice 3")
    assert texts(view, team.bob_id) == ["Bob Agent", "0", "0", "0", "", ""]
    queue = texts(view, None)
    assert queue[:4] == ["Unassigned", "1", "0", "0"]
    assert queue[Column.OLDEST_TICKET] == f"#{team.ticket_id}  注文した商品が届きません"
    assert view.totals_label.text() == "3 open · 1 pending · 1 overdue"


def test_dropping_queue_tickets_on_an_agent_reassigns_them(
    ui_db: Database, view: WorkloadView, team: Team, qtbot: QtBot
) -> None:
    other = queue_rows(ui_db, 2)[0]  # Alice's "Alice 1"
    mime = ticket_refs_mime_data([TicketRef(team.ticket_id, 1), TicketRef(other.id, other.version)])
    with qtbot.waitSignal(view.changed) as done, qtbot.waitSignal(view.loaded):
        assert drop_on_row(view, view.model.row_of(team.bob_id), mime)
    assert done.args == [[team.ticket_id, other.id]]
    assert owner(ui_db, team.ticket_id) == owner(ui_db, other.id) == team.bob_id
    assert texts(view, team.bob_id)[1:4] == ["2", "0", "0"]
    assert texts(view, team.alice_id)[1:4] == ["1", "1", "1"]
    assert texts(view, None)[1] == "0"


def test_dropping_on_unassigned_puts_tickets_back_in_the_queue(
    ui_db: Database, view: WorkloadView, qtbot: QtBot
) -> None:
    row = queue_rows(ui_db, 2)[0]
    with qtbot.waitSignal(view.changed):
        assert drop_on_row(
            view, view.model.row_of(None), ticket_refs_mime_data([TicketRef(2, None)])
        )
    assert owner(ui_db, row.id) is None


def test_a_stale_drop_is_refused_naming_who_changed_it(
    ui_db: Database, view: WorkloadView, team: Team, qtbot: QtBot
) -> None:
    mime = ticket_refs_mime_data([TicketRef(team.ticket_id, 1)])
    with ui_db.write() as session:  # Alice claims it after the lead started dragging
        tickets.claim(session, actor(session, team.alice_id), team.ticket_id)
    with qtbot.waitSignal(view.failed) as refused, qtbot.waitSignal(view.changed):
        assert drop_on_row(view, view.model.row_of(team.bob_id), mime)
    assert str(refused.args[0]).startswith(f"ticket #{team.ticket_id} was changed by Alice Agent")
    assert owner(ui_db, team.ticket_id) == team.alice_id


def test_dragging_an_agent_row_carries_the_oldest_waiting_ticket(
    ui_db: Database, view: WorkloadView, team: Team, qtbot: QtBot
) -> None:
    alice_row = view.model.row_of(team.alice_id)
    oldest = view.model.load_at(alice_row).oldest
    assert oldest is not None
    mime = view.model.mimeData([view.model.index(alice_row, 0)])
    assert ticket_refs_from_mime(mime) == [TicketRef(oldest.ticket_id, oldest.version)]
    bob_row = view.model.index(view.model.row_of(team.bob_id), 0)
    with qtbot.waitSignal(view.changed):
        assert view.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, bob_row)
    assert owner(ui_db, oldest.ticket_id) == team.bob_id


def test_context_menu_reassigns_the_queue_selection(
    ui_db: Database, view: WorkloadView, team: Team, qtbot: QtBot
) -> None:
    view.set_tickets(queue_rows(ui_db, team.ticket_id, 2))
    menu = view.context_menu_for(view.model.row_of(team.bob_id))
    actions = [a for a in menu.actions() if not a.isSeparator()]
    assert [a.text() for a in actions] == [
        "Reassign 2 selected tickets to Bob Agent",
        "Show tickets of Bob Agent",
        "Refresh",
    ]
    with qtbot.waitSignal(view.changed):
        actions[0].trigger()
    assert owner(ui_db, team.ticket_id) == owner(ui_db, 2) == team.bob_id

    alice_menu = view.context_menu_for(view.model.row_of(team.alice_id))
    open_oldest = alice_menu.actions()[1]
    assert open_oldest.text().startswith("Open oldest waiting ticket #")
    with qtbot.waitSignal(view.ticket_activated) as opened:
        open_oldest.trigger()
    assert opened.args == [4]  # "Alice 3", the oldest of hers still waiting


def test_agents_cannot_drop_or_reassign(
    ui_db: Database, view: WorkloadView, team: Team, qtbot: QtBot
) -> None:
    view.set_actor(team.alice_id, False)
    mime = ticket_refs_mime_data([TicketRef(team.ticket_id, 1)])
    bob = view.model.index(view.model.row_of(team.bob_id), 0)
    assert not view.model.canDropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, bob)
    assert not view.model.flags(bob) & Qt.ItemFlag.ItemIsDropEnabled
    assert not drop_on_row(view, bob.row(), mime)
    view.set_tickets(queue_rows(ui_db, team.ticket_id))
    assert not view.context_menu_for(bob.row()).actions()[0].isEnabled()
    view.reassign([TicketRef(team.ticket_id, 1)], team.bob_id)  # ignored
    assert tasks.is_idle() and owner(ui_db, team.ticket_id) is None


def test_drops_between_rows_or_of_other_data_are_refused(view: WorkloadView, team: Team) -> None:
    mime = ticket_refs_mime_data([TicketRef(team.ticket_id, 1)])
    bob = view.model.index(view.model.row_of(team.bob_id), 0)
    move = Qt.DropAction.MoveAction
    assert view.model.canDropMimeData(mime, move, -1, -1, bob)
    assert not view.model.canDropMimeData(mime, move, 1, 0, QModelIndex())
    assert not view.model.canDropMimeData(mime, Qt.DropAction.LinkAction, -1, -1, bob)
    text = QMimeData()
    text.setText("12")
    assert not view.model.canDropMimeData(text, move, -1, -1, bob)
    for junk in (
        b"not json",
        b'{"tickets": [{"id": "1"}]}',
        b'[{"id": true}]',
        b'[{"id": 1, "version": 1.5}]',
        b"[]",
        b'{"tickets": 5}',
        b"[12]",
    ):
        bad = QMimeData()
        bad.setData(TICKET_IDS_MIME, junk)
        assert ticket_refs_from_mime(bad) == []
        assert not view.model.canDropMimeData(bad, move, -1, -1, bob)


def load(agent_id: int | None, name: str, open_: int, *, oldest_days: int | None) -> AgentLoad:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    oldest = None
    if oldest_days is not None:
        age = timedelta(days=oldest_days, hours=1)
        oldest = OldestWaiting(agent_id or 99, f"<b>{name}</b>", 1, now - age, age)
    return AgentLoad(agent_id, name, f"{name}@example.com", "agent", True, open_, 0, 0, oldest)


def test_qtmodeltester(qtmodeltester: ModelTester) -> None:
    model = WorkloadModel()
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    model.set_rows([load(1, "a", 3, oldest_days=2), load(None, "", 1, oldest_days=None)])
    model.set_rows([load(1, "a", 4, oldest_days=3), load(None, "", 1, oldest_days=None)])
    model.sort(Column.OPEN, Qt.SortOrder.DescendingOrder)
    model.set_rows([load(2, "b", 1, oldest_days=None), load(1, "a", 5, oldest_days=1)])
    model.sort(Column.AGENT, Qt.SortOrder.AscendingOrder)
    qtmodeltester.check(model, force_py=True)  # type: ignore[no-untyped-call]


def test_sorting_keeps_the_queue_last_and_text_plain() -> None:
    model = WorkloadModel()
    model.set_rows(
        [
            load(1, "Ann", 1, oldest_days=1),
            load(2, "Ben", 5, oldest_days=4),
            load(None, "", 9, oldest_days=None),
        ]
    )
    model.sort(Column.OPEN, Qt.SortOrder.DescendingOrder)
    assert [model.load_at(r).agent_id for r in range(3)] == [2, 1, None]
    model.sort(Column.OLDEST_AGE, Qt.SortOrder.AscendingOrder)
    assert [model.load_at(r).agent_id for r in range(3)] == [1, 2, None]
    subject = model.index(0, Column.OLDEST_TICKET)
    assert subject.data() == "#1  <b>Ann</b>"
    assert "&lt;b&gt;" in str(subject.data(Qt.ItemDataRole.ToolTipRole))


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=59), "0 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=5, minutes=12), "5 h 12 min"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
    ],
)
def test_ages(age: timedelta, text: str) -> None:
    assert format_age(age) == text


def test_both_ways_of_writing_the_payload_are_read() -> None:
    refs = [TicketRef(12, 3), TicketRef(40, None)]
    for payload in (
        b'[{"id": 12, "version": 3}, {"id": 40, "version": null}]',
        b'{"tickets": [{"id": 12, "version": 3}, {"id": 40}]}',
    ):
        mime = QMimeData()
        mime.setData(TICKET_IDS_MIME, payload)
        assert ticket_refs_from_mime(mime) == refs
    written = ticket_refs_mime_data(refs)
    assert bytes(written.data(TICKET_IDS_MIME).data()) == (
        b'[{"id": 12, "version": 3}, {"id": 40, "version": null}]'
    )
    assert written.text() == "#12 #40"
