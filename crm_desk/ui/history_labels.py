"""Human labels for the customer history's stored values (lifecycle, MQL/SQL, deal stage,
order status), through Qt's translation machinery.

The database keeps short English identifiers; what a person reads is translated in the
``history_labels`` context. An unknown value (a newer schema, a hand-edited row) is shown as
it is rather than hidden. The choices lists give the edit form its combo box entries in the
pipeline's own order.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from crm_desk.store.models import DealStage, Lifecycle, OrderStatus, Qualification


def _tr(text: str) -> str:
    return QCoreApplication.translate("history_labels", text)


# One translate call per label (a dict of every translation would make one per value, and the
# lists call these for each row they paint).


def lifecycle_label(value: str) -> str:
    match value:
        case Lifecycle.CONTACT:
            return _tr("Contact")
        case Lifecycle.LEAD:
            return _tr("Lead")
        case Lifecycle.PROSPECT:
            return _tr("Prospect")
        case Lifecycle.OPPORTUNITY:
            return _tr("Opportunity")
        case Lifecycle.CUSTOMER:
            return _tr("Customer")
    return value


def qualification_label(value: str) -> str:
    match value:
        case Qualification.NONE:
            return _tr("Not qualified")
        case Qualification.MQL:
            return _tr("MQL")
        case Qualification.SQL:
            return _tr("SQL")
    return value


def qualification_description(value: str) -> str:
    """The long form, for tooltips: the acronyms are sales jargon."""
    match value:
        case Qualification.NONE:
            return _tr("Not qualified")
        case Qualification.MQL:
            return _tr("Marketing-qualified lead")
        case Qualification.SQL:
            return _tr("Sales-qualified lead")
    return value


def deal_stage_label(value: str) -> str:
    match value:
        case DealStage.LEAD_GENERATION:
            return _tr("Lead generation")
        case DealStage.QUALIFICATION:
            return _tr("Qualification")
        case DealStage.FIRST_CONTACT:
            return _tr("First contact")
        case DealStage.PROPOSAL:
            return _tr("Proposal")
        case DealStage.NEGOTIATION:
            return _tr("Negotiation")
        case DealStage.WON:
            return _tr("Won")
        case DealStage.LOST:
            return _tr("Lost")
    return value


def order_status_label(value: str) -> str:
    match value:
        case OrderStatus.PLACED:
            return _tr("Placed")
        case OrderStatus.SHIPPED:
            return _tr("Shipped")
        case OrderStatus.DELIVERED:
            return _tr("Delivered")
        case OrderStatus.CANCELLED:
            return _tr("Cancelled")
        case OrderStatus.RETURNED:
            return _tr("Returned")
    return value


def lifecycle_choices() -> list[tuple[str, str]]:
    """(stored value, label) in pipeline order, for the edit form."""
    return [(member.value, lifecycle_label(member.value)) for member in Lifecycle]


def qualification_choices() -> list[tuple[str, str]]:
    return [(member.value, qualification_label(member.value)) for member in Qualification]
