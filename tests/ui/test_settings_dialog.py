"""The settings dialog: editors from the declarations, saving, the profile, the mailbox list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialogButtonBox, QLineEdit, QSpinBox, QWidget
from pytestqt.qtbot import QtBot

from crm_desk import config, secrets
from crm_desk.core import agents
from crm_desk.store.db import Database
from crm_desk.ui.dialogs.mailboxes_panel import AddMailboxDialog
from crm_desk.ui.dialogs.settings_dialog import SettingsDialog, needs_restart
from tests.support.dovecot import MailAccount, dovecot_server, mail_account
from tests.support.factories import make_team
from tests.ui.setup_fixtures import app_dirs, file_keyring

__all__ = ["app_dirs", "dovecot_server", "file_keyring", "mail_account"]

EDITOR_CLASSES = {bool: QCheckBox, int: QSpinBox, str: QLineEdit}


@pytest.fixture
def team_db(ui_db: Database) -> Database:
    make_team(ui_db)
    return ui_db


def _dialog(
    qtbot: QtBot, db: Database, agent_email: str = "lead@example.com"
) -> tuple[SettingsDialog, config.Config]:
    settings = config.Config()
    settings.set("agent_email", agent_email)
    settings.save()
    dialog = SettingsDialog(settings, db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.agent_form.isEnabled, timeout=10_000)  # profiles loaded
    return dialog, settings


W = TypeVar("W", bound=QWidget)


def _child(dialog: SettingsDialog, kind: type[W], name: str) -> W:
    widget = dialog.findChild(kind, name)
    assert widget is not None, name
    return widget


def _ok(qtbot: QtBot, dialog: SettingsDialog) -> None:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_every_declared_setting_has_an_editor_showing_its_value(
    qtbot: QtBot, app_dirs: Path, team_db: Database
) -> None:
    dialog, settings = _dialog(qtbot, team_db)
    automatic = [s for s in config.SETTINGS if s.editor == "auto"]
    assert {s.key for s in automatic} == set(dialog.editors)
    for declared in automatic:
        expected = QComboBox if declared.choices else EDITOR_CLASSES[declared.type]
        widget = dialog.findChild(expected, f"setting_{declared.key}")
        assert widget is not None, declared.key
        assert dialog.editors[declared.key].value() == settings.get(declared.key)
    seconds = _child(dialog, QSpinBox, "setting_notification_seconds")
    assert (seconds.minimum(), seconds.maximum()) == (2, 60)
    tab_titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tab_titles == ["Database", "Mailboxes", "Agent profile", "Language", "Notifications"]


def test_one_declaration_is_enough_for_a_new_setting(
    qtbot: QtBot, app_dirs: Path, team_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = config.Setting("signature_lines", int, 3, "Lines", "notifications", maximum=9)
    monkeypatch.setattr(config, "SETTINGS", (*config.SETTINGS, extra))
    monkeypatch.setitem(config._BY_KEY, extra.key, extra)
    dialog, _ = _dialog(qtbot, team_db)
    spin = _child(dialog, QSpinBox, "setting_signature_lines")
    assert spin is not None and spin.value() == 3 and spin.maximum() == 9
    spin.setValue(5)
    _ok(qtbot, dialog)
    assert config.Config().get("signature_lines") == 5


def test_choosing_japanese_saves_it_and_needs_a_restart(
    qtbot: QtBot, app_dirs: Path, team_db: Database
) -> None:
    dialog, _ = _dialog(qtbot, team_db)
    combo = _child(dialog, QComboBox, "setting_language")
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "System language",
        "English",
        "日本語",  # a language is offered in its own name
    ]
    assert combo.currentData() == "system"
    combo.setCurrentIndex(combo.findData("ja"))
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        _ok(qtbot, dialog)
    assert saved.args == [["language"]]
    assert needs_restart(saved.args[0])
    assert config.Config().get("language") == "ja"
    assert config.Config().get("agent_email") == "lead@example.com"  # untouched


def test_notification_options_follow_the_switch(
    qtbot: QtBot, app_dirs: Path, team_db: Database
) -> None:
    dialog, _ = _dialog(qtbot, team_db)
    switch = _child(dialog, QCheckBox, "setting_notifications")
    seconds = _child(dialog, QSpinBox, "setting_notification_seconds")
    assert switch.isChecked() and seconds.isEnabled()
    switch.setChecked(False)
    assert not seconds.isEnabled()
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        _ok(qtbot, dialog)
    assert saved.args == [["notifications"]]
    assert not needs_restart(saved.args[0])
    assert config.Config().get("notifications") is False


def test_a_new_profile_is_added_then_saved(qtbot: QtBot, app_dirs: Path, team_db: Database) -> None:
    dialog, _ = _dialog(qtbot, team_db)
    form = dialog.agent_form
    chosen = form.selected()
    assert chosen is not None and chosen.email == "lead@example.com"
    form.new_radio.setChecked(True)
    form.name_edit.setText("鈴木 一郎")
    form.email_edit.setText("ichiro@example.com")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        _ok(qtbot, dialog)
    assert config.Config().get("agent_email") == "ichiro@example.com"
    with team_db.read() as session:
        assert agents.by_email(session, "ichiro@example.com").name == "鈴木 一郎"


def test_cancel_keeps_the_file(qtbot: QtBot, app_dirs: Path, team_db: Database) -> None:
    dialog, settings = _dialog(qtbot, team_db)
    before = settings.path.read_text()
    _child(dialog, QComboBox, "setting_language").setCurrentIndex(2)
    dialog.reject()
    assert settings.path.read_text() == before


def test_an_agent_cannot_manage_mailboxes(qtbot: QtBot, app_dirs: Path, team_db: Database) -> None:
    dialog, _ = _dialog(qtbot, team_db, agent_email="alice@example.com")
    assert not dialog.mailboxes.add_button.isEnabled()
    assert "team lead" in dialog.mailboxes.add_button.toolTip()


@pytest.fixture
def lead_dialog(qtbot: QtBot, app_dirs: Path, team_db: Database) -> Iterator[SettingsDialog]:
    dialog, _ = _dialog(qtbot, team_db)
    qtbot.waitUntil(dialog.mailboxes.add_button.isEnabled, timeout=10_000)
    yield dialog


def test_mailbox_added_tested_and_removed(
    qtbot: QtBot,
    lead_dialog: SettingsDialog,
    file_keyring: Path,
    mail_account: MailAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = lead_dialog.mailboxes
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    adder = lead_dialog.findChild(AddMailboxDialog)
    assert adder is not None
    form = adder.form
    qtbot.waitUntil(lambda: form.keyring_usable is True, timeout=10_000)
    form.address_edit.setText("support@example.com")
    form.imap_host.setText(mail_account.server.host)
    form.imap_tls.setCurrentIndex(form.imap_tls.findData("none"))
    form.imap_port.setValue(mail_account.server.port)
    form.username.setText(mail_account.user)
    form.secret.setText(mail_account.password)
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        QTest.mouseClick(
            adder.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
        )
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=10_000)
    assert secrets.get_secret(secrets.mailbox_account("support")) == mail_account.password

    item = panel.tree.topLevelItem(0)
    assert item is not None
    panel.tree.setCurrentItem(item)
    QTest.mouseClick(panel.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.status.state in ("ok", "error"), timeout=20_000)
    assert panel.status.state == "ok", panel.status.text()
    assert "INBOX: 0" in panel.status.text()

    monkeypatch.setattr(panel, "confirm_remove", lambda name: name == "support")
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        QTest.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 0, timeout=10_000)
    with pytest.raises(secrets.SecretStoreError):
        secrets.get_secret(secrets.mailbox_account("support"))


def test_a_database_that_cannot_be_opened_is_not_saved(
    qtbot: QtBot, app_dirs: Path, team_db: Database
) -> None:
    dialog, settings = _dialog(qtbot, team_db)
    before = settings.path.read_text()
    form = dialog.database_form
    form.postgres_radio.setChecked(True)
    form.postgres_url.setText("postgresql://nobody@127.0.0.1:1/crm")
    _ok(qtbot, dialog)
    qtbot.waitUntil(lambda: form.status.state == "error", timeout=20_000)
    assert dialog.isVisible()
    assert dialog.tabs.currentIndex() == config.SECTIONS.index("database")
    assert settings.path.read_text() == before

    elsewhere = app_dirs / "elsewhere.sqlite3"
    form.sqlite_radio.setChecked(True)
    form.sqlite_path.setText(str(elsewhere))
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        _ok(qtbot, dialog)
    assert saved.args == [["database_url"]]
    assert config.Config().get("database_url") == f"sqlite:///{elsewhere}"
