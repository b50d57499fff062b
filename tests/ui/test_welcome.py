"""The first start: database, agent profile, optional mailbox; what is saved; errors in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from crm_desk import config, secrets
from crm_desk.core import agents, mailboxes
from crm_desk.store.db import Database
from crm_desk.store.schema import open_database
from crm_desk.ui import tasks
from crm_desk.ui.dialogs.welcome import (
    StartChoice,
    WelcomeWizard,
    ensure_first_start,
    needs_first_start,
)
from tests.support.dovecot import MailAccount, dovecot_server, mail_account
from tests.support.factories import make_team
from tests.ui.setup_fixtures import app_dirs, file_keyring, no_keyring

__all__ = ["app_dirs", "dovecot_server", "file_keyring", "mail_account", "no_keyring"]


def _wizard(qtbot: QtBot, settings: config.Config, url: str | None = None) -> WelcomeWizard:
    wizard = WelcomeWizard(settings, url or config.resolve_database_url(None, settings))
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _click(qtbot: QtBot, wizard: WelcomeWizard, which: QWizard.WizardButton) -> None:
    button = wizard.button(which)
    assert button.isEnabled(), f"{which} is disabled on {wizard.currentPage().objectName()}"
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def _next(qtbot: QtBot, wizard: WelcomeWizard) -> None:
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)


def _agent_emails(url: str) -> list[str]:
    db = Database(url)
    try:
        with db.read() as session:
            return [a.email for a in agents.list_agents(session)]
    finally:
        db.dispose()


def test_sqlite_default_new_agent_no_mailbox_saves_the_settings(
    qtbot: QtBot, app_dirs: Path
) -> None:
    settings = config.Config()
    assert needs_first_start(settings)
    wizard = _wizard(qtbot, settings)
    form = wizard.database_page.form
    assert form.sqlite_radio.isChecked()  # the default: a file on this computer
    assert form.sqlite_path.text() == str(app_dirs / "data" / "crm-desk.sqlite3")

    _next(qtbot, wizard)  # opens (creates) the database on the worker, then moves on
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.agent_page, timeout=20_000)
    profile = wizard.agent_page.form
    assert profile.new_radio.isChecked() and not profile.existing_radio.isEnabled()
    assert profile.role_combo.currentData() == "admin"  # the first profile sets the team up
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    profile.name_edit.setText("佐藤 美咲")  # QTest types ASCII only
    QTest.keyClicks(profile.email_edit, "Misaki@Example.com")

    _next(qtbot, wizard)  # adds the profile on the worker, then moves on
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.mailbox_page, timeout=10_000)
    assert wizard.mailbox_page.add_check.isEnabled()  # an admin may add mailboxes
    assert not wizard.mailbox_page.add_check.isChecked()  # optional: skipped unless asked

    _next(qtbot, wizard)
    assert wizard.currentPage() is wizard.done_page
    assert wizard.done_page.agent_label.text().startswith("佐藤 美咲 <misaki@example.com>")
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)

    assert wizard.result() == QWizard.DialogCode.Accepted
    default_url = config.default_database_url()
    assert wizard.choice == StartChoice(default_url, "misaki@example.com")
    saved = config.Config()
    assert saved.get("agent_email") == "misaki@example.com"
    assert saved.get("database_url") == ""  # the default file follows the data directory
    assert not needs_first_start(saved)
    assert _agent_emails(default_url) == ["misaki@example.com"]


def test_bad_postgres_url_fails_in_one_line_without_blocking(qtbot: QtBot, app_dirs: Path) -> None:
    wizard = _wizard(qtbot, config.Config())
    form = wizard.database_page.form
    form.postgres_radio.setChecked(True)
    QTest.keyClicks(form.postgres_url, "postgresql://nobody@127.0.0.1:1/crm")
    QTest.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
    # The click returned at once: the test runs on the worker while the dialog stays live.
    assert form.status.state == "busy"
    qtbot.waitUntil(lambda: form.status.state == "error", timeout=20_000)
    assert form.status.text().startswith("Cannot connect: ")
    assert "127.0.0.1" in form.status.text()
    assert "\n" not in form.status.text()

    # Next tries to open it: the error shows and the wizard stays on the page.
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: form.status.state == "error", timeout=20_000)
    assert wizard.currentPage() is wizard.database_page

    form.postgres_url.setText("this is not a URL")
    form.test_connection()
    qtbot.waitUntil(lambda: form.status.state == "error", timeout=10_000)
    assert "not a database URL" in form.status.text()


def test_database_test_reports_what_opening_would_do(qtbot: QtBot, app_dirs: Path) -> None:
    url = f"sqlite:///{app_dirs / 'team.sqlite3'}"
    wizard = _wizard(qtbot, config.Config(), url)
    form = wizard.database_page.form
    form.test_connection()
    qtbot.waitUntil(lambda: form.status.state == "ok", timeout=10_000)
    assert "new database" in form.status.text()
    assert not (app_dirs / "team.sqlite3").exists()  # a test changes nothing

    db = open_database(url)
    make_team(db)
    db.dispose()
    form.test_connection()
    qtbot.waitUntil(lambda: "Agent profiles: 3" in form.status.text(), timeout=10_000)
    assert form.status.state == "ok"


def test_existing_profile_of_a_team_database(qtbot: QtBot, app_dirs: Path) -> None:
    url = f"sqlite:///{app_dirs / 'team.sqlite3'}"
    db = open_database(url)
    make_team(db)
    db.dispose()
    settings = config.Config()
    wizard = _wizard(qtbot, settings, url)
    assert wizard.database_page.form.sqlite_path.text() == str(app_dirs / "team.sqlite3")
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.agent_page, timeout=20_000)
    profile = wizard.agent_page.form
    assert profile.existing_radio.isChecked()
    assert [a.email for a in profile.agents()] == [
        "alice@example.com",
        "bob@example.com",
        "lead@example.com",
    ]
    profile.agent_combo.setCurrentIndex(0)  # Alice, an agent
    _next(qtbot, wizard)
    page = wizard.mailbox_page
    assert wizard.currentPage() is page
    assert not page.add_check.isEnabled()  # mailboxes are a lead's job
    assert "team lead" in page.note.text()
    _next(qtbot, wizard)
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    saved = config.Config()
    assert saved.get("agent_email") == "alice@example.com"
    assert saved.get("database_url") == url
    assert _agent_emails(url) == ["alice@example.com", "bob@example.com", "lead@example.com"]


def test_a_taken_email_is_refused_on_the_page(qtbot: QtBot, app_dirs: Path) -> None:
    url = f"sqlite:///{app_dirs / 'team.sqlite3'}"
    db = open_database(url)
    make_team(db)
    db.dispose()
    wizard = _wizard(qtbot, config.Config(), url)
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.agent_page, timeout=20_000)
    profile = wizard.agent_page.form
    profile.new_radio.setChecked(True)
    QTest.keyClicks(profile.name_edit, "Another Bob")
    QTest.keyClicks(profile.email_edit, "bob@example.com")
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: profile.status.state == "error", timeout=10_000)
    assert "already exists" in profile.status.text()
    assert wizard.currentPage() is wizard.agent_page


def _fill_mailbox(qtbot: QtBot, wizard: WelcomeWizard, account: MailAccount) -> None:
    form = wizard.mailbox_page.form
    QTest.keyClicks(form.address_edit, "support@example.com")
    assert form.name_edit.text() == "support"  # proposed from the address
    QTest.keyClicks(form.imap_host, account.server.host)
    form.imap_tls.setCurrentIndex(form.imap_tls.findData("none"))  # allowed to this machine
    form.imap_port.setValue(account.server.port)
    QTest.keyClicks(form.username, account.user)
    QTest.keyClicks(form.secret, account.password)


def _to_mailbox_page(qtbot: QtBot, wizard: WelcomeWizard) -> None:
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.agent_page, timeout=20_000)
    QTest.keyClicks(wizard.agent_page.form.name_edit, "Lead")
    QTest.keyClicks(wizard.agent_page.form.email_edit, "lead@example.com")
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.mailbox_page, timeout=10_000)


def test_mailbox_tested_and_added_with_the_password_in_the_keyring(
    qtbot: QtBot, app_dirs: Path, file_keyring: Path, mail_account: MailAccount
) -> None:
    wizard = _wizard(qtbot, config.Config())
    _to_mailbox_page(qtbot, wizard)
    page = wizard.mailbox_page
    qtbot.waitUntil(lambda: page.form.keyring_status.state == "ok", timeout=10_000)
    page.add_check.setChecked(True)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # nothing typed
    _fill_mailbox(qtbot, wizard, mail_account)

    QTest.mouseClick(page.form.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.form.status.state in ("ok", "error"), timeout=20_000)
    assert page.form.status.state == "ok", page.form.status.text()
    assert "INBOX: 0" in page.form.status.text()

    _next(qtbot, wizard)  # saves the mailbox on the worker, then moves on
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.done_page, timeout=10_000)
    assert wizard.done_page.mailbox_label.text() == "support <support@example.com>"
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)

    secret = secrets.get_secret(secrets.mailbox_account("support"))
    assert secret == mail_account.password
    db = Database(config.default_database_url())
    try:
        with db.read() as session:
            mailbox = mailboxes.by_name(session, "support")
            assert mailbox.username == mail_account.user
            assert mail_account.password not in repr(vars(mailbox))  # never in the database
    finally:
        db.dispose()


def test_a_wrong_password_is_one_line(
    qtbot: QtBot, app_dirs: Path, file_keyring: Path, mail_account: MailAccount
) -> None:
    wizard = _wizard(qtbot, config.Config())
    _to_mailbox_page(qtbot, wizard)
    page = wizard.mailbox_page
    page.add_check.setChecked(True)
    _fill_mailbox(qtbot, wizard, mail_account)
    QTest.keyClicks(page.form.secret, "-wrong")
    page.form.test_connection()
    qtbot.waitUntil(lambda: page.form.status.state == "error", timeout=20_000)
    assert page.form.status.text().startswith("Cannot log in: login failed")


def test_without_a_keyring_the_mailbox_cannot_be_added(
    qtbot: QtBot, app_dirs: Path, no_keyring: None
) -> None:
    wizard = _wizard(qtbot, config.Config())
    _to_mailbox_page(qtbot, wizard)
    page = wizard.mailbox_page
    qtbot.waitUntil(lambda: page.form.keyring_status.state == "error", timeout=10_000)
    assert page.form.keyring_status.text().startswith("No usable keyring")
    assert "PYTHON_KEYRING_BACKEND" in page.form.keyring_status.text()  # how to fix it
    page.add_check.setChecked(True)
    QTest.keyClicks(page.form.address_edit, "support@example.com")
    QTest.keyClicks(page.form.imap_host, "imap.example.com")
    QTest.keyClicks(page.form.secret, "secret")
    assert page.form.test_button.isEnabled()  # a login test needs no keyring
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    page.add_check.setChecked(False)  # skipping is always possible
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_cancel_saves_nothing(qtbot: QtBot, app_dirs: Path) -> None:
    settings = config.Config()
    wizard = _wizard(qtbot, settings)
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.agent_page, timeout=20_000)
    wizard.reject()
    assert wizard.choice is None
    assert not settings.path.exists()
    qtbot.waitUntil(tasks.is_idle)


def test_ensure_first_start_skips_the_wizard_once_set_up(app_dirs: Path) -> None:
    settings = config.Config()
    settings.set("agent_email", "lead@example.com")
    assert ensure_first_start(settings) == StartChoice(
        config.default_database_url(), "lead@example.com"
    )
    # --database wins over the settings, as on the command line.
    other = f"sqlite:///{app_dirs / 'other.sqlite3'}"
    choice = ensure_first_start(settings, database_url=other)
    assert choice is not None and choice.database_url == other


@pytest.mark.parametrize("url", ["", "   "])
def test_database_page_needs_a_url(qtbot: QtBot, app_dirs: Path, url: str) -> None:
    wizard = _wizard(qtbot, config.Config())
    wizard.database_page.form.postgres_radio.setChecked(True)
    wizard.database_page.form.postgres_url.setText(url)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert not wizard.database_page.form.test_button.isEnabled()
