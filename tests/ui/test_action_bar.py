"""ActionBar: commands from the UI change the database; roles hide what they may not do;
collisions are refused with who did it, and the view is told to refresh."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_desk.core import agents, tickets
from crm_desk.core.queries import TicketFilter, TicketRow, TicketSort, list_tickets
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Direction, Event, Message, Ticket
from crm_desk.ui import tasks
from crm_desk.ui.dialogs.assign_dialog import AssignDialog
from crm_desk.ui.dialogs.merge_dialog import MergeDialog
from crm_desk.ui.dialogs.note_dialog import NoteDialog
from crm_desk.ui.dialogs.tags_dialog import TagsDialog
from crm_desk.ui.views.action_bar import ActionBar
from tests.support.factories import Team, make_team

D = TypeVar("D", bound=QDialog)


@pytest.fixture
def team(ui_db: Database) -> Team:
    return make_team(ui_db)


@pytest.fixture
def bar(ui_db: Database, qtbot: QtBot) -> Iterator[ActionBar]:
    action_bar = ActionBar(ui_db)
    qtbot.addWidget(action_bar)
    yield action_bar
    qtbot.waitUntil(tasks.is_idle)


def actor(session: Session, agent_id: int) -> Agent:
    return agents.by_id(session, agent_id)


def rows(db: Database, *ids: int) -> list[TicketRow]:
    """The queue's rows for ``ids``, as the queue would hand them to the bar."""
    with db.read() as session:
        page = list_tickets(session, TicketFilter(), TicketSort("number", False), limit=500)
    by_id = {row.id: row for row in page.rows}
    return [by_id[ticket_id] for ticket_id in ids]


def new_ticket(db: Database, subject: str) -> int:
    with db.write() as session:
        return tickets.create_ticket(session, None, subject=subject).id


def ticket(db: Database, ticket_id: int) -> Ticket:
    with db.read() as session:
        found = session.get_one(Ticket, ticket_id)
        session.expunge(found)
        return found


def act_as(qtbot: QtBot, bar: ActionBar, agent_id: int, *, lead: bool = False) -> None:
    bar.set_actor(agent_id, lead)
    qtbot.waitUntil(tasks.is_idle)  # the agents and categories for dialogs and menus


def run(qtbot: QtBot, bar: ActionBar, trigger: Callable[[], object]) -> list[int]:
    """Trigger an action and wait for ``changed``; the ids it carried."""
    with qtbot.waitSignal(bar.changed, timeout=10_000) as blocker:
        trigger()
    assert blocker.args is not None
    ids: list[int] = blocker.args[0]
    return ids


def wait_dialog(qtbot: QtBot, bar: ActionBar, kind: type[D]) -> D:
    qtbot.waitUntil(lambda: isinstance(bar.open_dialog, kind))
    dialog = bar.open_dialog
    assert isinstance(dialog, kind)
    return dialog


