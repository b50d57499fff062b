"""The mail sync's corner of the status bar: its state, a progress bar, start / stop, errors.

It only reads ``SyncRunner`` (and calls its slots): every refresh is driven by the runner's
signals, so it costs nothing while the sync waits for mail. Error messages come from mail
servers and keyrings, so they are shown as plain text only, in a message box opened from the
red "error" link; the link itself is a button with our own text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QStyle,
    QToolButton,
    QWidget,
)

from crm_desk.ui.formatting import format_count, format_datetime
from crm_desk.ui.sync_runner import (
    ALL_MAILBOXES,
    ERROR,
    IDLE,
    STARTING,
    STOPPING,
    SYNCING,
    SyncError,
    SyncRunner,
)

if TYPE_CHECKING:  # the sync engine loads only when a sync starts
    from crm_desk.mail.sync import SyncProgress

PROGRESS_WIDTH = 120


class SyncStatusWidget(QWidget):
    """``Mail: syncing support INBOX 1,200 / 10,000 [=====    ] [■] error``"""

    def __init__(self, runner: SyncRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self._runner = runner
        self.error_box: QMessageBox | None = None

        self.label = QLabel(self)
        self.label.setObjectName("syncStateLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # mailbox and folder names from outside

        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("syncProgress")
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedWidth(PROGRESS_WIDTH)
        self.progress_bar.hide()

        style = self.style()
        self.start_action = QAction(self.tr("&Start mail sync"), self)
        self.start_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.start_action.triggered.connect(runner.start)
        self.stop_action = QAction(self.tr("S&top mail sync"), self)
        self.stop_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop))
        self.stop_action.triggered.connect(runner.stop)
        self.sync_now_action = QAction(self.tr("Sync mail &now"), self)
        self.sync_now_action.triggered.connect(runner.sync_now)

        self.toggle_button = QToolButton(self)
        self.toggle_button.setObjectName("syncToggleButton")
        self.toggle_button.setAutoRaise(True)
        self.toggle_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

        self.error_link = QToolButton(self)
        self.error_link.setObjectName("syncErrorLink")
        self.error_link.setText(self.tr("error"))
        self.error_link.setToolTip(self.tr("Show the mail sync error"))
        self.error_link.setAutoRaise(True)
        self.error_link.setCursor(QCursor(Qt.CursorShape.PointingHandCursor))
        self.error_link.clicked.connect(self.show_errors)
        self.error_link.hide()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.error_link)
        layout.addWidget(self.toggle_button)

        runner.state_changed.connect(self.refresh)
        runner.progress.connect(self.refresh)
        runner.errors_changed.connect(self.refresh)
        runner.stopped.connect(self.refresh)
        self.refresh()

    @property
    def runner(self) -> SyncRunner:
        return self._runner

    # --- showing the runner ----------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        runner = self._runner
        state = runner.state
        progress = runner.current_progress() if state == SYNCING else None
        self.label.setText(self.describe(state, progress))
        self._show_progress(state, progress)

        running = runner.running
        self.start_action.setEnabled(not running and state != STOPPING)
        self.stop_action.setEnabled(running)
        self.sync_now_action.setEnabled(state != STOPPING)
        action = self.stop_action if running else self.start_action
        if self.toggle_button.defaultAction() is not action:
            self.toggle_button.setDefaultAction(action)
        self.error_link.setVisible(bool(runner.last_errors()))

    def describe(self, state: str, progress: SyncProgress | None) -> str:
        if state == SYNCING:
            if progress is None:
                return self.tr("Mail: syncing")
            if progress.total <= 0:
                return self.tr("Mail: syncing {mailbox} {folder}").format(
                    mailbox=progress.mailbox, folder=progress.folder
                )
            return self.tr("Mail: syncing {mailbox} {folder} {done} / {total}").format(
                mailbox=progress.mailbox,
                folder=progress.folder,
                done=format_count(progress.done),
                total=format_count(progress.total),
            )
        if state == STARTING:
            return self.tr("Mail: starting…")
        if state == STOPPING:
            return self.tr("Mail: stopping…")
        if state == IDLE:
            return self.tr("Mail: idle")
        if state == ERROR:
            return self.tr("Mail: sync failed")
        if self._runner.mailbox_count == 0:
            return self.tr("Mail: no mailboxes")
        return self.tr("Mail: stopped")

    def _show_progress(self, state: str, progress: SyncProgress | None) -> None:
        bar = self.progress_bar
        if state != SYNCING:
            bar.hide()
            return
        if progress is None or progress.total <= 0:
            bar.setRange(0, 0)  # a busy indicator: how much there is to fetch is not known yet
        else:
            bar.setRange(0, progress.total)
            bar.setValue(min(progress.done, progress.total))
        bar.show()

    # --- the error details -----------------------------------------------------------------------

    @Slot()
    def show_errors(self) -> None:
        """The latest error in a message box, as plain text; every mailbox's in the details."""
        errors = sorted(self._runner.last_errors().values(), key=lambda e: e.at)
        if not errors:
            return
        box = self._error_box()
        latest = errors[-1]
        box.setText(self._headline(latest))
        box.setInformativeText(self.tr("At {time}.").format(time=format_datetime(latest.at)))
        details = "\n".join(
            f"{format_datetime(e.at)}  {self._headline(e)}" for e in reversed(errors)
        )
        box.setDetailedText(details if len(errors) > 1 else "")
        box.open()

    def _headline(self, error: SyncError) -> str:
        if error.mailbox == ALL_MAILBOXES:
            return self.tr("Mail sync could not start: {message}").format(message=error.message)
        return self.tr("Mail sync of {mailbox} failed: {message}").format(
            mailbox=error.mailbox, message=error.message
        )

    def _error_box(self) -> QMessageBox:
        if self.error_box is None:
            box = QMessageBox(self)
            box.setObjectName("syncErrorBox")
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle(self.tr("Mail sync error"))
            box.setTextFormat(Qt.TextFormat.PlainText)  # the server's words, never markup
            retry = box.addButton(self.tr("&Retry now"), QMessageBox.ButtonRole.AcceptRole)
            retry.clicked.connect(self._runner.sync_now)
            box.addButton(QMessageBox.StandardButton.Close)
            self.error_box = box
        return self.error_box
