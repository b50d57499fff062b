"""The sidebar: sections of views with counts, selection by key, live counts that keep selection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QTextDocument
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from crm_desk.core import agents, categories, tickets
from crm_desk.core.queries import TicketFilter
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.live import ChangeWatcher
from crm_desk.ui.models.sidebar_model import (
    COUNT_COLUMN,
    NAME_COLUMN,
    CountRole,
    KeyRole,
    SidebarModel,
    ViewSpec,
)
from crm_desk.ui.views.sidebar import Sidebar
from tests.support.factories import Team, make_team

LIVE_MS = 2000
OPEN_ISH = ("new", "open", "pending")


@pytest.fixture
def team(ui_db: Database) -> Team:
    """The factory's team, plus: Alice holds one open ticket, one ticket is resolved."""
    made = make_team(ui_db)
    with ui_db.write() as session:
        alice = agents.by_id(session, made.alice_id)
        for subject in ("Alice's", "Resolved"):
            ticket = tickets.create_ticket(
                session, None, subject=subject, category_id=made.category_id
            )
            tickets.claim(session, alice, ticket.id)
        tickets.set_status(session, alice, ticket.id, "resolved")
    return made


@pytest.fixture
def sidebar(ui_db: Database, qtbot: QtBot) -> Iterator[Sidebar]:
    view = Sidebar(ui_db, debounce_ms=50)
    qtbot.addWidget(view)
    view.resize(240, 480)
    view.show()
    yield view
    qtbot.waitUntil(tasks.is_idle)


def load(qtbot: QtBot, sidebar: Sidebar, agent_id: int | None, is_lead: bool) -> None:
    with qtbot.waitSignal(sidebar.counts_loaded):
        sidebar.set_actor(agent_id, is_lead)


def shown(model: SidebarModel) -> list[tuple[str, list[tuple[str, str]]]]:
    """What the tree shows: each heading with its (name, count) rows."""
    sections = []
    for row in range(model.rowCount()):
        heading = model.index(row, NAME_COLUMN)
        items = [
            (
                str(model.index(r, NAME_COLUMN, heading).data()),
                str(model.index(r, COUNT_COLUMN, heading).data()),
            )
            for r in range(model.rowCount(heading))
        ]
        sections.append((str(heading.data()), items))
    return sections


def test_an_agent_sees_views_categories_and_mailboxes_with_counts(
    sidebar: Sidebar, team: Team, qtbot: QtBot
) -> None:
    load(qtbot, sidebar, team.alice_id, is_lead=False)
    assert shown(sidebar.sidebar_model) == [
        (
            "Views",
            [
                ("Unassigned", "1"),
                ("Mine", "1"),
                ("All open", "2"),
                ("Pending", "0"),
                ("Resolved", "1"),
                ("Closed", "0"),
            ],
        ),
        ("Categories", [("注文・配送", "1")]),
        ("Mailboxes", [("Quarantine", "0")]),
    ]
    heading = sidebar.sidebar_model.index(0, NAME_COLUMN)
    assert not heading.flags() & Qt.ItemFlag.ItemIsSelectable
    assert sidebar.isExpanded(heading)


def test_a_lead_also_sees_the_team(sidebar: Sidebar, team: Team, qtbot: QtBot) -> None:
    load(qtbot, sidebar, team.lead_id, is_lead=True)
    sections = dict(shown(sidebar.sidebar_model))
    assert sections["Team"] == [("Alice Agent", "1"), ("Bob Agent", "0"), ("佐藤 美咲", "0")]
    assert sections["Views"][1] == ("Mine", "0")


def test_choosing_a_view_emits_its_filter_once(sidebar: Sidebar, team: Team, qtbot: QtBot) -> None:
    load(qtbot, sidebar, team.alice_id, is_lead=False)
    model = sidebar.sidebar_model
    with qtbot.waitSignal(sidebar.view_selected) as chosen:
        sidebar.setCurrentIndex(model.index_of("mine"))
    spec = chosen.args[0]
    assert isinstance(spec, ViewSpec)
    assert spec == ViewSpec(
        "mine", "Mine", TicketFilter(statuses=OPEN_ISH, assignee_id=team.alice_id)
    )
    assert sidebar.current_view() == spec and sidebar.selected_key() == "mine"

    with qtbot.assertNotEmitted(sidebar.view_selected):
        sidebar.setCurrentIndex(model.index_of("mine").siblingAtColumn(COUNT_COLUMN))
        sidebar.setCurrentIndex(model.index(0, NAME_COLUMN))  # a heading is not a view

    with qtbot.waitSignal(sidebar.view_selected) as chosen:
        assert sidebar.select_key("quarantine")
    assert chosen.args[0].is_quarantine and chosen.args[0].ticket_filter is None
    assert sidebar.view_keys()[:3] == ["unassigned", "mine", "all_open"]


