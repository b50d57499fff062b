"""QueueModel in search mode: Japanese matches within the filter, paging, sorting, stale drops."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from crm_desk.core import agents, customers, tickets
from crm_desk.core.queries import TicketFilter
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.models.queue_model import Column, QueueModel, count_matching
from tests.ui.data import START

PAGE = 3

# (subject, body); 注文 is in five tickets, 請求書 in three, invoice in one.
MAIL = [
    ("注文した商品が届きません", "先週注文したコーヒー豆がまだ届きません。"),
    ("請求書の再発行をお願いします", "請求書の宛名を変更してください。"),
    ("注文のキャンセル", "昨日の注文を取り消したいです。"),
    ("Invoice copy", "Please send the invoice again."),
    ("注文内容の変更", "色を青に変えられますか。"),
    ("領収書と請求書", "両方ください。"),
    ("配送状況", "注文した荷物が届きません。"),
    ("返品について", "サイズが合いません。"),
    ("注文と請求書", "注文番号 A-1001 の請求書をください。"),
]


def ids(model: QueueModel) -> list[int]:
    return [model.row_at(r).id for r in range(model.rowCount())]


def settle(qtbot: QtBot, model: QueueModel) -> None:
    qtbot.waitUntil(lambda: not model.busy and tasks.is_idle())


def load_all(qtbot: QtBot, model: QueueModel) -> None:
    settle(qtbot, model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        settle(qtbot, model)


@pytest.fixture
def numbers(ui_db: Database) -> dict[str, int]:
    with ui_db.write() as session:
        lead = agents.add_agent(session, None, name="Lead", email="lead@example.com", role="lead")
        made = {}
        for n, (subject, body) in enumerate(MAIL):
            contact, _ = customers.match_or_create_contact(session, None, f"c{n}@example.jp")
            made[subject] = tickets.create_ticket(
                session,
                None,
                subject=subject,
                contact_id=contact.id,
                body_text=body,
                from_address=contact.email,
                created_at=START + timedelta(minutes=n),
            ).id
        tickets.set_status(session, lead, made["注文のキャンセル"], "closed")
    return made


@pytest.fixture
def model(ui_db: Database, numbers: dict[str, int], qtbot: QtBot) -> Iterator[QueueModel]:
    open_only = TicketFilter(statuses=("new", "open", "pending"))
    queue = QueueModel(ui_db, page_size=PAGE, ticket_filter=open_only)
    settle(qtbot, queue)
    yield queue
    settle(qtbot, queue)


def test_japanese_search_within_the_filter_and_back(
    model: QueueModel, numbers: dict[str, int], qtbot: QtBot
) -> None:
    listing = ids(model)
    with qtbot.waitSignal(model.search_changed) as changed:
        model.set_search("  請求書 ")
    assert changed.args == ["請求書"] and model.search_text == "請求書"
    load_all(qtbot, model)
    assert set(ids(model)) == {
        numbers["請求書の再発行をお願いします"],
        numbers["領収書と請求書"],
        numbers["注文と請求書"],
    }

    model.set_search("注文")
    load_all(qtbot, model)
    # Five tickets say 注文; the closed one is outside the view's filter.
    assert set(ids(model)) == {
        numbers["注文した商品が届きません"],
        numbers["注文内容の変更"],
        numbers["配送状況"],
        numbers["注文と請求書"],
    }
    assert model.rowCount() > PAGE  # it paged

    model.set_filter(TicketFilter(statuses=("closed",)))
    settle(qtbot, model)
    assert ids(model) == [numbers["注文のキャンセル"]]

    model.set_filter(TicketFilter(statuses=("new", "open", "pending")))
    model.set_search("")
    settle(qtbot, model)
    assert ids(model) == listing
    assert model.search_text == ""


def test_two_words_must_both_match(
    model: QueueModel, numbers: dict[str, int], qtbot: QtBot
) -> None:
    model.set_search("注文 請求書")
    settle(qtbot, model)
    assert ids(model) == [numbers["注文と請求書"]]
    model.set_search("invoice")
    settle(qtbot, model)
    assert ids(model) == [numbers["Invoice copy"]]
    model.set_search("見積書")
    settle(qtbot, model)
    assert ids(model) == []


def test_nothing_to_search_for_is_no_search(model: QueueModel, qtbot: QtBot) -> None:
    with qtbot.assertNotEmitted(model.search_changed):
        model.set_search("   ")
        model.set_search("!?")
    assert not model.busy and model.search_text == ""


def test_an_older_search_never_replaces_a_newer_one(
    model: QueueModel, numbers: dict[str, int], qtbot: QtBot
) -> None:
    """Three searches in a row: only the last one's rows are ever applied."""
    with qtbot.waitSignal(model.modelReset) as first_reset:
        model.set_search("注文")
        model.set_search("invoice")
        model.set_search("請求書")
    assert first_reset.signal_triggered
    settle(qtbot, model)
    assert numbers["Invoice copy"] not in ids(model)
    assert numbers["請求書の再発行をお願いします"] in ids(model)

    applied: list[str] = []
    model.modelReset.connect(lambda: applied.append(model.search_text))
    model.set_search("invoice")
    model.set_search("返品")
    settle(qtbot, model)
    assert applied == ["返品"]  # the page for "invoice" landed first and was dropped
    assert ids(model) == [numbers["返品について"]]


