"""The contact card at the top of the customer panel: who the customer is, editable in place.

The card only shows and collects: saving (``update_contact`` in an ``Op``) is the panel's job.
``save_requested`` carries the fields that changed and the version the card showed, so a save
is a compare-and-set: if someone else changed the contact meanwhile, the service refuses it
and the panel reports "changed by X" here.

Names, companies, addresses and phone numbers come from e-mail and web forms: every label is
plain text, and the long ones elide to the panel's width with the full text in a tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_desk.core.customers import ContactEdit
from crm_desk.core.history import ContactCard
from crm_desk.ui.history_labels import (
    lifecycle_choices,
    lifecycle_label,
    qualification_choices,
    qualification_description,
    qualification_label,
)
from crm_desk.ui.models.queue_model import plain_tooltip


@dataclass(frozen=True)
class ContactSave:
    """An edit to save: only the changed fields are set in ``edit``."""

    contact_id: int
    expected_version: int
    edit: ContactEdit


def plain_label(parent: QWidget, name: str, *, wrap: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # data from outside is never markup
    label.setWordWrap(wrap)
    return label


class ElidedLabel(QLabel):
    """One line of plain text that elides to the width it is given instead of widening the
    panel; the full text is in ``full_text()`` and, when cut, in the tooltip."""

    def __init__(self, parent: QWidget, name: str, *, selectable: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if selectable:  # addresses and phone numbers get copied into other programs
            self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._full = ""

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str) -> None:
        self._full = text
        self._elide()

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.contentsRect().width(), 1)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width)
        if shown != self.text():
            self.setText(shown)
        self.setToolTip((plain_tooltip(self._full) or "") if shown != self._full else "")


class ContactCardView(QFrame):
    """Display and edit forms of one contact; see the module docstring."""

    save_requested = Signal(object)  # ContactSave

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactCard")
        self._card: ContactCard | None = None
        self._editing: ContactCard | None = None  # the card the form started from
        self._can_edit = False

        # Two pages shown one at a time (not a QStackedWidget, which would give the short
        # display the height of the taller form).
        self.display_page = self._build_display()
        self.form_page = self._build_form()
        self.form_page.hide()
        self.message_label = plain_label(self, "contactMessage", wrap=True)
        self.message_label.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.display_page)
        layout.addWidget(self.form_page)
        layout.addWidget(self.message_label)
        self.set_can_edit(False)

    # --- building ------------------------------------------------------------------------------

    def _build_display(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("contactDisplay")
        self.name_label = ElidedLabel(page, "contactName", selectable=True)
        self.edit_button = QToolButton(page)
        self.edit_button.setObjectName("contactEditButton")
        self.edit_button.setText(self.tr("Edit"))
        self.edit_button.setAutoRaise(True)
        self.edit_button.clicked.connect(self.begin_edit)
        self.kana_label = ElidedLabel(page, "contactKana")
        self.company_label = ElidedLabel(page, "contactCompany", selectable=True)
        self.email_label = ElidedLabel(page, "contactEmail", selectable=True)
        self.phone_label = ElidedLabel(page, "contactPhone", selectable=True)
        self.lifecycle_badge = plain_label(page, "lifecycleBadge")
        self.qualification_badge = plain_label(page, "qualificationBadge")

        top = QHBoxLayout()
        top.setSpacing(4)
        top.addWidget(self.name_label, 1)
        top.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        badges = QHBoxLayout()
        badges.setSpacing(4)
        badges.addWidget(self.lifecycle_badge)
        badges.addWidget(self.qualification_badge)
        badges.addStretch(1)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(top)
        for label in (self.kana_label, self.company_label, self.email_label, self.phone_label):
            layout.addWidget(label)
        layout.addSpacing(3)
        layout.addLayout(badges)
        return page

    def _build_form(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("contactForm")
        self.name_edit = QLineEdit(page)
        self.name_edit.setObjectName("contactNameEdit")
        self.company_edit = QLineEdit(page)
        self.company_edit.setObjectName("contactCompanyEdit")
        self.company_edit.setPlaceholderText(self.tr("No company"))
        self.phone_edit = QLineEdit(page)
        self.phone_edit.setObjectName("contactPhoneEdit")
        self.lifecycle_combo = QComboBox(page)
        self.lifecycle_combo.setObjectName("contactLifecycleCombo")
        for value, label in lifecycle_choices():
            self.lifecycle_combo.addItem(label, value)
        self.qualification_combo = QComboBox(page)
        self.qualification_combo.setObjectName("contactQualificationCombo")
        for value, label in qualification_choices():
            self.qualification_combo.addItem(label, value)
            self.qualification_combo.setItemData(
                self.qualification_combo.count() - 1,
                qualification_description(value),
                Qt.ItemDataRole.ToolTipRole,
            )
        for edit in (self.name_edit, self.company_edit, self.phone_edit):
            edit.returnPressed.connect(self._submit)

        self.save_button = QPushButton(self.tr("Save"), page)
        self.save_button.setObjectName("contactSaveButton")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._submit)
        self.cancel_button = QPushButton(self.tr("Cancel"), page)
        self.cancel_button.setObjectName("contactCancelButton")
        self.cancel_button.clicked.connect(self.cancel_edit)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setSpacing(4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for title, field in (
            (self.tr("&Name"), self.name_edit),
            (self.tr("C&ompany"), self.company_edit),
            (self.tr("&Phone"), self.phone_edit),
            (self.tr("S&tage"), self.lifecycle_combo),
            (self.tr("&MQL/SQL"), self.qualification_combo),
        ):
            caption = plain_label(page, "contactFormLabel")
            caption.setText(title)
            caption.setBuddy(field)  # the & makes Alt+letter jump to the field
            form.addRow(caption, field)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(form)
        layout.addLayout(buttons)
        return page

    # --- showing -------------------------------------------------------------------------------

    @property
    def card(self) -> ContactCard | None:
        return self._card

    @property
    def editing(self) -> bool:
        return self._editing is not None

    def show_card(self, card: ContactCard) -> None:
        """Show ``card``. A form open for another contact is dropped; one open for this
        contact is kept, still tied to the version it started from."""
        if self._editing is not None and self._editing.id != card.id:
            self.cancel_edit()
        if self._card is None or self._card.id != card.id:
            self.clear_message()
        self._card = card
        self.name_label.set_full_text(card.name or card.email)
        self.kana_label.set_full_text(card.name_kana or "")
        self.kana_label.setVisible(bool(card.name_kana))
        self.company_label.set_full_text(card.company or "")
        self.company_label.setVisible(bool(card.company))
        self.email_label.set_full_text(card.email)
        self.phone_label.set_full_text(card.phone or "")
        self.phone_label.setVisible(bool(card.phone))
        self.lifecycle_badge.setText(lifecycle_label(card.lifecycle))
        self.lifecycle_badge.setProperty("stage", card.lifecycle)  # for the style sheet
        self.lifecycle_badge.setToolTip(self.tr("Lifecycle stage"))
        self.qualification_badge.setText(qualification_label(card.qualification))
        self.qualification_badge.setProperty("qualification", card.qualification)
        self.qualification_badge.setToolTip(qualification_description(card.qualification))
        for badge in (self.lifecycle_badge, self.qualification_badge):
            badge.style().unpolish(badge)  # re-read the property selectors
            badge.style().polish(badge)
        self._update_edit_button()

    def set_can_edit(self, can_edit: bool, reason: str = "") -> None:
        """Whether the Edit button works (it needs an acting agent); ``reason`` says why not."""
        self._can_edit = can_edit
        self._edit_reason = reason
        self._update_edit_button()

    def _update_edit_button(self) -> None:
        usable = self._can_edit and self._card is not None
        self.edit_button.setEnabled(usable)
        self.edit_button.setToolTip(
            self.tr("Edit the contact") if usable else plain_tooltip(self._edit_reason) or ""
        )

    def show_message(self, text: str, *, error: bool = True) -> None:
        self.message_label.setText(text)
        self.message_label.setProperty("error", error)
        self.message_label.style().unpolish(self.message_label)
        self.message_label.style().polish(self.message_label)
        self.message_label.setVisible(bool(text))

    def clear_message(self) -> None:
        self.show_message("")

    # --- editing -------------------------------------------------------------------------------

    def begin_edit(self) -> None:
        card = self._card
        if card is None or not self._can_edit:
            return
        self._editing = card
        self.clear_message()
        self.name_edit.setText(card.name)
        self.company_edit.setText(card.company or "")
        self.phone_edit.setText(card.phone or "")
        _select(self.lifecycle_combo, card.lifecycle)
        _select(self.qualification_combo, card.qualification)
        self.set_saving(False)
        self.display_page.hide()
        self.form_page.show()
        self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.name_edit.selectAll()

    def cancel_edit(self) -> None:
        self._editing = None
        self.set_saving(False)
        self.form_page.hide()
        self.display_page.show()

    def finish_edit(self) -> None:
        """Back to the display after a save (or a refused one)."""
        self.cancel_edit()

    def set_saving(self, saving: bool) -> None:
        for widget in (
            self.name_edit,
            self.company_edit,
            self.phone_edit,
            self.lifecycle_combo,
            self.qualification_combo,
            self.save_button,
            self.cancel_button,
        ):
            widget.setEnabled(not saving)
        self.save_button.setText(self.tr("Saving…") if saving else self.tr("Save"))

    def pending_edit(self) -> ContactEdit:
        """The fields of the form that differ from the card it started from."""
        start = self._editing
        if start is None:
            return ContactEdit()
        name = self.name_edit.text().strip()
        company = self.company_edit.text().strip()
        phone = self.phone_edit.text().strip()
        lifecycle = str(self.lifecycle_combo.currentData())
        qualification = str(self.qualification_combo.currentData())
        return ContactEdit(
            name=name if name != start.name else None,
            company_name=company if company != (start.company or "") else None,
            phone=phone if phone != (start.phone or "") else None,
            lifecycle=lifecycle if lifecycle != start.lifecycle else None,
            qualification=qualification if qualification != start.qualification else None,
        )

    def _submit(self) -> None:
        start = self._editing
        if start is None or not self.save_button.isEnabled():
            return
        edit = self.pending_edit()
        if edit == ContactEdit():
            self.cancel_edit()  # nothing changed: nothing to save
            return
        self.clear_message()
        self.set_saving(True)
        self.save_requested.emit(ContactSave(start.id, start.version, edit))


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    if index < 0:  # a value this version does not know: keep it choosable rather than lose it
        combo.addItem(value, value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)
