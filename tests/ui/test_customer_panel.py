"""CustomerPanel: exactly the selected ticket's customer, loaded off the GUI thread; edits
through the service with compare-and-set; earlier tickets open; outside text stays text."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCore import QAbstractItemModel, QLocale, QModelIndex, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from crm_desk.core import customers, demo, tickets
from crm_desk.core.history import DealLine, EarlierTicket, OrderLine
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Change, Contact, Deal, Order, OrderItem, Ticket
from crm_desk.ui import tasks
from crm_desk.ui.models.history_models import (
    DealsModel,
    EarlierTicketsModel,
    HistoryRowRole,
    OrdersModel,
    TicketIdRole,
)
from crm_desk.ui.views.customer_panel import CustomerPanel
from tests.core.test_history import Shop, make_shop
from tests.support.factories import make_team

NO_KEYS = Qt.KeyboardModifier.NoModifier
ENGLISH_US = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)


@pytest.fixture(autouse=True)
def english_numbers() -> Iterator[None]:
    """Figures are compared as text: format them the same way on every machine."""
    previous = QLocale()
    QLocale.setDefault(ENGLISH_US)
    yield
    QLocale.setDefault(previous)


@pytest.fixture
def panel(ui_db: Database, qtbot: QtBot) -> CustomerPanel:
    widget = CustomerPanel(ui_db)
    qtbot.addWidget(widget)
    widget.resize(340, 720)
    widget.show()
    return widget


def check(tester: ModelTester, model: QAbstractItemModel) -> None:
    """Qt's C++ model tester, which stays attached through what the test does next."""
    tester.check(model)  # type: ignore[no-untyped-call]  # pytest-qt ships no annotations here


def show(qtbot: QtBot, panel: CustomerPanel, ticket_id: int | None) -> None:
    with qtbot.waitSignal(panel.loaded, timeout=10_000) as blocker:
        panel.show_ticket(ticket_id)
    assert blocker.args == [ticket_id]


def order_rows(panel: CustomerPanel) -> list[OrderLine]:
    model = panel.orders_model
    return [model.index(row, 0).data(HistoryRowRole) for row in range(model.rowCount())]


def deal_rows(panel: CustomerPanel) -> list[DealLine]:
    model = panel.deals_model
    return [model.index(row, 0).data(HistoryRowRole) for row in range(model.rowCount())]


def earlier_ids(panel: CustomerPanel) -> list[int]:
    model = panel.tickets_model
    return [model.index(row, 0).data(TicketIdRole) for row in range(model.rowCount())]


@pytest.fixture
def shop(ui_db: Database) -> Shop:
    return make_shop(ui_db)


# --- exactly the selected ticket's customer ----------------------------------------------------


def _two_tickets_of_different_buyers(db: Database) -> tuple[int, int]:
    """Two demo tickets whose contacts both have orders and deals."""
    with db.read() as session:
        buyers = (
            select(Ticket.id, Ticket.contact_id)
            .where(
                Ticket.contact_id.in_(select(Order.contact_id)),
                Ticket.contact_id.in_(select(Deal.contact_id)),
            )
            .order_by(Ticket.id)
        )
        first_id, first_contact = session.execute(buyers.limit(1)).one()
        second_id = session.scalar(
            buyers.where(Ticket.contact_id != first_contact).with_only_columns(Ticket.id).limit(1)
        )
    assert second_id is not None
    return first_id, second_id


def _database_view_of(db: Database, ticket_id: int) -> tuple[list[str], int, list[int], int]:
    """Order numbers newest first, item count, deal ids, counted spend, straight from SQL."""
    with db.read() as session:
        contact_id = session.scalar(select(Ticket.contact_id).where(Ticket.id == ticket_id))
        numbers = list(
            session.scalars(
                select(Order.number)
                .where(Order.contact_id == contact_id)
                .order_by(Order.ordered_at.desc(), Order.id.desc())
            )
        )
        items = session.scalar(
            select(func.count(OrderItem.id))
            .join(Order, Order.id == OrderItem.order_id)
            .where(Order.contact_id == contact_id)
        )
        deals = sorted(session.scalars(select(Deal.id).where(Deal.contact_id == contact_id)))
        spend = session.scalar(
            select(func.sum(Order.total)).where(
                Order.contact_id == contact_id, Order.status.not_in(("cancelled", "returned"))
            )
        )
    return numbers, int(items or 0), deals, int(spend or 0)


