"""UI fixtures: a SQLite database (one engine is enough for the views), isolated settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from crm_desk.store.db import Database
from crm_desk.store.schema import open_database
from crm_desk.ui import tasks


@pytest.fixture
def ui_db(tmp_path: Path, qtbot: QtBot) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'ui.sqlite3'}")
    yield database
    # No op may outlive its test: it would run against a disposed database.
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """Settings in a temporary file, never the developer's own."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture(autouse=True)
def _no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """An op that failed unexpectedly fails the test (tests expecting one clear caplog)."""
    yield
    tasks.install_error_handler(None)
    errors = [
        r.getMessage()
        for r in caplog.get_records("call")
        if r.levelno >= logging.ERROR and r.name.startswith("crm_desk")
    ]
    assert not errors, errors
