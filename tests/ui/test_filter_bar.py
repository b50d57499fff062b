"""FilterBar: a throttled search box (Esc clears) and filter controls that build TicketFilters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from crm_desk.core import agents, tickets
from crm_desk.core.queries import TicketFilter
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.models.queue_model import QueueModel
from crm_desk.ui.views.filter_bar import SEARCH_DELAY_MS, FilterBar
from tests.support.factories import Team, make_team

OPEN = ("new", "open")  # "All open", as the sidebar means it


@pytest.fixture
def team(ui_db: Database) -> Team:
    return make_team(ui_db)


@pytest.fixture
def bar(ui_db: Database, team: Team, qtbot: QtBot) -> Iterator[FilterBar]:
    widget = FilterBar(db=ui_db, agent_id=team.alice_id)
    qtbot.addWidget(widget)
    qtbot.waitUntil(tasks.is_idle)  # the category and agent lists
    yield widget


def texts(combo_owner: FilterBar, name: str) -> list[str]:
    combo = getattr(combo_owner, name)
    return [combo.itemText(i) for i in range(combo.count())]


# --- search --------------------------------------------------------------------------------------


def test_the_search_box(bar: FilterBar) -> None:
    box = bar.search_box
    assert box.objectName() == "searchBox"
    assert box.placeholderText() == "Search tickets (/)"
    assert box.isClearButtonEnabled()


def test_typing_fast_searches_once_when_typing_pauses(bar: FilterBar, qtbot: QtBot) -> None:
    searched: list[str] = []
    bar.search_changed.connect(searched.append)
    bar.show()
    qtbot.keyClicks(bar.search_box, "invoice")
    assert searched == []  # nothing yet: typing has not paused
    qtbot.waitUntil(lambda: searched != [], timeout=SEARCH_DELAY_MS * 8)
    assert searched == ["invoice"]
    with qtbot.assertNotEmitted(bar.search_changed, wait=SEARCH_DELAY_MS * 2):
        pass  # and nothing after it


def test_japanese_text_is_searched(bar: FilterBar, qtbot: QtBot) -> None:
    with qtbot.waitSignal(bar.search_changed, timeout=SEARCH_DELAY_MS * 8) as searched:
        bar.search_box.insert("請求書")  # what an input method commits
    assert searched.args == ["請求書"]


def test_enter_searches_at_once(bar: FilterBar, qtbot: QtBot) -> None:
    bar.show()
    qtbot.keyClicks(bar.search_box, "refund")
    with qtbot.waitSignal(bar.search_changed, timeout=50) as searched:
        qtbot.keyClick(bar.search_box, Qt.Key.Key_Return)
    assert searched.args == ["refund"]
    with qtbot.assertNotEmitted(bar.search_changed, wait=SEARCH_DELAY_MS * 2):
        pass  # the pending throttled search was the same one: not run again


def test_escape_clears_at_once_then_leaves_the_box(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    bar = FilterBar(parent)  # no database: no lists to load, the search box works alone
    QVBoxLayout(parent).addWidget(bar)
    # A window-wide Esc shortcut (say, "close the ticket") must not take Esc from the box.
    window_escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), parent)
    fired: list[bool] = []
    window_escape.activated.connect(lambda: fired.append(True))
    parent.show()
    parent.activateWindow()
    qtbot.waitActive(parent)
    bar.search_box.setFocus()
    bar.search_box.setText("注文")
    bar.search_box.returnPressed.emit()
    # Through the window, as a real key press arrives, so shortcuts get their chance first.
    window = parent.windowHandle()

    with qtbot.waitSignal(bar.search_changed, timeout=50) as cleared:
        QTest.keyClick(window, Qt.Key.Key_Escape)
    assert cleared.args == [""] and bar.search_text() == ""
    with qtbot.waitSignal(bar.search_left, timeout=50):
        QTest.keyClick(window, Qt.Key.Key_Escape)
    assert fired == []

    parent.setFocus()  # elsewhere in the window, Esc is the window's again
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert fired == [True]


def test_focus_search_selects_the_text(bar: FilterBar, qtbot: QtBot) -> None:
    bar.show()
    qtbot.waitExposed(bar)
    bar.search_box.setText("old query")
    bar.focus_search()
    assert bar.focusWidget() is bar.search_box  # the window's focus, active or not
    assert bar.search_box.selectedText() == "old query"


def test_the_bar_drives_the_models_search(
    ui_db: Database, bar: FilterBar, team: Team, qtbot: QtBot
) -> None:
    model = QueueModel(ui_db, ticket_filter=TicketFilter(statuses=OPEN))
    bar.search_changed.connect(model.set_search)
    searches: list[str] = []
    model.search_changed.connect(searches.append)
    bar.show()
    qtbot.keyClicks(bar.search_box, "taro")  # the sender's address is searched too
    qtbot.waitUntil(lambda: model.search_text == "taro" and not model.busy and tasks.is_idle())
    assert searches == ["taro"]  # one search for four keystrokes
    assert [model.row_at(r).id for r in range(model.rowCount())] == [team.ticket_id]


# --- filter controls ---------------------------------------------------------------------------


def test_choices_are_loaded(bar: FilterBar) -> None:
    assert texts(bar, "category_combo") == ["Any category", "Uncategorised", "注文・配送"]
    # "Me" stands for Alice, so she is not listed twice; agents by name.
    assert texts(bar, "assignee_combo") == [
        "Anyone",
        "Unassigned",
        "Me",
        "Bob Agent",
        "佐藤 美咲",
    ]
    assert texts(bar, "priority_combo")[:3] == ["Any priority", "Urgent or high", "Urgent"]
    assert texts(bar, "status_combo")[0] == "All open"
    assert bar.ticket_filter() == TicketFilter(statuses=OPEN)


@pytest.mark.parametrize(
    ("combo", "text", "expected"),
    [
        ("priority_combo", "Urgent or high", TicketFilter(OPEN, priorities=("urgent", "high"))),
        ("priority_combo", "Low", TicketFilter(OPEN, priorities=("low",))),
        ("category_combo", "Uncategorised", TicketFilter(OPEN, uncategorised=True)),
        ("assignee_combo", "Unassigned", TicketFilter(OPEN, unassigned=True)),
        ("status_combo", "Pending", TicketFilter(("pending",))),
        ("status_combo", "All", TicketFilter()),
    ],
)
def test_each_control_emits_the_new_filter(
    bar: FilterBar, qtbot: QtBot, combo: str, text: str, expected: TicketFilter
) -> None:
    with qtbot.waitSignal(bar.filter_changed, timeout=50) as changed:
        getattr(bar, combo).setCurrentText(text)
    assert changed.args == [expected]
    assert bar.ticket_filter() == expected


def test_category_me_and_an_agent(bar: FilterBar, team: Team, qtbot: QtBot) -> None:
    filters: list[TicketFilter] = []
    bar.filter_changed.connect(filters.append)
    bar.category_combo.setCurrentText("注文・配送")
    bar.assignee_combo.setCurrentText("Me")
    bar.assignee_combo.setCurrentText("Bob Agent")
    assert filters == [
        TicketFilter(OPEN, category_id=team.category_id),
        TicketFilter(OPEN, category_id=team.category_id, assignee_id=team.alice_id),
        TicketFilter(OPEN, category_id=team.category_id, assignee_id=team.bob_id),
    ]


def test_the_status_signal_still_fires(bar: FilterBar, qtbot: QtBot) -> None:
    with qtbot.waitSignal(bar.statuses_changed, timeout=50) as changed:
        bar.status_combo.setCurrentText("Closed")
    assert changed.args == [("closed",)]
    assert bar.statuses() == ("closed",)


def test_show_filter_sets_the_controls_silently(bar: FilterBar, team: Team, qtbot: QtBot) -> None:
    from_sidebar = TicketFilter(
        statuses=("resolved", "closed"),  # no single entry offers this
        assignee_id=team.bob_id,
        category_id=team.category_id,
        mailbox_id=7,  # no control: kept and passed on
    )
    with qtbot.assertNotEmitted(bar.filter_changed):
        bar.show_filter(from_sidebar)
    assert bar.status_combo.currentText() == "Resolved, Closed"
    assert bar.assignee_combo.currentText() == "Bob Agent"
    assert bar.category_combo.currentText() == "注文・配送"
    assert bar.ticket_filter() == from_sidebar

    with qtbot.waitSignal(bar.filter_changed, timeout=50) as changed:
        bar.priority_combo.setCurrentText("Urgent")
    assert changed.args == [
        TicketFilter(
            statuses=("resolved", "closed"),
            assignee_id=team.bob_id,
            category_id=team.category_id,
            mailbox_id=7,
            priorities=("urgent",),
        )
    ]


def test_a_category_added_later_appears_on_reload(
    ui_db: Database, bar: FilterBar, qtbot: QtBot
) -> None:
    from crm_desk.core import categories

    with ui_db.write() as session:
        categories.add_category(session, None, name="請求", name_en="Billing")
    bar.category_combo.setCurrentText("注文・配送")
    with qtbot.assertNotEmitted(bar.filter_changed):
        bar.reload_choices()
        qtbot.waitUntil(tasks.is_idle)
    assert texts(bar, "category_combo")[-1] == "請求"
    assert bar.category_combo.currentText() == "注文・配送"  # the choice survives a reload


def test_filters_choose_the_rows(ui_db: Database, bar: FilterBar, team: Team, qtbot: QtBot) -> None:
    with ui_db.write() as session:
        lead = agents.by_id(session, team.lead_id)
        urgent = tickets.create_ticket(session, None, subject="急ぎ", priority="urgent").id
        bobs = tickets.create_ticket(session, None, subject="Bob's").id
        tickets.assign(session, lead, bobs, team.bob_id)
        tickets.set_category(session, lead, urgent, team.category_id)
    model = QueueModel(ui_db, ticket_filter=bar.ticket_filter())
    bar.filter_changed.connect(model.set_filter)

    def rows_after(combo: str, text: str) -> set[int]:
        getattr(bar, combo).setCurrentText(text)
        qtbot.waitUntil(lambda: not model.busy and tasks.is_idle())
        return {model.row_at(r).id for r in range(model.rowCount())}

    assert rows_after("priority_combo", "Urgent") == {urgent}
    assert rows_after("priority_combo", "Any priority") == {team.ticket_id, urgent, bobs}
    assert rows_after("assignee_combo", "Bob Agent") == {bobs}
    assert rows_after("assignee_combo", "Unassigned") == {team.ticket_id, urgent}
    assert rows_after("category_combo", "Uncategorised") == {team.ticket_id}
    assert rows_after("category_combo", "注文・配送") == {urgent}


def test_at_most_one_entry_for_a_set_no_entry_offers(bar: FilterBar) -> None:
    standard = texts(bar, "status_combo")
    bar.show_filter(TicketFilter(statuses=("new", "open")))
    bar.show_filter(TicketFilter(statuses=("resolved", "closed"), priorities=("low", "normal")))
    assert texts(bar, "status_combo") == [*standard, "Resolved, Closed"]
    assert bar.priority_combo.currentText() == "Low, Normal"
    assert bar.ticket_filter().statuses == ("resolved", "closed")
    bar.show_filter(TicketFilter(statuses=("pending",)))
    assert texts(bar, "status_combo") == standard
    assert bar.status_combo.currentText() == "Pending"
    assert bar.priority_combo.currentText() == "Any priority"