def test_ticket_a_then_b_shows_exactly_bs_orders_and_deals(
    ui_db: Database, panel: CustomerPanel, qtbot: QtBot
) -> None:
    demo.build_demo(ui_db, tickets=60, seed=5)
    first, second = _two_tickets_of_different_buyers(ui_db)
    show(qtbot, panel, first)
    first_numbers = {order.number for order in order_rows(panel)}
    assert first_numbers

    show(qtbot, panel, second)
    numbers, items, deals, spend = _database_view_of(ui_db, second)
    shown = order_rows(panel)
    assert [order.number for order in shown] == numbers
    assert not first_numbers & set(numbers)
    model = panel.orders_model
    assert sum(model.rowCount(model.index(row, 0)) for row in range(model.rowCount())) == items
    assert sorted(deal.id for deal in deal_rows(panel)) == deals
    assert panel.spend_value.text() == f"¥{spend:,}"  # the demo sells in yen only
    assert panel.orders_view.isVisible() and panel.deals_view.isVisible()


def test_the_hand_made_shop_shows_its_numbers(
    shop: Shop, panel: CustomerPanel, qtbot: QtBot
) -> None:
    show(qtbot, panel, shop.team.ticket_id)
    assert [o.number for o in order_rows(panel)] == ["A-1003", "US-2001", "A-1002", "A-1001"]
    oldest = panel.orders_model.index(3, 0)
    assert oldest.data() == "A-1001\n1/5/25 · Delivered"
    assert panel.orders_model.index(3, 1).data() == "¥12,800\n+128 pt"
    assert panel.orders_model.index(0, 0, oldest).data() == "ワイヤレスキーボード"
    assert panel.orders_model.index(1, 0, oldest).data() == "USB-C ケーブル × 2"
    assert panel.orders_model.index(1, 1, oldest).data() == "¥3,000"
    assert panel.orders_view.isExpanded(oldest)
    assert [d.title for d in deal_rows(panel)] == ["年間保守契約", "Renewal 2024"]
    assert panel.deals_model.index(0, 1).data() == "¥1,200,000"
    assert earlier_ids(panel) == [shop.middle_ticket_id, shop.older_ticket_id]
    # The figures: cancelled orders left out, yen and dollars apart.
    assert panel.spend_value.text() == "¥16,780\n$49.50"
    assert panel.order_count_value.text() == "3"
    assert panel.average_value.text() == "¥8,390\n$49.50"
    assert panel.first_value.text() == "1/5/25"
    assert panel.last_value.text() == "2/15/25"
    assert panel.orders_count.text() == "4"

    show(qtbot, panel, shop.other_ticket_id)
    assert [o.number for o in order_rows(panel)] == ["H-9001"]
    assert [d.title for d in deal_rows(panel)] == ["Hanako's deal"]
    assert panel.card.name_label.full_text() == "髙橋 花子"
    assert earlier_ids(panel) == []
    assert not panel.tickets_view.isVisible() and panel.tickets_empty.isVisible()


def test_a_result_for_an_earlier_selection_is_dropped(
    shop: Shop, panel: CustomerPanel, qtbot: QtBot
) -> None:
    landed: list[int] = []
    panel.loaded.connect(landed.append)
    panel.show_ticket(shop.team.ticket_id)
    panel.show_ticket(shop.other_ticket_id)  # before the first load lands
    qtbot.waitUntil(lambda: landed == [shop.other_ticket_id] and tasks.is_idle())
    assert [o.number for o in order_rows(panel)] == ["H-9001"]
    assert panel.card.name_label.full_text() == "髙橋 花子"


def test_no_ticket_no_contact_and_a_missing_ticket_say_so(
    shop: Shop, panel: CustomerPanel, qtbot: QtBot
) -> None:
    show(qtbot, panel, shop.team.ticket_id)
    show(qtbot, panel, shop.no_contact_ticket_id)
    assert panel.history is None
    assert panel.placeholder.isVisible()
    assert "No customer" in panel.placeholder.text()

    panel.show_ticket(999_999)
    qtbot.waitUntil(lambda: "no longer exists" in panel.placeholder.text())

    panel.show_ticket(None)  # at once, without a query
    assert panel.placeholder.text() == "No ticket selected."
    assert panel.ticket_id is None


# --- earlier tickets -----------------------------------------------------------------------------


def _row_center(panel: CustomerPanel, row: int) -> QPoint:
    view = panel.tickets_view
    return view.visualRect(panel.tickets_model.index(row, 0)).center()


