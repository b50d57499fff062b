"""Who this desktop acts as: an existing agent profile of the database, or a new one.

The profiles are loaded, and a new one is added (``core.agents.add_agent``), on the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from crm_desk.core import agents
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Role
from crm_desk.ui import tasks
from crm_desk.ui.dialogs.form_parts import StatusLine, one_line_error


@dataclass(frozen=True)
class AgentInfo:
    id: int
    name: str
    email: str
    role: str
    active: bool

    @classmethod
    def of(cls, agent: Agent) -> AgentInfo:
        return cls(agent.id, agent.name, agent.email, agent.role, agent.active)

    @property
    def is_lead(self) -> bool:
        return self.role in (Role.LEAD, Role.ADMIN)


def load_agents(db: Database) -> list[AgentInfo]:
    with db.read() as session:
        return [AgentInfo.of(a) for a in agents.list_agents(session, include_inactive=False)]


def create_agent(db: Database, name: str, email: str, role: str) -> AgentInfo:
    """A new profile, added by the local operator (nobody is signed in yet)."""
    with db.write() as session:
        return AgentInfo.of(agents.add_agent(session, None, name=name, email=email, role=role))


def role_label(role: str) -> str:
    labels: dict[str, str] = {
        Role.AGENT: QCoreApplication.translate("AgentForm", "Agent"),
        Role.LEAD: QCoreApplication.translate("AgentForm", "Team lead"),
        Role.ADMIN: QCoreApplication.translate("AgentForm", "Administrator"),
    }
    return labels.get(role, role)


class AgentForm(QWidget):
    """Pick a profile or describe a new one; ``commit`` yields the chosen ``AgentInfo``."""

    changed = Signal()
    loaded = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentForm")
        self._agents: list[AgentInfo] = []
        self._committing = False

        self.existing_radio = QRadioButton(self.tr("&Use an existing profile"), self)
        self.existing_radio.setObjectName("existingAgentRadio")
        self.agent_combo = QComboBox(self)
        self.agent_combo.setObjectName("agentCombo")
        self.new_radio = QRadioButton(self.tr("&Create a new profile"), self)
        self.new_radio.setObjectName("newAgentRadio")
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("agentName")
        self.email_edit = QLineEdit(self)
        self.email_edit.setObjectName("agentEmail")
        self.email_edit.setPlaceholderText("name@example.com")
        self.role_combo = QComboBox(self)
        self.role_combo.setObjectName("agentRole")
        for role in (Role.AGENT, Role.LEAD, Role.ADMIN):
            self.role_combo.addItem(role_label(role), str(role))
        self.status = StatusLine(self)

        group = QButtonGroup(self)
        group.addButton(self.existing_radio)
        group.addButton(self.new_radio)
        self.new_radio.setChecked(True)

        fields = QFormLayout()
        fields.addRow(self.tr("Na&me:"), self.name_edit)
        fields.addRow(self.tr("&Email:"), self.email_edit)
        fields.addRow(self.tr("&Role:"), self.role_combo)
        grid = QGridLayout()
        grid.setColumnMinimumWidth(0, 20)
        grid.addWidget(self.existing_radio, 0, 0, 1, 2)
        grid.addWidget(self.agent_combo, 1, 1)
        grid.addWidget(self.new_radio, 2, 0, 1, 2)
        grid.addLayout(fields, 3, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(self.status)
        layout.addStretch(1)

        self.existing_radio.toggled.connect(self._edited)
        self.agent_combo.currentIndexChanged.connect(self._edited)
        self.name_edit.textChanged.connect(self._edited)
        self.email_edit.textChanged.connect(self._edited)
        self._update_enabled()

    # --- loading -------------------------------------------------------------------------------

    def load(self, db: Database, selected_email: str = "") -> None:
        self.status.busy(self.tr("Loading the profiles…"))
        self.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.setEnabled(True)
            self.status.error(self.tr("Cannot load the profiles: {}").format(one_line_error(exc)))

        tasks.Op(self, lambda: load_agents(db)).on_success(
            lambda found: self.set_agents(found, selected_email)
        ).on_failure(failed).start()

    def set_agents(self, found: list[AgentInfo], selected_email: str = "") -> None:
        self.setEnabled(True)
        self.status.clear_state()
        self._agents = list(found)
        self.agent_combo.clear()
        for agent in self._agents:
            # Item text only: a combo box never renders markup.
            self.agent_combo.addItem(f"{agent.name} <{agent.email}> · {role_label(agent.role)}")
        chosen = next(
            (i for i, a in enumerate(self._agents) if a.email == selected_email.strip().lower()),
            0,
        )
        if self._agents:
            self.agent_combo.setCurrentIndex(chosen)
            self.existing_radio.setChecked(True)
        else:
            self.new_radio.setChecked(True)
        # The first profile of a new database sets the team up: it may do everything.
        default_role = Role.AGENT if self._agents else Role.ADMIN
        self.role_combo.setCurrentIndex(self.role_combo.findData(str(default_role)))
        self.existing_radio.setEnabled(bool(self._agents))
        self._update_enabled()
        self.loaded.emit()
        self.changed.emit()

    # --- the value -----------------------------------------------------------------------------

    def agents(self) -> list[AgentInfo]:
        return list(self._agents)

    def selected(self) -> AgentInfo | None:
        """The chosen existing profile (None while "create a new profile" is chosen)."""
        index = self.agent_combo.currentIndex()
        if not self.existing_radio.isChecked() or not 0 <= index < len(self._agents):
            return None
        return self._agents[index]

    def is_complete(self) -> bool:
        if self._committing:
            return False
        if self.existing_radio.isChecked():
            return self.selected() is not None
        return bool(self.name_edit.text().strip() and self.email_edit.text().strip())

    def commit(self, db: Database, done: Callable[[AgentInfo], None]) -> None:
        """Call ``done`` with the chosen profile, adding it first when it is a new one."""
        chosen = self.selected()
        if chosen is not None:
            done(chosen)
            return
        name, email = self.name_edit.text().strip(), self.email_edit.text().strip()
        role = str(self.role_combo.currentData())
        self._committing = True
        self.status.busy(self.tr("Adding the profile…"))
        self.changed.emit()

        def created(agent: AgentInfo) -> None:
            self._committing = False
            self.set_agents([*self._agents, agent], agent.email)
            done(agent)

        def failed(exc: BaseException) -> None:
            self._committing = False
            self.status.error(self.tr("Cannot add the profile: {}").format(one_line_error(exc)))
            self.changed.emit()

        tasks.Op(self, lambda: create_agent(db, name, email, role)).on_success(created).on_failure(
            failed
        ).start()

    def _edited(self) -> None:
        if self.status.state == "error":
            self.status.clear_state()
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self) -> None:
        existing = self.existing_radio.isChecked()
        self.agent_combo.setEnabled(existing)
        for widget in (self.name_edit, self.email_edit, self.role_combo):
            widget.setEnabled(not existing)