def test_nothing_is_possible_without_an_actor_or_a_selection(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    bar.set_tickets(rows(ui_db, team.ticket_id))
    assert not bar.claim_action.isEnabled() and not bar.note_action.isEnabled()
    act_as(qtbot, bar, team.alice_id)
    bar.set_tickets([])
    for action in (bar.claim_action, bar.assign_action, bar.note_action, bar.resolve_action):
        assert not action.isEnabled()
    assert not bar.status_menu.menuAction().isEnabled()


def test_claim_then_resolve_change_the_database(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    act_as(qtbot, bar, team.alice_id)
    bar.set_tickets(rows(ui_db, team.ticket_id))
    assert bar.claim_action.isEnabled() and not bar.release_action.isEnabled()
    assert run(qtbot, bar, bar.claim_action.trigger) == [team.ticket_id]
    claimed = ticket(ui_db, team.ticket_id)
    assert (claimed.assignee_id, claimed.status, claimed.version) == (team.alice_id, "open", 2)
    # The bar took the new version from its own write: the next command is not "stale".
    assert not bar.claim_action.isEnabled() and bar.release_action.isEnabled()
    run(qtbot, bar, bar.resolve_action.trigger)
    resolved = ticket(ui_db, team.ticket_id)
    assert (resolved.status, resolved.version) == ("resolved", 3)
    assert resolved.resolved_at is not None


def test_an_older_snapshot_of_the_selection_keeps_the_bars_newer_version(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    act_as(qtbot, bar, team.alice_id)
    before = rows(ui_db, team.ticket_id)
    bar.set_tickets(before)
    run(qtbot, bar, bar.claim_action.trigger)
    bar.set_tickets(before)  # the queue repaints the row from before the claim
    assert [row.version for row in bar.selected_rows()] == [2]
    run(qtbot, bar, bar.resolve_action.trigger)  # not refused as stale
    assert ticket(ui_db, team.ticket_id).status == "resolved"


def test_claim_lost_to_another_agent_names_the_owner_and_refreshes(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    act_as(qtbot, bar, team.alice_id)
    bar.set_tickets(rows(ui_db, team.ticket_id))  # shown unassigned
    with ui_db.write() as session:  # meanwhile, on Bob's desktop
        tickets.claim(session, actor(session, team.bob_id), team.ticket_id)
    with qtbot.waitSignal(bar.failed) as refused:
        changed = run(qtbot, bar, bar.claim_action.trigger)
    assert changed == [team.ticket_id]  # the view refreshes and shows Bob
    assert refused.args == [
        f"ticket #{team.ticket_id} is already claimed by Bob Agent <bob@example.com>"
    ]
    assert ticket(ui_db, team.ticket_id).assignee_id == team.bob_id
    assert not bar.busy and bar.claim_action.isEnabled()  # ready again


def test_an_edit_on_a_stale_ticket_is_refused_with_who_changed_it(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    act_as(qtbot, bar, team.alice_id)
    bar.set_tickets(rows(ui_db, team.ticket_id))
    with ui_db.write() as session:
        tickets.set_priority(session, actor(session, team.bob_id), team.ticket_id, "low")
    with qtbot.waitSignal(bar.failed) as refused:
        run(qtbot, bar, bar.status_actions["pending"].trigger)
    message = str(refused.args[0])
    assert message.startswith(f"ticket #{team.ticket_id} was changed by Bob Agent at ")
    now = ticket(ui_db, team.ticket_id)
    assert (now.status, now.priority) == ("new", "low")


def test_status_priority_and_category_menus(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    act_as(qtbot, bar, team.alice_id)
    bar.set_tickets(rows(ui_db, team.ticket_id))
    assert [a.text() for a in bar.status_menu.actions()] == [
        "Open",
        "Pending",
        "Resolved",
        "Closed",
    ]
    assert [a.text() for a in bar.priority_menu.actions()] == ["Urgent", "High", "Normal", "Low"]
    assert bar.priority_actions["normal"].isChecked()
    assert list(bar.category_actions) == [None, team.category_id]
    # Category names are data: "&" stays an ampersand, never a keyboard mnemonic.
    assert bar.category_actions[team.category_id].text() == "Orders && delivery"
    assert bar.category_actions[None].isChecked()

    run(qtbot, bar, bar.status_actions["pending"].trigger)
    run(qtbot, bar, bar.priority_actions["urgent"].trigger)
    run(qtbot, bar, bar.category_actions[team.category_id].trigger)
    edited = ticket(ui_db, team.ticket_id)
    assert (edited.status, edited.priority, edited.category_id) == (
        "pending",
        "urgent",
        team.category_id,
    )
    bar.set_tickets(rows(ui_db, team.ticket_id))
    assert bar.status_actions["pending"].isChecked()
    assert bar.category_actions[team.category_id].isChecked()
    run(qtbot, bar, bar.category_actions[None].trigger)
    assert ticket(ui_db, team.ticket_id).category_id is None


def test_note_dialog_saves_with_ctrl_enter(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    act_as(qtbot, bar, team.bob_id)
    bar.set_tickets(rows(ui_db, team.ticket_id))
    bar.note_action.trigger()
    dialog = wait_dialog(qtbot, bar, NoteDialog)
    assert dialog.windowTitle() == f"Internal note on #{team.ticket_id}"
    assert not dialog.save_button.isEnabled()
    QTest.keyClicks(dialog.editor, "Called the customer.")
    QTest.keyClick(dialog.editor, Qt.Key.Key_Return)  # a new line, not a save
    dialog.editor.insertPlainText("折り返し待ち")  # QTest types Latin-1 only
    assert dialog.isVisible()
    with qtbot.waitSignal(bar.changed):
        QTest.keyClick(dialog.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with ui_db.read() as session:
        note = session.scalars(select(Message).where(Message.direction == Direction.NOTE)).one()
        assert (note.ticket_id, note.author_agent_id) == (team.ticket_id, team.bob_id)
        assert note.body_text == "Called the customer.\n折り返し待ち"


def test_escape_cancels_a_dialog_without_writing(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    act_as(qtbot, bar, team.bob_id)
    bar.set_tickets(rows(ui_db, team.ticket_id))
    bar.note_action.trigger()
    dialog = wait_dialog(qtbot, bar, NoteDialog)
    QTest.keyClicks(dialog.editor, "never saved")
    QTest.keyClick(dialog.editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: bar.open_dialog is None)
    assert ticket(ui_db, team.ticket_id).version == 1


def test_lead_assigns_by_typing_a_name(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    act_as(qtbot, bar, team.lead_id, lead=True)
    bar.set_tickets(rows(ui_db, team.ticket_id))
    bar.assign_action.trigger()
    dialog = wait_dialog(qtbot, bar, AssignDialog)
    names = [
        dialog.list_view.model().index(r, 0).data()
        for r in range(dialog.list_view.model().rowCount())
    ]
    assert names == [
        "Nobody (back to the queue)",
        "Alice Agent <alice@example.com>",
        "Bob Agent <bob@example.com>",
        "佐藤 美咲 <lead@example.com>",
    ]
    QTest.keyClicks(dialog.filter_edit, "bob")
    assert dialog.chosen_agent_id() == team.bob_id
    with qtbot.waitSignal(bar.changed):
        QTest.keyClick(dialog.filter_edit, Qt.Key.Key_Return)
    assert ticket(ui_db, team.ticket_id).assignee_id == team.bob_id


def test_lead_bulk_reassigns_two_tickets(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    other = new_ticket(ui_db, "second")
    with ui_db.write() as session:
        tickets.claim(session, actor(session, team.bob_id), other)
    act_as(qtbot, bar, team.lead_id, lead=True)
    bar.set_tickets(rows(ui_db, team.ticket_id, other))
    assert bar.assign_action.isVisible() and bar.assign_action.isEnabled()
    bar.assign_action.trigger()
    dialog = wait_dialog(qtbot, bar, AssignDialog)
    assert dialog.windowTitle() == "Assign 2 tickets"
    assert dialog.choose(team.alice_id)
    with qtbot.waitSignal(bar.changed) as done:
        dialog.accept()
    assert sorted(done.args[0]) == sorted([team.ticket_id, other])
    assert [ticket(ui_db, i).assignee_id for i in (team.ticket_id, other)] == [team.alice_id] * 2
    with ui_db.read() as session:
        moves = session.scalars(
            select(Event.ticket_id).where(
                Event.kind == "ticket.assigned", Event.agent_id == team.lead_id
            )
        ).all()
    assert set(moves) == {team.ticket_id, other} and len(moves) == 2


def test_an_agent_cannot_see_reassigning_others_tickets(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    with ui_db.write() as session:
        tickets.claim(session, actor(session, team.bob_id), team.ticket_id)
    act_as(qtbot, bar, team.alice_id)
    bar.set_tickets(rows(ui_db, team.ticket_id))  # Bob's ticket
    assert not bar.assign_action.isVisible()
    assert not bar.release_action.isEnabled() and not bar.claim_action.isEnabled()
    assert not bar.status_menu.menuAction().isEnabled()
    assert not bar.merge_action.isEnabled()
    assert (
        bar.merge_action.toolTip()
        == bar.status_menu.menuAction().toolTip()
        == (f"#{team.ticket_id} is claimed by Bob Agent; only they or a lead may change it")
    )
    assert bar.note_action.isEnabled()  # anyone may leave the team a note
    with qtbot.waitSignal(bar.failed) as refused:  # called anyway: the service refuses
        bar.assign_to(team.alice_id)
    assert "already claimed by Bob Agent" in str(refused.args[0])
    assert ticket(ui_db, team.ticket_id).assignee_id == team.bob_id


def test_an_agent_assigns_only_to_themselves_or_the_queue(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    act_as(qtbot, bar, team.alice_id)
    bar.set_tickets(rows(ui_db, team.ticket_id))  # unassigned
    assert bar.assign_action.isVisible()
    bar.assign_action.trigger()
    dialog = wait_dialog(qtbot, bar, AssignDialog)
    model = dialog.list_view.model()
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == [
        "Nobody (back to the queue)",
        "Alice Agent <alice@example.com>",
    ]
    assert dialog.choose(team.alice_id)
    with qtbot.waitSignal(bar.changed):
        dialog.accept()
    assert ticket(ui_db, team.ticket_id).assignee_id == team.alice_id


def test_tags_dialog_replaces_the_tags(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    with ui_db.write() as session:
        tickets.set_tags(session, actor(session, team.lead_id), team.ticket_id, ["vip"])
    act_as(qtbot, bar, team.alice_id)
    bar.set_tickets(rows(ui_db, team.ticket_id))
    bar.tags_action.trigger()
    dialog = wait_dialog(qtbot, bar, TagsDialog)
    assert dialog.editor.text() == "vip"
    dialog.editor.setText("vip、 返品 , refund,vip")
    assert dialog.tags() == ["vip", "返品", "refund"]
    with qtbot.waitSignal(bar.changed):
        QTest.keyClick(dialog.editor, Qt.Key.Key_Return)
    assert ticket(ui_db, team.ticket_id).tags == ["vip", "返品", "refund"]


def test_merge_shows_the_target_subject_before_merging(
    ui_db: Database, team: Team, bar: ActionBar, qtbot: QtBot
) -> None:
    source = new_ticket(ui_db, "Duplicate: <b>same</b> question")
    act_as(qtbot, bar, team.lead_id, lead=True)
    bar.set_tickets(rows(ui_db, source))
    bar.merge_action.trigger()
    dialog = wait_dialog(qtbot, bar, MergeDialog)
    assert not dialog.merge_button.isEnabled()
    QTest.keyClicks(dialog.number_edit, str(source))
    qtbot.waitUntil(lambda: "itself" in dialog.target_label.text())
    dialog.number_edit.clear()
    QTest.keyClicks(dialog.number_edit, "999")
    qtbot.waitUntil(lambda: dialog.target_label.text() == "There is no ticket #999.")
    assert not dialog.merge_button.isEnabled()
    dialog.number_edit.clear()
    QTest.keyClicks(dialog.number_edit, str(team.ticket_id))
    qtbot.waitUntil(dialog.merge_button.isEnabled)
    assert dialog.target_label.text() == f"#{team.ticket_id}  注文した商品が届きません  (New)"
    assert dialog.target_label.textFormat() == Qt.TextFormat.PlainText
    with qtbot.waitSignal(bar.changed) as done:
        QTest.keyClick(dialog.number_edit, Qt.Key.Key_Return)
    assert done.args[0] == [source, team.ticket_id]
    merged = ticket(ui_db, source)
    assert (merged.merged_into_id, merged.status) == (team.ticket_id, "closed")
