"""The customer panel beside the ticket: contact card, purchase figures, orders with items,
deals and earlier tickets of the selected ticket's contact.

``show_ticket(id)`` loads ``core.history.customer_history`` in one ``Op`` (one batch of
queries). At most one load is in flight: when the selection moves on meanwhile, the result
that lands is dropped and the newest selection is loaded next, so holding ``j`` through the
queue never piles up work. The previous customer stays on screen until the next one lands
(no flash of emptiness); if that takes noticeably long, the old content is greyed out so it
cannot be mistaken for the new ticket's.

Edits to the contact card go through ``core.customers.update_contact`` with the version the
card showed; a refused stale edit says who changed the contact and shows their version.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QElapsedTimer, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from crm_desk.core.customers import update_contact
from crm_desk.core.history import ContactCard, CustomerHistory, contact_card, customer_history
from crm_desk.errors import CrmDeskError, NotFoundError, StaleEditError
from crm_desk.store.db import Database
from crm_desk.store.models import Agent
from crm_desk.ui import tasks
from crm_desk.ui.formatting import format_count, format_date, format_datetime, format_money
from crm_desk.ui.models.history_models import (
    DealColumn,
    DealsModel,
    EarlierTicketsModel,
    OrderColumn,
    OrdersModel,
    TicketColumn,
    TicketIdRole,
)
from crm_desk.ui.views.contact_card import ContactCardView, ContactSave, plain_label
from crm_desk.ui.views.orders_view import HistoryTreeView

# A load slower than this greys out the previous customer, so it is not taken for the new one.
STALE_AFTER_MS = 150
# Orders whose items are shown at once; older ones open with a click.
EXPANDED_ORDERS = 20
DEAL_ROWS = 3
TICKET_ROWS = 6
_PLACEHOLDER, _CONTENT = 0, 1


def _load(db: Database, ticket_id: int) -> CustomerHistory | None:
    """Runs on the worker: plain values in, plain values out."""
    with db.read() as session:
        return customer_history(session, ticket_id)


def _save(db: Database, actor_id: int, request: ContactSave) -> ContactCard:
    with db.write() as session:
        actor = session.get(Agent, actor_id)
        if actor is None:
            raise NotFoundError(f"no agent with id {actor_id}")
        update_contact(
            session,
            actor,
            request.contact_id,
            request.edit,
            expected_version=request.expected_version,
        )
        return contact_card(session, request.contact_id)


def _load_card(db: Database, contact_id: int) -> ContactCard:
    with db.read() as session:
        return contact_card(session, contact_id)


class CustomerPanel(QWidget):
    """See the module docstring."""

    loaded = Signal(int)  # the ticket whose customer is now shown (or "no customer")
    open_ticket_requested = Signal(int)  # an earlier ticket was clicked or activated
    contact_changed = Signal(int)  # this panel saved an edit to that contact

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerPanel")
        self._db = db
        self._actor_id: int | None = None
        self._ticket_id: int | None = None
        self._history: CustomerHistory | None = None
        self._shown_ticket: int | None = None  # whose customer the content last showed
        self._generation = 0  # bumped by every request: older results are dropped
        self._loading = False
        self._last_request = (0, QElapsedTimer())  # (ticket, when): one open per double click

        self.deals_model = DealsModel(self)
        self.orders_model = OrdersModel(self)
        self.tickets_model = EarlierTicketsModel(self)

        self.pages = QStackedWidget(self)
        self.placeholder = plain_label(self, "customerPanelPlaceholder", wrap=True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(self._build_content())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

        self._stale_timer = QTimer(self)
        self._stale_timer.setSingleShot(True)
        self._stale_timer.setInterval(STALE_AFTER_MS)
        self._stale_timer.timeout.connect(lambda: self.content.setEnabled(False))

        self.card.save_requested.connect(self._save_contact)
        self.tickets_view.clicked.connect(self._earlier_ticket_chosen)
        self.tickets_view.activated.connect(self._earlier_ticket_chosen)
        self.set_actor(None)
        self._show_placeholder(self.tr("No ticket selected."))

    # --- building ------------------------------------------------------------------------------

    def _build_content(self) -> QWidget:
        scroll = QScrollArea(self)
        scroll.setObjectName("customerPanelScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.content = QWidget(scroll)
        self.content.setObjectName("customerPanelContent")
        self.card = ContactCardView(self.content)
        summary = self._build_summary()

        self.orders_heading, self.orders_count = self._heading(self.tr("Orders"))
        self.orders_view = HistoryTreeView(
            self.content, "ordersView", max_rows=None, tree=True, uniform_rows=False
        )
        self.orders_view.setModel(self.orders_model)
        self.orders_view.fit_columns((OrderColumn.AMOUNT,))
        self.orders_view.setMinimumHeight(self.fontMetrics().height() * 12)
        self.orders_empty = plain_label(self.content, "historyEmpty")
        self.orders_empty.setText(self.tr("No orders."))

        self.deals_heading, self.deals_count = self._heading(self.tr("Deals"))
        self.deals_view = HistoryTreeView(self.content, "dealsView", max_rows=DEAL_ROWS)
        self.deals_view.setModel(self.deals_model)
        self.deals_view.fit_columns((DealColumn.AMOUNT,))
        self.deals_empty = plain_label(self.content, "historyEmpty")
        self.deals_empty.setText(self.tr("No deals."))

        self.tickets_heading, self.tickets_count = self._heading(self.tr("Earlier tickets"))
        self.tickets_view = HistoryTreeView(
            self.content, "earlierTicketsView", max_rows=TICKET_ROWS
        )
        self.tickets_view.setModel(self.tickets_model)
        self.tickets_view.fit_columns((TicketColumn.STATUS, TicketColumn.CREATED))
        self.tickets_empty = plain_label(self.content, "historyEmpty")
        self.tickets_empty.setText(self.tr("No earlier tickets."))

        layout = QVBoxLayout(self.content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(2)
        layout.addWidget(self.card)
        layout.addSpacing(8)
        layout.addWidget(summary)
        for heading, view, empty, stretch in (
            (self.orders_heading, self.orders_view, self.orders_empty, 1),
            (self.deals_heading, self.deals_view, self.deals_empty, 0),
            (self.tickets_heading, self.tickets_view, self.tickets_empty, 0),
        ):
            layout.addSpacing(8)
            layout.addWidget(heading)
            layout.addWidget(view, stretch)
            layout.addWidget(empty)
        # Takes the slack when there is no orders list to give it to (see ``_show_orders``).
        layout.addStretch(0)
        self._content_layout = layout
        scroll.setWidget(self.content)
        return scroll

    def _heading(self, title: str) -> tuple[QFrame, QLabel]:
        """A section's small heading, with a count on the right."""
        row = QFrame(self.content)  # a frame, so the style sheet can draw a rule under it
        row.setObjectName("historyHeadingRow")
        label = plain_label(row, "historyHeading")
        label.setText(title)
        count = plain_label(row, "historyCount")
        count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 2)
        layout.addWidget(label)
        layout.addStretch(1)
        layout.addWidget(count)
        return row, count

    def _build_summary(self) -> QFrame:
        frame = QFrame(self.content)
        frame.setObjectName("customerSummary")
        grid = QGridLayout(frame)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(0)
        captions = (
            self.tr("Lifetime spend"),
            self.tr("Orders"),
            self.tr("Avg. order"),
            self.tr("First purchase"),
            self.tr("Last purchase"),
            self.tr("Points"),
        )
        self.summary_values: list[QLabel] = []
        for position, caption in enumerate(captions):
            row, column = divmod(position, 3)
            caption_label = plain_label(frame, "summaryCaption")
            caption_label.setText(caption)
            value = plain_label(frame, "summaryValue")
            grid.addWidget(caption_label, row * 2, column)
            grid.addWidget(value, row * 2 + 1, column)
            self.summary_values.append(value)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        grid.setRowMinimumHeight(2, self.fontMetrics().height() // 2 + 4)
        (
            self.spend_value,
            self.order_count_value,
            self.average_value,
            self.first_value,
            self.last_value,
            self.points_value,
        ) = self.summary_values
        return frame

    # --- public API ----------------------------------------------------------------------------

    @property
    def ticket_id(self) -> int | None:
        return self._ticket_id

    @property
    def history(self) -> CustomerHistory | None:
        """What the panel shows now (None: no ticket, no contact, or not loaded yet)."""
        return self._history

    @property
    def actor_id(self) -> int | None:
        return self._actor_id

    def set_actor(self, agent_id: int | None) -> None:
        """The agent edits are made as; without one the card cannot be edited."""
        self._actor_id = agent_id
        self.card.set_can_edit(
            agent_id is not None, self.tr("Choose your agent profile to edit contacts.")
        )

    def show_ticket(self, ticket_id: int | None) -> None:
        """Show the customer of ``ticket_id`` (None: nothing selected). Returns at once."""
        self._ticket_id = ticket_id
        self._generation += 1
        if ticket_id is None:
            self._stale_timer.stop()
            self._history = None
            self._show_placeholder(self.tr("No ticket selected."))
            return
        if self._history is None or self._history.ticket_id != ticket_id:
            if self.pages.currentIndex() == _CONTENT:
                self._stale_timer.start()
            else:
                self._show_placeholder(self.tr("Loading…"))
        if not self._loading:
            self._start_load()

    def reload(self) -> None:
        """Load the current ticket's customer again (after a change elsewhere)."""
        self.show_ticket(self._ticket_id)

    # --- loading -------------------------------------------------------------------------------

    def _start_load(self) -> None:
        ticket_id, generation, db = self._ticket_id, self._generation, self._db
        if ticket_id is None:
            return
        self._loading = True

        def landed(history: CustomerHistory | None) -> None:
            self._loading = False
            if generation != self._generation:
                self._start_load()  # the selection moved on: load where it is now
                return
            self._apply(ticket_id, history)

        def failed(exc: BaseException) -> None:
            self._loading = False
            if generation != self._generation:
                self._start_load()
                return
            self._stale_timer.stop()
            self._history = None
            if isinstance(exc, NotFoundError):
                self._show_placeholder(
                    self.tr("Ticket #{number} no longer exists.").format(number=ticket_id)
                )
            elif isinstance(exc, CrmDeskError):
                self._show_placeholder(str(exc))
            else:
                self._show_placeholder(self.tr("The customer could not be loaded."))
                tasks.report_error(exc)

        tasks.Op(self, lambda: _load(db, ticket_id)).on_success(landed).on_failure(failed).start()

    def _show_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)
        self.pages.setCurrentIndex(_PLACEHOLDER)

    def _apply(self, ticket_id: int, history: CustomerHistory | None) -> None:
        self._stale_timer.stop()
        self.content.setEnabled(True)
        self._history = history
        if history is None:
            self._shown_ticket = ticket_id
            self._show_placeholder(self.tr("No customer is linked to this ticket."))
            self.loaded.emit(ticket_id)
            return
        if self._shown_ticket != ticket_id and not self.card.editing:
            self.card.clear_message()  # "Saved." belonged to the previous ticket
        self._shown_ticket = ticket_id
        self.card.show_card(history.contact)
        self._show_summary(history)
        self._show_orders(history)
        self._show_list(self.deals_model, history.deals, self.deals_view, self.deals_empty)
        self.deals_count.setText(format_count(len(history.deals)))
        self._show_list(
            self.tickets_model, history.earlier_tickets, self.tickets_view, self.tickets_empty
        )
        count = format_count(len(history.earlier_tickets))
        self.tickets_count.setText(
            self.tr("newest {count}").format(count=count) if history.more_tickets else count
        )
        self.pages.setCurrentIndex(_CONTENT)
        self.loaded.emit(ticket_id)

    def _show_summary(self, history: CustomerHistory) -> None:
        summary = history.summary
        none = self.tr("—")
        spend = summary.spend
        self.spend_value.setText(
            "\n".join(format_money(s.total, s.currency) for s in spend) if spend else none
        )
        self.average_value.setText(
            "\n".join(format_money(s.average, s.currency) for s in spend) if spend else none
        )
        self.order_count_value.setText(format_count(summary.order_count))
        not_counted = summary.all_orders - summary.order_count
        self.order_count_value.setToolTip(
            self.tr("{count} cancelled or returned orders are not counted.").format(
                count=format_count(not_counted)
            )
            if not_counted
            else ""
        )
        self.first_value.setText(format_date(summary.first_purchase) or none)
        self.first_value.setToolTip(format_datetime(summary.first_purchase))
        self.last_value.setText(format_date(summary.last_purchase) or none)
        self.last_value.setToolTip(format_datetime(summary.last_purchase))
        self.points_value.setText(format_count(summary.points))

    def _show_orders(self, history: CustomerHistory) -> None:
        view = self.orders_view
        view.setUpdatesEnabled(False)  # one repaint for the reset and the expansions
        try:
            self._show_list(self.orders_model, history.orders, view, self.orders_empty)
            for row in range(min(EXPANDED_ORDERS, len(history.orders))):
                view.setExpanded(self.orders_model.index(row, 0), True)
        finally:
            view.setUpdatesEnabled(True)
        layout = self._content_layout
        layout.setStretch(layout.count() - 1, 0 if history.orders else 1)
        shown = format_count(len(history.orders))
        if history.more_orders:
            text = self.tr("newest {shown} of {total}").format(
                shown=shown, total=format_count(history.summary.all_orders)
            )
        else:
            text = shown
        self.orders_count.setText(text)

    @staticmethod
    def _show_list(
        model: DealsModel | OrdersModel | EarlierTicketsModel,
        rows: tuple[object, ...],
        view: HistoryTreeView,
        empty: QLabel,
    ) -> None:
        model.set_rows(rows)  # type: ignore[arg-type]  # each model takes its own row type
        view.scrollToTop()
        view.refit()
        view.setVisible(bool(rows))
        empty.setVisible(not rows)

    # --- earlier tickets -----------------------------------------------------------------------

    def _earlier_ticket_chosen(self, index: QModelIndex) -> None:
        ticket_id = index.data(TicketIdRole)
        if not isinstance(ticket_id, int):
            return
        # A double click is a click and an activation: ask to open the ticket once.
        last_id, when = self._last_request
        interval = QApplication.doubleClickInterval()
        if last_id == ticket_id and when.isValid() and when.elapsed() < interval:
            return
        timer = QElapsedTimer()
        timer.start()
        self._last_request = (ticket_id, timer)
        self.open_ticket_requested.emit(ticket_id)

    # --- editing the contact -------------------------------------------------------------------

    def _save_contact(self, request: ContactSave) -> None:
        actor_id, db = self._actor_id, self._db
        if actor_id is None:
            self.card.set_saving(False)
            self.card.show_message(self.tr("Choose your agent profile to edit contacts."))
            return
        op = tasks.Op(self, lambda: _save(db, actor_id, request))
        op.on_success(self._contact_saved)
        op.on_failure(lambda exc: self._contact_not_saved(request, exc)).start()

    def _contact_saved(self, card: ContactCard) -> None:
        self.contact_changed.emit(card.id)
        if self._history is None or self._history.contact.id != card.id:
            return  # the panel moved to another customer meanwhile
        self._history = dataclasses.replace(self._history, contact=card)
        self.card.finish_edit()
        self.card.show_card(card)
        self.card.show_message(self.tr("Saved."), error=False)

    def _contact_not_saved(self, request: ContactSave, exc: BaseException) -> None:
        if isinstance(exc, StaleEditError):
            self.card.finish_edit()
            self.card.show_message(
                self.tr(
                    "Not saved: changed by {name} at {time}. Showing the current version."
                ).format(name=exc.changed_by, time=format_datetime(exc.changed_at))
            )
            self._reload_card(request.contact_id)
            return
        self.card.set_saving(False)
        if isinstance(exc, CrmDeskError):
            self.card.show_message(
                self.tr("Not saved: {reason}").format(reason=tasks.describe_error(exc))
            )
        else:
            self.card.show_message(self.tr("Not saved: an unexpected error occurred."))
            tasks.report_error(exc)

    def _reload_card(self, contact_id: int) -> None:
        db = self._db

        def landed(card: ContactCard) -> None:
            if self._history is not None and self._history.contact.id == card.id:
                self._history = dataclasses.replace(self._history, contact=card)
                self.card.show_card(card)

        tasks.Op(self, lambda: _load_card(db, contact_id)).on_success(landed).start()
