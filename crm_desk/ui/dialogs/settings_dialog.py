"""The settings dialog: database, mailboxes, agent profile, language, notifications.

One tab per section of ``config.SECTIONS``. Every declared setting with ``editor="auto"``
gets its editor from its type (``setting_editors``); the database and the agent profile have
their own forms, shared with the welcome wizard. Settings read only at start (``restart``)
say so on their tab.

OK saves to the settings file and emits ``saved`` with the keys that changed. When a new
agent profile was described, it is added first (on the worker); the dialog closes once it is.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from crm_desk import config
from crm_desk.errors import ConfigurationError
from crm_desk.store.db import Database
from crm_desk.ui.dialogs.agent_form import AgentForm, AgentInfo
from crm_desk.ui.dialogs.database_form import DatabaseForm
from crm_desk.ui.dialogs.form_parts import StatusLine, one_line_error
from crm_desk.ui.dialogs.mailboxes_panel import MailboxesPanel
from crm_desk.ui.dialogs.setting_editors import SettingEditor, editor_for, setting_label

CHECK_BOX_INDENT = 24  # pixels: roughly the width of a check box's indicator


def section_title(section: str) -> str:
    titles = {
        "database": QCoreApplication.translate("SettingsDialog", "Database"),
        "mailboxes": QCoreApplication.translate("SettingsDialog", "Mailboxes"),
        "agent": QCoreApplication.translate("SettingsDialog", "Agent profile"),
        "language": QCoreApplication.translate("SettingsDialog", "Language"),
        "notifications": QCoreApplication.translate("SettingsDialog", "Notifications"),
    }
    return titles.get(section, section)


def _note(parent: QWidget, text: str) -> QLabel:
    note = QLabel(text, parent)
    note.setObjectName("restartNote")
    note.setTextFormat(Qt.TextFormat.PlainText)
    note.setWordWrap(True)
    # Expanding: in a form it takes the row's width, not the narrow width of wrapped text.
    note.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return note


def needs_restart(changed: list[str]) -> bool:
    """Whether any of ``changed`` is read only when the app starts."""
    return any(config.setting(key).restart for key in changed)


class SettingsDialog(QDialog):
    saved = Signal(list)  # the keys whose value changed (list[str])

    def __init__(self, settings: config.Config, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Settings"))
        self._settings = settings
        self._db = db
        self.editors: dict[str, SettingEditor] = {}
        self._database_checked = False  # the chosen database was probed and can be opened
        self._forms: dict[str, QFormLayout] = {}  # the form each editor sits in
        agent_email = str(settings.get("agent_email"))

        self.database_form = DatabaseForm(config.default_database_path(), self)
        self.database_form.set_url(
            str(settings.get("database_url")) or config.default_database_url()
        )
        self.agent_form = AgentForm(self)
        self.mailboxes = MailboxesPanel(db, agent_email, self)
        custom: dict[str, QWidget] = {
            "database": self.database_form,
            "agent": self.agent_form,
            "mailboxes": self.mailboxes,
        }

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("settingsTabs")
        for section in config.SECTIONS:
            page = self._section_page(section, custom.get(section))
            self.tabs.addTab(page, section_title(section))
        self._wire_dependencies()

        self.status = StatusLine(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.agent_form.changed.connect(self._update_ok)
        self.database_form.changed.connect(self._update_ok)
        self.database_form.changed.connect(self._database_edited)
        self.agent_form.loaded.connect(self._agents_loaded)
        self.agent_form.load(db, agent_email)
        self.mailboxes.load()
        self.resize(640, 520)

    def _section_page(self, section: str, custom: QWidget | None) -> QWidget:
        page = QWidget(self)
        page.setObjectName(f"settingsPage_{section}")
        layout = QVBoxLayout(page)
        if custom is not None:
            layout.addWidget(custom, 1)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        custom_restart = False
        for declared in config.settings_in(section):
            if declared.editor != "auto":
                custom_restart |= declared.restart
                continue
            editor = editor_for(declared, page)
            editor.set_value(self._settings.get(declared.key))
            self.editors[declared.key] = editor
            self._forms[declared.key] = form
            if editor.labels_itself:
                form.addRow(editor.widget)
            else:
                form.addRow(self.tr("{}:").format(setting_label(declared)), editor.widget)
            if declared.restart:
                note = _note(page, self.tr("Takes effect when crm-desk starts again."))
                if editor.labels_itself:
                    note.setIndent(CHECK_BOX_INDENT)  # under the check box's text
                    form.addRow(note)
                else:
                    form.addRow("", note)
        layout.addLayout(form)
        if custom is None:
            layout.addStretch(1)
        if custom_restart:
            layout.addWidget(
                _note(page, self.tr("Changes on this tab take effect when crm-desk starts again."))
            )
        return page

    def _wire_dependencies(self) -> None:
        """A setting that only matters while a bool setting is on is enabled with it."""
        for editor in self.editors.values():
            parent = self.editors.get(editor.setting.depends_on or "")
            if parent is None or not isinstance(parent.widget, QCheckBox):
                continue
            editor.widget.setEnabled(parent.widget.isChecked())
            parent.widget.toggled.connect(editor.widget.setEnabled)
            row_label = self._forms[editor.setting.key].labelForField(editor.widget)
            if row_label is not None:
                row_label.setEnabled(parent.widget.isChecked())
                parent.widget.toggled.connect(row_label.setEnabled)

    def _agents_loaded(self) -> None:
        current = str(self._settings.get("agent_email"))
        me = next((a for a in self.agent_form.agents() if a.email == current), None)
        self.mailboxes.set_can_manage(me is not None and me.is_lead)

    def _update_ok(self) -> None:
        ok = self.agent_form.is_complete() and self.database_form.is_complete()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    # --- saving --------------------------------------------------------------------------------

    def values(self, agent: AgentInfo) -> dict[str, Any]:
        values = {key: editor.value() for key, editor in self.editors.items()}
        values["database_url"] = config.database_setting(self.database_form.url())
        values["agent_email"] = agent.email
        return values

    def accept(self) -> None:
        self.status.clear_state()
        url = config.database_setting(self.database_form.url())
        if url != self._settings.get("database_url") and not self._database_checked:
            # A database that cannot be opened would stop the next start: check it first.
            self.tabs.setCurrentIndex(config.SECTIONS.index("database"))
            self.database_form.verify(self._database_usable)
            return
        if self.agent_form.selected() is None:
            # A new profile is added first: show its tab, where progress or an error appears.
            self.tabs.setCurrentIndex(config.SECTIONS.index("agent"))
        self.agent_form.commit(self._db, self._save)

    def _database_usable(self) -> None:
        self._database_checked = True
        self.accept()

    def _database_edited(self) -> None:
        self._database_checked = False

    def _save(self, agent: AgentInfo) -> None:
        values = self.values(agent)
        changed = [key for key, value in values.items() if value != self._settings.get(key)]
        try:
            for key in changed:
                self._settings.set(key, values[key])
            self._settings.save()
        except (OSError, ConfigurationError) as exc:
            self.status.error(self.tr("Cannot save the settings: {}").format(one_line_error(exc)))
            return
        self.saved.emit(changed)
        super().accept()
