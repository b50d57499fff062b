"""Item models for the customer panel: deals, orders with their items, earlier tickets.

Each model holds the plain rows of one ``CustomerHistory`` (``core.history``) and is replaced
wholesale with ``set_rows`` when the selected ticket changes (a model reset: the rows belong to
another customer). Views over them never create a widget per row, so a customer with hundreds
of orders costs nothing extra. Amounts and dates are formatted with the default ``QLocale`` at
paint time; every string is plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import IntEnum
from typing import Any, overload

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    Qt,
)
from PySide6.QtGui import QGuiApplication, QPalette

from crm_desk.core.history import DealLine, EarlierTicket, OrderItemLine, OrderLine
from crm_desk.ui.formatting import format_count, format_date, format_datetime, format_money
from crm_desk.ui.history_labels import deal_stage_label, order_status_label
from crm_desk.ui.labels import status_label
from crm_desk.ui.models.flat_rows import RIGHT_ALIGNED, ROOT, FlatRowsModel, ModelIndex, header_data
from crm_desk.ui.models.queue_model import plain_tooltip

# The plain row behind an index: a DealLine, OrderLine, OrderItemLine or EarlierTicket.
HistoryRowRole = int(Qt.ItemDataRole.UserRole) + 1
# The ticket number behind a row of the earlier tickets.
TicketIdRole = int(Qt.ItemDataRole.UserRole) + 2

_RIGHT_TOP = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop  # two-line cells
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def _tr(text: str) -> str:
    return QCoreApplication.translate("HistoryModels", text)


def _muted() -> QPalette.ColorRole:
    return QPalette.ColorRole.PlaceholderText


# --- deals -------------------------------------------------------------------------------------
#
# The panel is narrow (about 340 px), so the lists have two columns: what it is, with a second
# line of detail, and the amount, with a second line of its own.


class DealColumn(IntEnum):
    DEAL = 0  # title; stage and expected close below
    AMOUNT = 1


class DealsModel(FlatRowsModel[DealLine]):
    """The contact's deals, most recently updated first."""

    column_count = len(DealColumn)

    def width_samples(self, column: int) -> list[str]:
        """Texts that include the widest of ``column``, for sizing it (see ``HistoryTreeView``)."""
        if column != DealColumn.AMOUNT:
            return []
        return [format_money(deal.amount, deal.currency) for deal in self._rows]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        titles = (_tr("Deal"), _tr("Amount"))
        return header_data(titles, section, orientation, role, (DealColumn.AMOUNT,))

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        deal = self._rows[index.row()]
        column = DealColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            if column == DealColumn.DEAL:
                return f"{deal.title}\n{_deal_detail(deal)}"
            return format_money(deal.amount, deal.currency)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(_deal_tooltip(deal))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == DealColumn.AMOUNT:
            return _RIGHT_TOP
        if role == Qt.ItemDataRole.FontRole and deal.is_ticket_deal:
            font = QGuiApplication.font()
            font.setBold(True)  # the deal this very ticket is about
            return font
        if role == HistoryRowRole:
            return deal
        return None


def _deal_detail(deal: DealLine) -> str:
    stage = deal_stage_label(deal.stage)
    if deal.expected_close is None:
        return stage
    return _tr("{stage} · closes {date}").format(stage=stage, date=format_date(deal.expected_close))


def _deal_tooltip(deal: DealLine) -> str:
    lines = [
        deal.title,
        _tr("Stage: {stage}").format(stage=deal_stage_label(deal.stage)),
        _tr("Amount: {amount}").format(amount=format_money(deal.amount, deal.currency)),
    ]
    if deal.expected_close is not None:
        lines.append(_tr("Expected close: {date}").format(date=format_date(deal.expected_close)))
    if deal.is_ticket_deal:
        lines.append(_tr("This ticket is about this deal."))
    return "\n".join(lines)


# --- orders, with their items as children --------------------------------------------------------


