"""The settings dialog's mailbox list: add (a form in its own dialog), test, remove.

Adding and removing is a lead's job: the buttons are enabled for a lead or an administrator
only, and ``core.mailboxes`` refuses anyone else anyway.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.dialogs import mailbox_work
from crm_desk.ui.dialogs.form_parts import StatusLine, one_line_error
from crm_desk.ui.dialogs.mailbox_form import MailboxForm, describe_login
from crm_desk.ui.dialogs.mailbox_work import LoginResult, MailboxInfo
from crm_desk.ui.models.queue_columns import plain_tooltip


class AddMailboxDialog(QDialog):
    """The mailbox form with Save and Cancel; Save stores it (on the worker) and closes."""

    def __init__(self, db: Database, actor_email: str | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("addMailboxDialog")
        self.setWindowTitle(self.tr("Add a mailbox"))
        self._db = db
        self._actor_email = actor_email
        self.added: MailboxInfo | None = None
        self.form = MailboxForm(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.form.changed.connect(self._update_save)
        self._update_save()
        self.resize(600, 640)
        self.form.check_keyring()

    def _update_save(self) -> None:
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(self.form.is_complete())

    def accept(self) -> None:
        if self.added is not None:
            super().accept()
            return

        def saved(info: MailboxInfo) -> None:
            self.added = info
            super(AddMailboxDialog, self).accept()

        self.form.save(self._db, self._actor_email, saved)


class MailboxesPanel(QWidget):
    changed = Signal()  # a mailbox was added or removed

    def __init__(self, db: Database, actor_email: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mailboxesPanel")
        self._db = db
        self._actor_email = actor_email or None
        self._can_manage = False
        self.mailboxes: list[MailboxInfo] = []

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("mailboxList")
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setHeaderLabels(
            [self.tr("Name"), self.tr("Address"), self.tr("Server"), self.tr("State")]
        )
        for column, width in enumerate((110, 180, 160)):
            self.tree.setColumnWidth(column, width)  # until there are rows to measure
        self.add_button = QPushButton(self.tr("&Add…"), self)
        self.add_button.setObjectName("addMailboxButton")
        self.test_button = QPushButton(self.tr("&Test"), self)
        self.test_button.setObjectName("testSavedMailboxButton")
        self.remove_button = QPushButton(self.tr("&Remove"), self)
        self.remove_button.setObjectName("removeMailboxButton")
        self.status = StatusLine(self)

        buttons = QHBoxLayout()
        for button in (self.add_button, self.test_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

        self.add_button.clicked.connect(self.add_mailbox)
        self.test_button.clicked.connect(self.test_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.tree.currentItemChanged.connect(self._update_enabled)
        self._update_enabled()

    def set_can_manage(self, can_manage: bool) -> None:
        """Whether the acting agent may add and remove mailboxes (a lead or an admin)."""
        self._can_manage = can_manage
        tip = "" if can_manage else self.tr("Only a team lead or an administrator can do this.")
        self.add_button.setToolTip(tip)
        self.remove_button.setToolTip(tip)
        self._update_enabled()

    def load(self) -> None:
        db = self._db
        tasks.Op(self, lambda: mailbox_work.load(db)).on_success(self._show).on_failure(
            lambda exc: self.status.error(one_line_error(exc))
        ).start()

    def _show(self, found: list[MailboxInfo]) -> None:
        self.mailboxes = found
        self.tree.clear()
        for info in found:
            state = self.tr("Active") if info.active else self.tr("Stopped")
            if info.last_error:
                state = self.tr("Error")
            item = QTreeWidgetItem([info.name, info.address, info.server, state])
            item.setData(0, Qt.ItemDataRole.UserRole, info.name)
            if info.last_error:
                item.setToolTip(3, plain_tooltip(info.last_error) or "")  # a server's words
            self.tree.addTopLevelItem(item)
        if found:
            for column in range(self.tree.columnCount() - 1):
                self.tree.resizeColumnToContents(column)
        self._update_enabled()

    def selected_name(self) -> str | None:
        item = self.tree.currentItem()
        return None if item is None else str(item.data(0, Qt.ItemDataRole.UserRole))

    def _update_enabled(self) -> None:
        chosen = self.selected_name() is not None
        self.add_button.setEnabled(self._can_manage)
        self.remove_button.setEnabled(self._can_manage and chosen)
        self.test_button.setEnabled(chosen)

    # --- actions -------------------------------------------------------------------------------

    def add_mailbox(self) -> None:
        dialog = AddMailboxDialog(self._db, self._actor_email, self)
        dialog.finished.connect(lambda _result: self._added(dialog))
        dialog.open()

    def _added(self, dialog: AddMailboxDialog) -> None:
        if dialog.added is not None:
            self.status.ok(self.tr("Mailbox {} added.").format(dialog.added.name))
            self.load()
            self.changed.emit()
        dialog.deleteLater()

    def test_selected(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        db = self._db
        self.status.busy(self.tr("Testing {}…").format(name))

        def logged_in(result: LoginResult) -> None:
            self.status.ok(describe_login(result))

        def failed(exc: BaseException) -> None:
            self.status.error(self.tr("{}: cannot log in: {}").format(name, one_line_error(exc)))

        tasks.Op(self, lambda: mailbox_work.try_saved(db, name)).on_success(logged_in).on_failure(
            failed
        ).start()

    def confirm_remove(self, name: str) -> bool:
        box = QMessageBox(self)
        box.setObjectName("removeMailboxBox")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Remove mailbox"))
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            self.tr(
                "Stop fetching mail from {}? Its tickets stay, and its password is removed "
                "from the keyring."
            ).format(name)
        )
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def remove_selected(self) -> None:
        name = self.selected_name()
        if name is None or not self.confirm_remove(name):
            return
        db, actor = self._db, self._actor_email

        def removed(_: None) -> None:
            self.status.ok(self.tr("Mailbox {} removed.").format(name))
            self.load()
            self.changed.emit()

        tasks.Op(self, lambda: mailbox_work.remove(db, name, actor)).on_success(removed).on_failure(
            lambda exc: self.status.error(one_line_error(exc))
        ).start()
