"""Choose the database: the embedded SQLite file, or a team's PostgreSQL, with a test button.

The test opens the database on the worker (never on the GUI thread), looks at its schema and
says in one line what opening it would do: create the tables, use it, upgrade it, or refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLocale, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from crm_desk.errors import ConfigurationError
from crm_desk.store.db import Database, sqlite_url
from crm_desk.store.models import Agent
from crm_desk.store.schema import current_revision, head_revision, known_revisions
from crm_desk.ui import tasks
from crm_desk.ui.dialogs.form_parts import StatusLine, one_line_error

SCHEMA_NEW, SCHEMA_CURRENT, SCHEMA_OLDER, SCHEMA_NEWER, SCHEMA_FOREIGN = (
    "new",
    "current",
    "older",
    "newer",
    "foreign",
)


@dataclass(frozen=True)
class DatabaseProbe:
    url: str
    described: str  # the URL without its password
    schema: str  # one of the SCHEMA_* states
    agents: int


def _checked_database(url: str) -> Database:
    try:
        return Database(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"not a database URL: {url!r}") from exc


def probe_database(url: str) -> DatabaseProbe:
    """Connect and look, changing nothing (a new SQLite file is not even created)."""
    db = _checked_database(url)
    try:
        path = db.sqlite_path
        if path is not None and not path.exists():
            return DatabaseProbe(url, db.describe(), SCHEMA_NEW, 0)
        with db.engine.connect() as connection:
            revision = current_revision(connection)
            tables = inspect(connection).get_table_names()
            if revision is None:
                schema = SCHEMA_FOREIGN if tables else SCHEMA_NEW
            elif revision == head_revision():
                schema = SCHEMA_CURRENT
            elif revision in known_revisions():
                schema = SCHEMA_OLDER
            else:
                schema = SCHEMA_NEWER
            agents = 0
            if schema in (SCHEMA_CURRENT, SCHEMA_OLDER):
                agents = connection.scalar(select(func.count()).select_from(Agent.__table__)) or 0
        return DatabaseProbe(url, db.describe(), schema, agents)
    finally:
        db.dispose()


def is_sqlite_url(url: str) -> bool:
    return url.strip().lower().startswith("sqlite")


class DatabaseForm(QWidget):
    """The database choice. ``url()`` is what to open; ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(self, default_sqlite_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("databaseForm")
        self._generation = 0  # a test result for an older URL is not shown

        self.sqlite_radio = QRadioButton(self.tr("&On this computer (SQLite)"), self)
        self.sqlite_radio.setObjectName("sqliteRadio")
        self.sqlite_path = QLineEdit(str(default_sqlite_path), self)
        self.sqlite_path.setObjectName("sqlitePath")
        self.choose_button = QPushButton(self.tr("C&hoose…"), self)
        self.choose_button.setObjectName("chooseSqliteButton")
        sqlite_hint = QLabel(self.tr("For one desktop. Nothing to set up."), self)
        sqlite_hint.setObjectName("hintLabel")

        self.postgres_radio = QRadioButton(self.tr("&Team database (PostgreSQL)"), self)
        self.postgres_radio.setObjectName("postgresRadio")
        self.postgres_url = QLineEdit(self)
        self.postgres_url.setObjectName("postgresUrl")
        self.postgres_url.setPlaceholderText("postgresql://user@server:5432/crm")
        postgres_hint = QLabel(
            self.tr(
                "Shared by the whole team. A password in the URL is kept in the settings "
                "file; leave it out to use ~/.pgpass."
            ),
            self,
        )
        postgres_hint.setObjectName("hintLabel")
        postgres_hint.setWordWrap(True)

        self.engine_group = QButtonGroup(self)
        self.engine_group.addButton(self.sqlite_radio)
        self.engine_group.addButton(self.postgres_radio)
        self.sqlite_radio.setChecked(True)

        self.test_button = QPushButton(self.tr("Te&st connection"), self)
        self.test_button.setObjectName("testDatabaseButton")
        self.status = StatusLine(self)

        grid = QGridLayout()
        grid.setColumnMinimumWidth(0, 20)  # indent the fields under their choice
        grid.addWidget(self.sqlite_radio, 0, 0, 1, 3)
        grid.addWidget(self.sqlite_path, 1, 1)
        grid.addWidget(self.choose_button, 1, 2)
        grid.addWidget(sqlite_hint, 2, 1, 1, 2)
        grid.addWidget(self.postgres_radio, 3, 0, 1, 3)
        grid.addWidget(self.postgres_url, 4, 1, 1, 2)
        grid.addWidget(postgres_hint, 5, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addSpacing(8)
        layout.addLayout(test_row)
        layout.addStretch(1)

        self.sqlite_radio.toggled.connect(self._edited)
        self.sqlite_path.textChanged.connect(self._edited)
        self.postgres_url.textChanged.connect(self._edited)
        self.choose_button.clicked.connect(self._choose_file)
        self.test_button.clicked.connect(self.test_connection)
        self._update_enabled()

    # --- the value -----------------------------------------------------------------------------

    def url(self) -> str:
        if self.sqlite_radio.isChecked():
            path = self.sqlite_path.text().strip()
            return sqlite_url(Path(path).expanduser()).render_as_string(False) if path else ""
        return self.postgres_url.text().strip()

    def set_url(self, url: str) -> None:
        if is_sqlite_url(url):
            database = make_url(url).database
            if database:
                self.sqlite_path.setText(database)
            self.sqlite_radio.setChecked(True)
        else:
            self.postgres_url.setText(url)
            self.postgres_radio.setChecked(True)
        self._edited()

    def is_complete(self) -> bool:
        return bool(self.url())

    def _edited(self) -> None:
        self._generation += 1
        self.status.clear_state()
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self) -> None:
        local = self.sqlite_radio.isChecked()
        self.sqlite_path.setEnabled(local)
        self.choose_button.setEnabled(local)
        self.postgres_url.setEnabled(not local)
        self.test_button.setEnabled(self.is_complete())

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Database file"),
            self.sqlite_path.text(),
            self.tr("SQLite databases (*.sqlite3 *.db);;All files (*)"),
            options=QFileDialog.Option.DontConfirmOverwrite,  # choosing an existing one is fine
        )
        if path:
            self.sqlite_path.setText(path)

    # --- testing -------------------------------------------------------------------------------

    def test_connection(self) -> None:
        """Probe the database on the worker and say in one line what opening it would do."""
        self.verify(None)

    def verify(self, usable: Callable[[], None] | None) -> None:
        """Test the connection, then call ``usable`` if the database can be opened (the
        settings dialog saves only such a choice)."""
        url = self.url()
        if not url:
            return
        self._generation += 1
        generation = self._generation
        self.status.busy(self.tr("Connecting…"))

        def tested(probe: DatabaseProbe) -> None:
            if generation == self._generation:
                self.show_probe(probe)
                if usable is not None and probe.schema not in (SCHEMA_NEWER, SCHEMA_FOREIGN):
                    usable()

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.show_failure(exc)

        tasks.Op(self, lambda: probe_database(url)).on_success(tested).on_failure(failed).start()

    def show_probe(self, probe: DatabaseProbe) -> None:
        if probe.schema == SCHEMA_NEW:
            self.status.ok(self.tr("Ready: a new database; crm-desk creates its tables."))
        elif probe.schema == SCHEMA_CURRENT:
            self.status.ok(
                self.tr("Ready: a crm-desk database. Agent profiles: {}").format(
                    QLocale().toString(probe.agents)
                )
            )
        elif probe.schema == SCHEMA_OLDER:
            self.status.ok(
                self.tr(
                    "Ready: an older crm-desk database; it is upgraded when opened "
                    "(a SQLite file is backed up first)."
                )
            )
        elif probe.schema == SCHEMA_NEWER:
            self.status.error(
                self.tr("Refused: a newer crm-desk has upgraded this database. Update crm-desk.")
            )
        else:
            self.status.error(self.tr("Refused: this database holds tables crm-desk did not make."))

    def show_failure(self, exc: BaseException) -> None:
        self.status.error(self.tr("Cannot connect: {}").format(one_line_error(exc)))