def test_notifications_follow_unassigned_mine_and_the_chosen_view(
    sidebar: Sidebar, team: Team, qtbot: QtBot
) -> None:
    load(qtbot, sidebar, team.alice_id, is_lead=False)
    unassigned = TicketFilter(statuses=OPEN_ISH, unassigned=True)
    mine = TicketFilter(statuses=OPEN_ISH, assignee_id=team.alice_id)
    assert sidebar.notification_filters() == [unassigned, mine]
    sidebar.select_key(f"category:{team.category_id}")
    category = TicketFilter(statuses=OPEN_ISH, category_id=team.category_id)
    assert sidebar.notification_filters() == [unassigned, mine, category]
    sidebar.select_key("quarantine")  # not a ticket list
    assert sidebar.notification_filters() == [unassigned, mine]


def test_a_view_chosen_before_the_counts_land_is_selected_when_they_do(
    sidebar: Sidebar, team: Team, qtbot: QtBot
) -> None:
    assert not sidebar.select_key("unassigned")
    with qtbot.waitSignal(sidebar.view_selected) as chosen:
        sidebar.set_actor(team.alice_id, False)
    assert chosen.args[0].key == "unassigned"


def test_counts_follow_another_desktops_changes_and_keep_the_selection(
    ui_db: Database, sidebar: Sidebar, team: Team, qtbot: QtBot
) -> None:
    load(qtbot, sidebar, team.alice_id, is_lead=False)
    sidebar.select_key("unassigned")
    watcher = ChangeWatcher(ui_db, interval_ms=100)
    watcher.counts_stale.connect(sidebar.refresh)
    with qtbot.waitSignal(watcher.ready):
        watcher.start()
    model = sidebar.sidebar_model
    other = Database(ui_db.url)
    try:
        with (
            qtbot.assertNotEmitted(sidebar.view_selected),
            qtbot.waitSignal(model.dataChanged, timeout=LIVE_MS),
            other.write() as session,
        ):
            tickets.claim(session, agents.by_id(session, team.alice_id), team.ticket_id)
        assert model.count("unassigned") == 0
        assert model.count("mine") == 2
        assert sidebar.selected_key() == "unassigned"

        # A new category changes the tree's shape: reset, selection put back silently.
        with (
            qtbot.assertNotEmitted(sidebar.view_selected),
            qtbot.waitSignal(model.modelReset, timeout=LIVE_MS),
            other.write() as session,
        ):
            categories.add_category(session, None, name="請求", name_en="Billing")
        assert [name for name, _ in dict(shown(model))["Categories"]] == ["注文・配送", "請求"]
        assert sidebar.selected_key() == "unassigned"
        assert sidebar.current_view() is not None
    finally:
        watcher.stop()
        qtbot.waitUntil(tasks.is_idle)
        other.dispose()


def test_refresh_calls_are_merged(sidebar: Sidebar, team: Team, qtbot: QtBot) -> None:
    load(qtbot, sidebar, team.alice_id, is_lead=False)
    loads: list[None] = []
    sidebar.counts_loaded.connect(lambda: loads.append(None))
    for _ in range(10):
        sidebar.refresh()
    qtbot.waitUntil(lambda: len(loads) == 1)
    qtbot.waitUntil(tasks.is_idle)
    assert len(loads) == 1


def test_names_are_plain_text_with_a_literal_tooltip(
    ui_db: Database, sidebar: Sidebar, team: Team, qtbot: QtBot
) -> None:
    hostile = "<b>VIP</b> <img src=http://example.com/x.png>"
    with ui_db.write() as session:
        category = categories.add_category(session, None, name=hostile, name_en="<i>vip</i>")
    load(qtbot, sidebar, team.alice_id, is_lead=False)
    index = sidebar.sidebar_model.index_of(f"category:{category.id}")
    assert index.data() == hostile
    document = QTextDocument()
    document.setHtml(str(index.data(Qt.ItemDataRole.ToolTipRole)))
    assert document.toPlainText() == "<i>vip</i>"


def test_qtmodeltester(
    ui_db: Database, sidebar: Sidebar, team: Team, qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    model = sidebar.sidebar_model
    qtmodeltester.check(model)  # empty, then attached through what follows
    load(qtbot, sidebar, team.lead_id, is_lead=True)
    with ui_db.write() as session:
        categories.add_category(session, None, name="請求")
        tickets.claim(session, agents.by_id(session, team.bob_id), team.ticket_id)
    with qtbot.waitSignal(model.modelReset):
        sidebar.refresh()
    load(qtbot, sidebar, team.alice_id, is_lead=False)  # the Team section goes
    qtmodeltester.check(model, force_py=True)
    assert model.index(0, 0).data(KeyRole) == "section:views"
    assert model.index(0, 0, model.index(0, 0)).data(CountRole) == 0
    assert model.rowCount(model.index(0, COUNT_COLUMN)) == 0
    assert not model.parent(QModelIndex()).isValid()
