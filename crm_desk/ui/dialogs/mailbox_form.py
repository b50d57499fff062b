"""The fields of ``crm-desk mailbox add`` as a form, with a test button and the keyring's state.

Used by the welcome wizard and by the settings dialog's "Add mailbox". The password goes to
the system keyring and nowhere else; the test, the keyring check and the save run on the
worker (``mailbox_work``), never on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QLocale, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.dialogs import mailbox_work
from crm_desk.ui.dialogs.form_parts import StatusLine, one_line_error
from crm_desk.ui.dialogs.mailbox_work import LoginResult, MailboxDraft, MailboxInfo

IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
SMTP_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


def _port_box(parent: QWidget, name: str, value: int) -> QSpinBox:
    box = QSpinBox(parent)
    box.setObjectName(name)
    box.setRange(1, 65535)
    box.setValue(value)
    box.setGroupSeparatorShown(False)  # 993, not 993 with a thousands separator
    return box


class MailboxForm(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mailboxForm")
        self._generation = 0
        self._name_edited = False
        self.keyring_usable: bool | None = None  # None: not checked yet

        # Created in the order of the form: the focus chain (Tab) follows creation.
        self.address_edit = QLineEdit(self)
        self.address_edit.setObjectName("mailboxAddress")
        self.address_edit.setPlaceholderText("support@example.com")
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("mailboxName")
        self.name_edit.setPlaceholderText("support")

        self.imap_host = QLineEdit(self)
        self.imap_host.setObjectName("imapHost")
        self.imap_host.setPlaceholderText("imap.example.com")
        self.imap_port = _port_box(self, "imapPort", IMAP_PORTS["ssl"])
        self.imap_tls = self._tls_combo("imapTls")
        self.username = QLineEdit(self)
        self.username.setObjectName("mailboxUsername")
        self.username.setPlaceholderText(self.tr("Same as the address"))
        self.auth = QComboBox(self)
        self.auth.setObjectName("mailboxAuth")
        self.auth.addItem(self.tr("Password"), "password")
        self.auth.addItem(self.tr("OAuth2 access token"), "xoauth2")
        self.secret = QLineEdit(self)
        self.secret.setObjectName("mailboxSecret")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.folders = QLineEdit("INBOX", self)
        self.folders.setObjectName("mailboxFolders")
        self.folders.setToolTip(self.tr("Several folders: separate them with commas."))
        self.after_import = QComboBox(self)
        self.after_import.setObjectName("afterImport")
        self.after_import.addItem(self.tr("Leave it as it is"), "none")
        self.after_import.addItem(self.tr("Mark it as read"), "seen")
        self.after_import.addItem(self.tr("Move it to the folder"), "move")
        self.move_folder = QLineEdit(self)
        self.move_folder.setObjectName("moveFolder")
        self.move_folder.setPlaceholderText("Archive")

        self.smtp_host = QLineEdit(self)
        self.smtp_host.setObjectName("smtpHost")
        self.smtp_host.setPlaceholderText(self.tr("Optional: smtp.example.com"))
        self.smtp_port = _port_box(self, "smtpPort", SMTP_PORTS["starttls"])
        self.smtp_tls = self._tls_combo("smtpTls")
        self.smtp_tls.setCurrentIndex(self.smtp_tls.findData("starttls"))

        self.keyring_status = StatusLine(self)
        self.keyring_status.setObjectName("keyringStatus")
        self.test_button = QPushButton(self.tr("Te&st connection"), self)
        self.test_button.setObjectName("testMailboxButton")
        self.status = StatusLine(self)

        self._lay_out()
        edits = (self.name_edit, self.imap_host, self.secret, self.move_folder, self.username)
        for edit in (*edits, self.folders, self.smtp_host):
            edit.textChanged.connect(self._edited)
        self.name_edit.textEdited.connect(self._name_typed)  # typed by the person, not proposed
        self.address_edit.textChanged.connect(self._address_typed)
        self.imap_tls.currentIndexChanged.connect(self._imap_tls_changed)
        self.smtp_tls.currentIndexChanged.connect(self._smtp_tls_changed)
        for combo in (self.auth, self.after_import):
            combo.currentIndexChanged.connect(self._edited)
        self.test_button.clicked.connect(self.test_connection)
        self._update_enabled()

    def _tls_combo(self, name: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.addItem(self.tr("SSL/TLS"), "ssl")
        combo.addItem(self.tr("STARTTLS"), "starttls")
        combo.addItem(self.tr("None (this computer only)"), "none")
        return combo

    def _lay_out(self) -> None:
        mailbox = QFormLayout()
        mailbox.addRow(self.tr("&Address:"), self.address_edit)
        mailbox.addRow(self.tr("Na&me:"), self.name_edit)

        incoming = QGroupBox(self.tr("Incoming mail (IMAP)"), self)
        imap = QFormLayout(incoming)
        imap.addRow(
            self._buddy(self.tr("Ser&ver:"), self.imap_host),
            self._with_port(self.imap_host, self.imap_port),
        )
        imap.addRow(self.tr("Securit&y:"), self.imap_tls)
        imap.addRow(self.tr("&User name:"), self.username)
        imap.addRow(self.tr("Sign-&in:"), self.auth)
        imap.addRow(self.tr("&Password:"), self.secret)
        imap.addRow(self.tr("&Folders:"), self.folders)
        after = QHBoxLayout()
        after.addWidget(self.after_import)
        after.addWidget(self.move_folder, 1)
        imap.addRow(self._buddy(self.tr("After imp&ort:"), self.after_import), after)

        outgoing = QGroupBox(self.tr("Outgoing mail (SMTP)"), self)
        smtp = QFormLayout(outgoing)
        smtp.addRow(
            self._buddy(self.tr("Serv&er:"), self.smtp_host),
            self._with_port(self.smtp_host, self.smtp_port),
        )
        smtp.addRow(self.tr("Secu&rity:"), self.smtp_tls)

        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(mailbox)
        layout.addWidget(incoming)
        layout.addWidget(outgoing)
        layout.addWidget(self.keyring_status)
        layout.addLayout(test_row)

    def _buddy(self, text: str, field: QWidget) -> QLabel:
        """A form label whose mnemonic focuses ``field`` (a row holding a layout needs one)."""
        label = QLabel(text, self)
        label.setBuddy(field)
        return label

    def _with_port(self, host: QLineEdit, port: QSpinBox) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(host, 1)
        row.addWidget(port)
        port.setAccessibleName(self.tr("Port"))
        return row

    # --- the value -----------------------------------------------------------------------------

    def draft(self) -> MailboxDraft:
        after = str(self.after_import.currentData())
        if after == "move":
            after = f"move:{self.move_folder.text().strip()}"
        smtp_host = self.smtp_host.text().strip() or None
        folders = tuple(f.strip() for f in self.folders.text().split(",") if f.strip())
        return MailboxDraft(
            name=self.name_edit.text().strip(),
            address=self.address_edit.text().strip(),
            imap_host=self.imap_host.text().strip(),
            imap_port=self.imap_port.value(),
            imap_tls=str(self.imap_tls.currentData()),
            username=self.username.text().strip(),
            auth=str(self.auth.currentData()),
            secret=self.secret.text(),
            folders=folders or ("INBOX",),
            after_import=after,
            smtp_host=smtp_host,
            smtp_port=self.smtp_port.value() if smtp_host else None,
            smtp_tls=str(self.smtp_tls.currentData()) if smtp_host else None,
        )

    def can_log_in(self) -> bool:
        d = self.draft()
        return bool(d.address and d.imap_host and d.secret)

    def is_complete(self) -> bool:
        """Everything needed to save: a login, a name, and a keyring to keep the password."""
        d = self.draft()
        moving = d.after_import.startswith("move:")
        return (
            self.can_log_in()
            and bool(d.name)
            and not (moving and d.after_import == "move:")
            and self.keyring_usable is not False
        )

    # --- reacting to edits ---------------------------------------------------------------------

    def _edited(self) -> None:
        self._generation += 1  # a test running for the old values no longer speaks for these
        if self.status.state in ("ok", "error"):
            self.status.clear_state()
        self._update_enabled()
        self.changed.emit()

    def _name_typed(self) -> None:
        self._name_edited = bool(self.name_edit.text())

    def _address_typed(self, text: str) -> None:
        if not self._name_edited:
            # A sensible name to start from: the address's local part (support@ → support).
            self.name_edit.setText(text.split("@", 1)[0].strip())
        self._edited()

    def _imap_tls_changed(self) -> None:
        if self.imap_port.value() in IMAP_PORTS.values():
            self.imap_port.setValue(IMAP_PORTS[str(self.imap_tls.currentData())])
        self._edited()

    def _smtp_tls_changed(self) -> None:
        if self.smtp_port.value() in SMTP_PORTS.values():
            self.smtp_port.setValue(SMTP_PORTS[str(self.smtp_tls.currentData())])
        self._edited()

    def _update_enabled(self) -> None:
        self.move_folder.setEnabled(self.after_import.currentData() == "move")
        has_smtp = bool(self.smtp_host.text().strip())
        self.smtp_port.setEnabled(has_smtp)
        self.smtp_tls.setEnabled(has_smtp)
        self.test_button.setEnabled(self.can_log_in())

    # --- the keyring ---------------------------------------------------------------------------

    def check_keyring(self) -> None:
        """Look for a usable keyring (it may talk to D-Bus: on the worker)."""
        self.keyring_status.busy(self.tr("Looking for the system keyring…"))

        def found(backend: str) -> None:
            self.keyring_usable = True
            self.keyring_status.ok(
                self.tr("The password is kept in the system keyring ({}).").format(backend)
            )
            self.changed.emit()

        def missing(exc: BaseException) -> None:
            self.keyring_usable = False
            self.keyring_status.error(
                self.tr("No usable keyring: the password cannot be kept. {}").format(
                    one_line_error(exc)
                )
            )
            self.changed.emit()

        tasks.Op(self, mailbox_work.keyring_backend).on_success(found).on_failure(missing).start()

    # --- testing and saving --------------------------------------------------------------------

    def test_connection(self) -> None:
        if not self.can_log_in():
            return
        draft = self.draft()
        self._generation += 1
        generation = self._generation
        self.status.busy(self.tr("Connecting to {}…").format(draft.imap_host))

        def logged_in(result: LoginResult) -> None:
            if generation == self._generation:
                self.status.ok(describe_login(result))

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.status.error(self.tr("Cannot log in: {}").format(one_line_error(exc)))

        tasks.Op(self, lambda: mailbox_work.try_login(draft)).on_success(logged_in).on_failure(
            failed
        ).start()

    def save(
        self, db: Database, actor_email: str | None, done: Callable[[MailboxInfo], None]
    ) -> None:
        """Add the mailbox (as ``actor_email``); ``done`` is called once it is stored."""
        draft = self.draft()
        self.status.busy(self.tr("Saving the mailbox…"))
        self.setEnabled(False)

        def saved(info: MailboxInfo) -> None:
            self.setEnabled(True)
            self.status.ok(self.tr("Mailbox {} added.").format(info.name))
            done(info)

        def failed(exc: BaseException) -> None:
            self.setEnabled(True)
            self.status.error(self.tr("Cannot add the mailbox: {}").format(one_line_error(exc)))

        tasks.Op(self, lambda: mailbox_work.add(db, draft, actor_email)).on_success(
            saved
        ).on_failure(failed).start()


def describe_login(result: LoginResult) -> str:
    """For example "Logged in to host:993 as user. Messages: INBOX: 12", translated."""
    counts = ", ".join(f"{f.folder}: {QLocale().toString(f.messages)}" for f in result.folders)
    text = QCoreApplication.translate(
        "MailboxForm", "Logged in to {server} as {user}. Messages: {counts}"
    )
    return text.format(server=result.server, user=result.username, counts=counts)