class OrderColumn(IntEnum):
    ORDER = 0  # number, with date and status below; an item's name and quantity
    AMOUNT = 1  # total, with points below; an item's line amount


# internalId of a top-level (order) index; an item's index carries its order's row + 1.
_ORDER_ID = 0


class OrdersModel(QAbstractItemModel):
    """Orders, newest first, each with its items as child rows."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._orders: tuple[OrderLine, ...] = ()

    def set_rows(self, orders: Sequence[OrderLine]) -> None:
        self.beginResetModel()
        self._orders = tuple(orders)
        self.endResetModel()

    def width_samples(self, column: int) -> list[str]:
        """Texts that include the widest of ``column``, for sizing it without formatting every
        row: the largest amount of each currency, and the longest points line."""
        if column != OrderColumn.AMOUNT or not self._orders:
            return []
        largest: dict[str, Decimal] = {}
        for order in self._orders:
            for amount in (order.total, *(item.amount for item in order.items)):
                if abs(amount) > abs(largest.get(order.currency, Decimal(0))):
                    largest[order.currency] = amount
        samples = [format_money(amount, currency) for currency, amount in largest.items()]
        most_points = max(self._orders, key=lambda o: (o.points_earned, o.points_used))
        most_used = max(self._orders, key=lambda o: (o.points_used, o.points_earned))
        samples += [_points_text(most_points), _points_text(most_used)]
        return samples

    # --- structure -----------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: ModelIndex = ROOT) -> QModelIndex:
        if not 0 <= column < len(OrderColumn) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            if row < len(self._orders):
                return self.createIndex(row, column, _ORDER_ID)
            return QModelIndex()
        if parent.internalId() != _ORDER_ID or parent.column() != 0:
            return QModelIndex()  # items have no children; only column 0 has any
        if parent.row() < len(self._orders) and row < len(self._orders[parent.row()].items):
            return self.createIndex(row, column, parent.row() + 1)
        return QModelIndex()

    @overload
    def parent(self) -> QObject | None: ...
    @overload
    def parent(self, child: ModelIndex) -> QModelIndex: ...
    def parent(self, child: ModelIndex | None = None) -> QObject | QModelIndex | None:
        if child is None:
            return super().parent()
        if not child.isValid() or child.internalId() == _ORDER_ID:
            return QModelIndex()
        return self.createIndex(int(child.internalId()) - 1, 0, _ORDER_ID)

    def rowCount(self, parent: ModelIndex = ROOT) -> int:
        if not parent.isValid():
            return len(self._orders)
        if parent.internalId() == _ORDER_ID and parent.column() == 0:
            return len(self._orders[parent.row()].items)
        return 0

    def columnCount(self, parent: ModelIndex = ROOT) -> int:
        return len(OrderColumn)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.internalId() == _ORDER_ID:
            return _ROW_FLAGS
        return _ROW_FLAGS | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        titles = (_tr("Order"), _tr("Amount"))
        return header_data(titles, section, orientation, role, (OrderColumn.AMOUNT,))

    # --- content -------------------------------------------------------------------------------

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = OrderColumn(index.column())
        if index.internalId() == _ORDER_ID:
            if index.row() >= len(self._orders):
                return None
            return _order_data(self._orders[index.row()], column, role)
        order_row = int(index.internalId()) - 1
        if order_row >= len(self._orders) or index.row() >= len(self._orders[order_row].items):
            return None
        order = self._orders[order_row]
        return _item_data(order, order.items[index.row()], column, role)


def _order_data(order: OrderLine, column: OrderColumn, role: int) -> Any:
    if role == Qt.ItemDataRole.DisplayRole:
        if column == OrderColumn.ORDER:
            detail = _tr("{date} · {status}").format(
                date=format_date(order.ordered_at), status=order_status_label(order.status)
            )
            return f"{order.number}\n{detail}"
        return f"{format_money(order.total, order.currency)}\n{_points_text(order)}"
    if role == Qt.ItemDataRole.ToolTipRole:
        return plain_tooltip(_order_tooltip(order))
    if role == Qt.ItemDataRole.TextAlignmentRole and column == OrderColumn.AMOUNT:
        return _RIGHT_TOP
    if role == Qt.ItemDataRole.ForegroundRole and not order.counted:
        # Cancelled and returned orders are history, not spend: shown, but quietly.
        return QGuiApplication.palette().brush(_muted())
    if role == HistoryRowRole:
        return order
    return None


def _item_data(order: OrderLine, item: OrderItemLine, column: OrderColumn, role: int) -> Any:
    if role == Qt.ItemDataRole.DisplayRole:
        if column == OrderColumn.AMOUNT:
            return format_money(item.amount, order.currency)
        if item.quantity == 1:
            return item.name
        return _tr("{name} × {quantity}").format(
            name=item.name, quantity=format_count(item.quantity)
        )
    if role == Qt.ItemDataRole.ToolTipRole:
        text = _tr("{name}\nSKU {sku}\n{quantity} × {price} = {amount}").format(
            name=item.name,
            sku=item.sku,
            quantity=format_count(item.quantity),
            price=format_money(item.unit_price, order.currency),
            amount=format_money(item.amount, order.currency),
        )
        return plain_tooltip(text)
    if role == Qt.ItemDataRole.TextAlignmentRole and column == OrderColumn.AMOUNT:
        return RIGHT_ALIGNED
    if role == Qt.ItemDataRole.ForegroundRole:
        return QGuiApplication.palette().brush(_muted())
    if role == HistoryRowRole:
        return item
    return None


def _points_text(order: OrderLine) -> str:
    parts = []
    if order.points_earned:
        parts.append(_tr("+{points} pt").format(points=format_count(order.points_earned)))
    if order.points_used:
        parts.append(_tr("−{points} pt").format(points=format_count(order.points_used)))
    return " ".join(parts)


def _order_tooltip(order: OrderLine) -> str:
    lines = [
        _tr("Order {number}").format(number=order.number),
        _tr("{date} · {status}").format(
            date=format_date(order.ordered_at), status=order_status_label(order.status)
        ),
        _tr("Total: {amount}").format(amount=format_money(order.total, order.currency)),
    ]
    if order.points_earned:
        lines.append(
            _tr("Points earned: {points}").format(points=format_count(order.points_earned))
        )
    if order.points_used:
        lines.append(_tr("Points used: {points}").format(points=format_count(order.points_used)))
    if not order.counted:
        lines.append(_tr("Not counted in the purchase figures."))
    return "\n".join(lines)


# --- earlier tickets ---------------------------------------------------------------------------


class TicketColumn(IntEnum):
    SUBJECT = 0
    STATUS = 1
    CREATED = 2


class EarlierTicketsModel(FlatRowsModel[EarlierTicket]):
    """The contact's other tickets, newest first; the number is in the tooltip and a role."""

    column_count = len(TicketColumn)

    def width_samples(self, column: int) -> list[str]:
        if column == TicketColumn.STATUS:
            return [status_label(status) for status in {t.status for t in self._rows}]
        if column == TicketColumn.CREATED:
            return [format_date(t.created_at) for t in self._rows]
        return []

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        titles = (_tr("Subject"), _tr("Status"), _tr("Created"))
        return header_data(titles, section, orientation, role)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        ticket = self._rows[index.row()]
        column = TicketColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            match column:
                case TicketColumn.SUBJECT:
                    return ticket.subject
                case TicketColumn.STATUS:
                    return status_label(ticket.status)
                case TicketColumn.CREATED:
                    return format_date(ticket.created_at)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(
                _tr("#{number} {subject}\nOpened {date}").format(
                    number=ticket.id,
                    subject=ticket.subject,
                    date=format_datetime(ticket.created_at),
                )
            )
        if role == TicketIdRole:
            return ticket.id
        if role == HistoryRowRole:
            return ticket
        return None