def test_clicking_or_activating_an_earlier_ticket_asks_to_open_it(
    shop: Shop, panel: CustomerPanel, qtbot: QtBot
) -> None:
    show(qtbot, panel, shop.team.ticket_id)
    view = panel.tickets_view
    with qtbot.waitSignal(panel.open_ticket_requested) as clicked:
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, NO_KEYS, _row_center(panel, 0))
    assert clicked.args == [shop.middle_ticket_id]

    view.setFocus()
    view.setCurrentIndex(panel.tickets_model.index(1, 0))
    with qtbot.waitSignal(panel.open_ticket_requested) as activated:
        QTest.keyClick(view, Qt.Key.Key_Return)
    assert activated.args == [shop.older_ticket_id]


def test_a_double_click_opens_the_ticket_once(
    shop: Shop, panel: CustomerPanel, qtbot: QtBot
) -> None:
    show(qtbot, panel, shop.team.ticket_id)
    requests: list[int] = []
    panel.open_ticket_requested.connect(requests.append)
    view = panel.tickets_view
    point = _row_center(panel, 1)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, NO_KEYS, point)
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, NO_KEYS, point)
    assert requests == [shop.older_ticket_id]


# --- editing the contact -----------------------------------------------------------------------


def test_an_edit_saves_through_the_service(
    ui_db: Database, panel: CustomerPanel, qtbot: QtBot
) -> None:
    team = make_team(ui_db)
    panel.set_actor(team.alice_id)
    show(qtbot, panel, team.ticket_id)
    card = panel.card
    assert card.edit_button.isEnabled()
    QTest.mouseClick(card.edit_button, Qt.MouseButton.LeftButton)
    assert card.editing and card.form_page.isVisible()
    card.name_edit.setText("山田 太郎（法人）")
    card.company_edit.setText("㈱髙橋商事")
    card.lifecycle_combo.setCurrentIndex(card.lifecycle_combo.findData("customer"))
    card.qualification_combo.setCurrentIndex(card.qualification_combo.findData("sql"))
    with qtbot.waitSignal(panel.contact_changed) as changed:
        QTest.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    assert changed.args == [team.contact_id]

    with ui_db.read() as session:
        contact = session.get(Contact, team.contact_id)
        assert contact is not None and contact.company is not None
        assert contact.name == "山田 太郎（法人）"
        assert (contact.company.name, contact.lifecycle, contact.qualification) == (
            "㈱髙橋商事",
            "customer",
            "sql",
        )
        assert contact.phone is None  # untouched fields are not written
        assert contact.updated_by_id == team.alice_id
        change = session.scalar(
            select(Change).where(Change.kind == "contact.updated", Change.entity_id == contact.id)
        )
        assert change is not None and change.agent_id == team.alice_id
        version = contact.version
    assert not card.editing and card.display_page.isVisible()
    assert card.name_label.full_text() == "山田 太郎（法人）"
    assert card.company_label.full_text() == "㈱髙橋商事"
    assert card.lifecycle_badge.text() == "Customer"
    assert card.qualification_badge.text() == "SQL"
    assert card.message_label.text() == "Saved."
    assert panel.history is not None and panel.history.contact.version == version


def test_a_stale_edit_says_who_changed_the_contact_and_shows_their_version(
    ui_db: Database, panel: CustomerPanel, qtbot: QtBot
) -> None:
    team = make_team(ui_db)
    panel.set_actor(team.alice_id)
    show(qtbot, panel, team.ticket_id)
    card = panel.card
    card.begin_edit()
    card.name_edit.setText("Alice's spelling")
    # Meanwhile Bob, on another desktop, changes the phone number.
    with ui_db.write() as session:
        bob = session.get(Agent, team.bob_id)
        assert bob is not None
        customers.update_contact(
            session, bob, team.contact_id, customers.ContactEdit(phone="03-1234-5678")
        )
    QTest.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "changed by Bob Agent" in card.message_label.text())
    qtbot.waitUntil(lambda: card.phone_label.full_text() == "03-1234-5678")
    assert card.message_label.isVisible() and card.message_label.property("error") is True
    assert not card.editing
    assert card.name_label.full_text() == "山田 太郎"  # Bob's version, not Alice's edit
    with ui_db.read() as session:
        contact = session.get(Contact, team.contact_id)
        assert contact is not None and contact.name == "山田 太郎"
    # Editing again starts from Bob's version, and now saves.
    card.begin_edit()
    card.name_edit.setText("Alice's spelling")
    with qtbot.waitSignal(panel.contact_changed):
        QTest.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    assert card.name_label.full_text() == "Alice's spelling"
    assert card.phone_label.full_text() == "03-1234-5678"


