"""The first start: choose the database, your agent profile, and optionally a first mailbox.

``ensure_first_start(config)`` is what the app calls before opening its main window. When the
settings already name an agent, it returns at once; otherwise it runs the welcome wizard and
saves what was chosen (database URL, agent email) to the settings file. ``crm-desk demo``
does not call it: the demo acts as its own lead.

Pages whose "Next" needs the database (opening it, adding the profile, adding the mailbox)
start an ``Op``, stay where they are until it lands, then move on by themselves; an error is
shown on the page, in one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from crm_desk import config
from crm_desk.errors import ConfigurationError
from crm_desk.store.db import Database
from crm_desk.store.schema import open_database
from crm_desk.ui import tasks
from crm_desk.ui.dialogs.agent_form import AgentForm, AgentInfo, load_agents, role_label
from crm_desk.ui.dialogs.database_form import DatabaseForm
from crm_desk.ui.dialogs.form_parts import StatusLine, one_line_error
from crm_desk.ui.dialogs.mailbox_form import MailboxForm
from crm_desk.ui.dialogs.mailbox_work import MailboxDraft, MailboxInfo


@dataclass(frozen=True)
class StartChoice:
    """What the app opens with: the database URL (in full) and the acting agent's email."""

    database_url: str
    agent_email: str


def needs_first_start(settings: config.Config) -> bool:
    return not settings.get("agent_email")


def ensure_first_start(
    settings: config.Config, *, database_url: str | None = None, parent: QWidget | None = None
) -> StartChoice | None:
    """The database and agent to start with; None when the person closed the welcome flow.

    ``database_url`` is the ``--database`` option: it wins, as everywhere, and is what the
    wizard proposes when it runs.
    """
    url = config.resolve_database_url(database_url, settings)
    if not needs_first_start(settings):
        return StartChoice(url, str(settings.get("agent_email")))
    wizard = WelcomeWizard(settings, url, parent)
    if wizard.exec() != QDialog.DialogCode.Accepted:
        return None
    return wizard.choice


def _open_for_setup(url: str) -> tuple[Database, list[AgentInfo]]:
    """Open (create or upgrade) the chosen database and read its agent profiles."""
    db = open_database(url)
    try:
        return db, load_agents(db)
    except BaseException:
        db.dispose()
        raise


def _dispose_later(db: Database) -> None:
    """Close ``db`` on the worker, after every op already queued for it (ops run in order)."""
    app = QCoreApplication.instance()
    if app is not None:
        tasks.Op(app, db.dispose).start()


def _title_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # names, addresses and URLs are plain text
    label.setWordWrap(True)
    return label