def test_best_match_first_has_no_sort_indicator_and_a_click_sorts(
    model: QueueModel, numbers: dict[str, int], qtbot: QtBot
) -> None:
    listing_column = model.sort_column()
    assert listing_column == Column.UPDATED
    model.set_search("注文")
    assert model.sort_column() == -1
    load_all(qtbot, model)

    model.sort(Column.NUMBER, Qt.SortOrder.AscendingOrder)
    load_all(qtbot, model)
    assert model.sort_column() == Column.NUMBER
    assert ids(model) == sorted(ids(model)) and len(ids(model)) == 4

    model.set_search("注文 請求書")  # typing on keeps the column sort
    assert model.sort_column() == Column.NUMBER
    settle(qtbot, model)

    model.sort_by_relevance()
    assert model.sort_column() == -1
    settle(qtbot, model)
    model.set_search("")
    assert model.sort_column() == Column.NUMBER  # the click also became the listing's sort
    settle(qtbot, model)


def test_refresh_in_search_mode_updates_rows_in_place(
    ui_db: Database, model: QueueModel, numbers: dict[str, int], qtbot: QtBot
) -> None:
    model.set_search("請求書")
    load_all(qtbot, model)
    target = numbers["領収書と請求書"]
    with ui_db.write() as session:
        lead = agents.by_email(session, "lead@example.com")
        tickets.set_priority(session, lead, target, "urgent")
    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.dataChanged):
        model.refresh()
    settle(qtbot, model)
    assert model.index_of(target, Column.PRIORITY).data() == "Urgent"
    assert model.search_text == "請求書"


def test_count_matching(ui_db: Database, model: QueueModel, qtbot: QtBot) -> None:
    assert count_matching(ui_db, model.query) == len(MAIL) - 1  # all but the closed one
    model.set_search("注文")
    settle(qtbot, model)
    assert count_matching(ui_db, model.query) == 4


def test_qtmodeltester_in_search_mode(
    model: QueueModel, qtmodeltester: ModelTester, qtbot: QtBot
) -> None:
    model.set_search("注文")
    settle(qtbot, model)
    qtmodeltester.check(model)
    load_all(qtbot, model)
    model.sort(Column.SUBJECT, Qt.SortOrder.DescendingOrder)
    settle(qtbot, model)
    model.refresh()
    settle(qtbot, model)
    model.set_search("請求書")
    settle(qtbot, model)
    model.set_search("")
    settle(qtbot, model)


def test_python_modeltester_in_search_mode(
    model: QueueModel, qtmodeltester: ModelTester, qtbot: QtBot
) -> None:
    model.set_search("注文")
    settle(qtbot, model)
    qtmodeltester.check(model, force_py=True)
    settle(qtbot, model)  # the tester itself calls fetchMore
