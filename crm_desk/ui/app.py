"""Start the desktop app: the QApplication, the style sheet, the main window, the event loop."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from crm_desk import __version__, config
from crm_desk.resources import resource_path
from crm_desk.store.db import Database
from crm_desk.ui import tasks
from crm_desk.ui.actor import find_actor
from crm_desk.ui.i18n import install_translators
from crm_desk.ui.icons import icon
from crm_desk.ui.main_window import APPLICATION, ORGANIZATION, MainWindow

log = logging.getLogger(__name__)

# For smoke tests in CI: close the window after this many milliseconds.
QUIT_AFTER_ENV = "CRM_DESK_QUIT_AFTER_MS"


def load_style_sheet(app: QApplication) -> None:
    """Apply ``resources/style.qss``: the one place the app's look is set."""
    path = resource_path("style.qss")
    try:
        app.setStyleSheet(path.read_text(encoding="utf-8"))
    except OSError as exc:  # a missing style is cosmetic: run with Qt's defaults
        log.warning("no style sheet at %s: %s", path, exc)


def create_application(argv: list[str] | None = None) -> QApplication:
    """The application object, named so QSettings and the desktop shell can find us."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv)
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("crm-desk")  # matches packaging's crm-desk.desktop
    app.setWindowIcon(icon("crm-desk"))
    load_style_sheet(app)
    return app


def _quit_after_ms() -> int | None:
    raw = os.environ.get(QUIT_AFTER_ENV, "").strip()
    if not raw:
        return None
    try:
        return max(0, int(raw))
    except ValueError:
        log.warning("ignoring %s=%r: not a number of milliseconds", QUIT_AFTER_ENV, raw)
        return None


def run_gui(db: Database, *, argv: list[str] | None = None, agent_email: str | None = None) -> int:
    """Show the main window over ``db`` as the agent ``agent_email``; the exit code.

    Without a (known, active) agent the window opens read only: it can browse but not claim.
    """
    settings = config.Config()
    app = create_application(argv)
    install_translators(app, str(settings.get("language")))
    actor = find_actor(db, agent_email)  # one indexed row, before any view is built for it
    window = MainWindow(db, actor, notifications=bool(settings.get("notifications")))
    window.show()  # at once: each part fills in when its Op lands
    if settings.get("sync_in_app"):
        window.sync_runner.start()  # nothing to do without active mailboxes
    quit_after = _quit_after_ms()
    if quit_after is not None:
        QTimer.singleShot(quit_after, window.close)
    try:
        return app.exec()
    finally:
        window.sync_runner.shutdown(10)  # no mail worker may outlive the database
        # Let the worker finish its current query before the database goes away.
        tasks.install_error_handler(None)
        tasks.shutdown()