class WelcomeWizard(QWizard):
    def __init__(
        self, settings: config.Config, database_url: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeWizard")
        self.setWindowTitle(self.tr("Welcome to crm-desk"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.settings = settings
        self.db: Database | None = None
        self.db_url = ""
        self.agents: list[AgentInfo] = []
        self.agent: AgentInfo | None = None
        self.mailbox: MailboxInfo | None = None
        self.choice: StartChoice | None = None

        self.database_page = DatabasePage(self, database_url)
        self.agent_page = AgentPage(self)
        self.mailbox_page = MailboxPage(self)
        self.done_page = DonePage(self)
        for page in (self.database_page, self.agent_page, self.mailbox_page, self.done_page):
            self.addPage(page)
        self.resize(680, 620)

    def use_database(self, db: Database, url: str, found: list[AgentInfo]) -> None:
        if self.db is not None:
            _dispose_later(self.db)
        self.db, self.db_url, self.agents = db, url, found
        self.agent = None
        self.mailbox = None

    def accept(self) -> None:
        assert self.agent is not None
        try:
            self.settings.set("database_url", config.database_setting(self.db_url))
            self.settings.set("agent_email", self.agent.email)
            self.settings.save()
        except (OSError, ConfigurationError) as exc:
            self.done_page.status.error(
                self.tr("Cannot save the settings: {}").format(one_line_error(exc))
            )
            return
        self.choice = StartChoice(self.db_url, self.agent.email)
        self._release_database()
        super().accept()

    def reject(self) -> None:
        self._release_database()
        super().reject()

    def _release_database(self) -> None:
        if self.db is not None:
            _dispose_later(self.db)
            self.db = None


class DatabasePage(QWizardPage):
    def __init__(self, flow: WelcomeWizard, database_url: str) -> None:
        super().__init__(flow)
        self.setObjectName("databasePage")
        self._flow = flow
        self._opening = False
        self.setTitle(self.tr("Where the tickets live"))
        self.setSubTitle(
            self.tr(
                "Keep them in a file on this computer, or connect to your team's "
                "PostgreSQL database."
            )
        )
        self.form = DatabaseForm(config.default_database_path(), self)
        self.form.set_url(database_url)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        self.form.changed.connect(self.completeChanged)

    def isComplete(self) -> bool:
        return self.form.is_complete() and not self._opening

    def validatePage(self) -> bool:
        url = self.form.url()
        if self._flow.db is not None and self._flow.db_url == url:
            return True
        self._opening = True
        self.completeChanged.emit()
        self.form.status.busy(self.tr("Opening the database…"))

        def opened(result: tuple[Database, list[AgentInfo]]) -> None:
            self._opening = False
            db, found = result
            if not self._flow.isVisible():  # closed meanwhile: nobody will use it
                _dispose_later(db)
                return
            self._flow.use_database(db, url, found)
            self.form.status.clear_state()
            self.completeChanged.emit()
            if self.form.url() == url and self._flow.currentPage() is self:
                self._flow.next()

        def failed(exc: BaseException) -> None:
            self._opening = False
            self.form.show_failure(exc)
            self.completeChanged.emit()

        tasks.Op(self, lambda: _open_for_setup(url)).on_success(opened).on_failure(failed).start()
        return False


class AgentPage(QWizardPage):
    def __init__(self, flow: WelcomeWizard) -> None:
        super().__init__(flow)
        self.setObjectName("agentPage")
        self._flow = flow
        self.setTitle(self.tr("Who you are"))
        self.setSubTitle(self.tr("Claims, replies and notes are made in this name."))
        self.form = AgentForm(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        self.form.changed.connect(self.completeChanged)

    def initializePage(self) -> None:
        current = self._flow.agent.email if self._flow.agent else ""
        self.form.set_agents(self._flow.agents, current or self._flow.settings.get("agent_email"))

    def isComplete(self) -> bool:
        return self.form.is_complete()

    def validatePage(self) -> bool:
        chosen = self.form.selected()
        if chosen is not None:
            self._flow.agent = chosen
            return True
        db = self._flow.db
        assert db is not None

        def added(agent: AgentInfo) -> None:
            self._flow.agent = agent
            self._flow.agents = self.form.agents()  # it is one of them now, on Back and Next
            if self._flow.currentPage() is self:
                self._flow.next()  # the new profile is now selected: validatePage passes

        self.form.commit(db, added)
        return False


class MailboxPage(QWizardPage):
    def __init__(self, flow: WelcomeWizard) -> None:
        super().__init__(flow)
        self.setObjectName("mailboxPage")
        self._flow = flow
        self._saved_draft: MailboxDraft | None = None
        self.setTitle(self.tr("A shared mailbox"))
        # One line: a wizard's header does not grow for a second one.
        self.setSubTitle(
            self.tr("Optional: its mail becomes tickets. Or add one later in Settings.")
        )
        self.add_check = QCheckBox(self.tr("Add a mai&lbox now"), self)
        self.add_check.setObjectName("addMailboxCheck")
        self.note = _title_label(self, "hintLabel")
        self.form = MailboxForm(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.add_check)
        layout.addWidget(self.note)
        layout.addWidget(self.form, 1)
        self.add_check.toggled.connect(self._toggled)
        self.form.changed.connect(self.completeChanged)
        self.form.setEnabled(False)

    def initializePage(self) -> None:
        lead = self._flow.agent is not None and self._flow.agent.is_lead
        self.add_check.setEnabled(lead)
        if not lead:
            self.add_check.setChecked(False)
            self.note.setText(
                self.tr("Mailboxes are added by a team lead or an administrator. Skip this step.")
            )
        else:
            self.note.clear()
        self.note.setVisible(not lead)
        if lead and self.form.keyring_usable is None:
            self.form.check_keyring()

    def _toggled(self, checked: bool) -> None:
        self.form.setEnabled(checked)
        if checked:
            self.form.address_edit.setFocus()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.add_check.isChecked() or self.form.is_complete()

    def validatePage(self) -> bool:
        if not self.add_check.isChecked():
            return True
        draft = self.form.draft()
        if self._saved_draft == draft:
            return True
        db, agent = self._flow.db, self._flow.agent
        assert db is not None and agent is not None

        def saved(info: MailboxInfo) -> None:
            self._saved_draft = draft
            self._flow.mailbox = info
            if self._flow.currentPage() is self:
                self._flow.next()

        self.form.save(db, agent.email, saved)
        return False


class DonePage(QWizardPage):
    def __init__(self, flow: WelcomeWizard) -> None:
        super().__init__(flow)
        self.setObjectName("donePage")
        self._flow = flow
        self.setTitle(self.tr("Ready"))
        self.setSubTitle(self.tr("crm-desk opens with these settings. Change them in Settings."))
        self.database_label = _title_label(self, "summaryDatabase")
        self.agent_label = _title_label(self, "summaryAgent")
        self.mailbox_label = _title_label(self, "summaryMailbox")
        self.status = StatusLine(self)
        summary = QFormLayout()
        summary.addRow(self.tr("Database:"), self.database_label)
        summary.addRow(self.tr("You:"), self.agent_label)
        summary.addRow(self.tr("Mailbox:"), self.mailbox_label)
        layout = QVBoxLayout(self)
        layout.addLayout(summary)
        layout.addStretch(1)
        layout.addWidget(self.status)

    def initializePage(self) -> None:
        flow = self._flow
        db = flow.db
        where = db.sqlite_path if db is not None else None
        self.database_label.setText(str(where) if where else db.describe() if db else flow.db_url)
        agent = flow.agent
        if agent is not None:
            self.agent_label.setText(f"{agent.name} <{agent.email}> · {role_label(agent.role)}")
        mailbox = flow.mailbox
        self.mailbox_label.setText(
            f"{mailbox.name} <{mailbox.address}>" if mailbox else self.tr("None yet")
        )