def test_without_an_acting_agent_the_card_cannot_be_edited(
    ui_db: Database, panel: CustomerPanel, qtbot: QtBot
) -> None:
    team = make_team(ui_db)
    show(qtbot, panel, team.ticket_id)
    assert not panel.card.edit_button.isEnabled()
    panel.card.begin_edit()
    assert not panel.card.editing
    panel.set_actor(team.bob_id)
    assert panel.card.edit_button.isEnabled()


def test_an_unchanged_form_saves_nothing(
    ui_db: Database, panel: CustomerPanel, qtbot: QtBot
) -> None:
    team = make_team(ui_db)
    panel.set_actor(team.alice_id)
    show(qtbot, panel, team.ticket_id)
    requests: list[object] = []
    panel.card.save_requested.connect(requests.append)
    panel.card.begin_edit()
    QTest.mouseClick(panel.card.save_button, Qt.MouseButton.LeftButton)
    assert requests == [] and not panel.card.editing
    qtbot.waitUntil(tasks.is_idle)
    with ui_db.read() as session:
        contact = session.get(Contact, team.contact_id)
        assert contact is not None and contact.version == 1


# --- outside text is text ------------------------------------------------------------------------


def test_markup_in_names_and_subjects_shows_literally(
    ui_db: Database, panel: CustomerPanel, qtbot: QtBot
) -> None:
    name = "<b>Bold</b> <img src=x>"
    subject = "<script>alert(1)</script><i>hi</i>"
    with ui_db.write() as session:
        contact, _ = customers.match_or_create_contact(session, None, "x@example.com", name)
        older = tickets.create_ticket(session, None, subject=subject, contact_id=contact.id)
        current = tickets.create_ticket(session, None, subject="now", contact_id=contact.id)
        older_id, current_id = older.id, current.id
    show(qtbot, panel, current_id)
    label = panel.card.name_label
    assert label.full_text() == name and label.text() == name
    for each in panel.findChildren(QLabel):
        assert each.textFormat() == Qt.TextFormat.PlainText, each.objectName()
    index = panel.tickets_model.index(0, 0)
    assert index.data(TicketIdRole) == older_id
    assert index.data() == subject
    tooltip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert "<script>" not in tooltip and "&lt;script&gt;" in tooltip

    # Long outside text is cut to the panel's width, the whole of it in a tooltip.
    panel.resize(200, 720)
    long_name = "<b>" + "名" * 80
    card = panel.history.contact if panel.history else None
    assert card is not None
    panel.card.show_card(card.__class__(**{**card.__dict__, "name": long_name}))
    assert label.full_text() == long_name and label.text() != long_name
    assert label.text().endswith("…")
    assert "&lt;b&gt;" in label.toolTip()


# --- the models --------------------------------------------------------------------------------


def test_models_pass_the_model_tester(
    shop: Shop, panel: CustomerPanel, qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    show(qtbot, panel, shop.team.ticket_id)
    history = panel.history
    assert history is not None
    orders = OrdersModel()
    orders.set_rows(history.orders)
    check(qtmodeltester, orders)
    deals = DealsModel()
    deals.set_rows(history.deals)
    check(qtmodeltester, deals)
    earlier = EarlierTicketsModel()
    earlier.set_rows(history.earlier_tickets)
    check(qtmodeltester, earlier)
    # Resets while the tester watches: to another customer, and to nothing.
    orders.set_rows(history.orders[:1])
    orders.set_rows(())
    deals.set_rows(())
    earlier.set_rows((EarlierTicket(1, "x", "open", history.contact.updated_at),))
    assert orders.rowCount() == 0 and deals.rowCount() == 0 and earlier.rowCount() == 1
    # Items hang under their order only; an item has no children.
    orders.set_rows(history.orders)
    first_order = orders.index(3, 0)
    item = orders.index(0, 0, first_order)
    assert item.parent() == first_order
    assert orders.rowCount(item) == 0
    assert orders.index(0, 0, item) == QModelIndex()
    assert orders.rowCount(orders.index(3, 1)) == 0  # only column 0 has children
    assert orders.index(0, 1, first_order).data() == "¥9,800"
    assert history.orders[3].items[0].unit_price == Decimal("9800.00")


def test_panel_models_pass_the_model_tester_while_switching(
    shop: Shop, panel: CustomerPanel, qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    check(qtmodeltester, panel.orders_model)
    check(qtmodeltester, panel.deals_model)
    check(qtmodeltester, panel.tickets_model)
    show(qtbot, panel, shop.team.ticket_id)
    show(qtbot, panel, shop.other_ticket_id)
    show(qtbot, panel, shop.middle_ticket_id)
    assert earlier_ids(panel) == [shop.team.ticket_id, shop.older_ticket_id]
