"""Background sync of the configured mailboxes inside the desktop app.

``SyncRunner`` loads the active mailboxes (through ``Op``, like every other database read) and
starts one Python thread per mailbox running ``MailboxSync.run``: each account has its own
worker and its own IMAP clients, as the architecture asks, and none of them uses the ``Op``
worker, which stays free for database work.

Threads never touch Qt objects. They emit signals of one relay object that lives on the GUI
thread, connected with queued connections, so every slot here runs on the GUI thread. Each
signal carries the generation of the run that emitted it: a thread that outlives its run (a
slow stop followed by a start) is ignored rather than mixed into the new run's state.

Stopping never blocks the GUI: the stop flag is set at once and a helper thread joins the
workers, then ``stopped`` is emitted. ``shutdown`` is the one blocking call, for after the
event loop has ended.

The engine has no "wake up now" call: its IDLE (or poll) wait only ends on new mail, a timeout
or its stop flag. So ``sync_now`` ends the current ``run`` of each waiting worker (the event
passed to ``run`` is per cycle, apart from the runner's own stop flag) and the worker calls
``run`` again at once, which starts with a pass. That reconnects, which is cheap for a click.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, SignalInstance, Slot

from crm_desk.core.mailboxes import list_mailboxes
from crm_desk.store.db import Database
from crm_desk.ui import tasks

if TYPE_CHECKING:
    from crm_desk.mail.imap import Credentials
    from crm_desk.mail.sync import SyncProgress

log = logging.getLogger(__name__)

# The runner's states, also each mailbox's (except "stopping").
STOPPED = "stopped"
STARTING = "starting"
SYNCING = "syncing"
IDLE = "idle"
ERROR = "error"
STOPPING = "stopping"

# When several mailboxes differ, the status bar shows the most pressing activity.
_PRIORITY = (SYNCING, STARTING, ERROR, IDLE, STOPPED)
# Errors that concern no single mailbox (the list of mailboxes could not be read).
ALL_MAILBOXES = ""

DEFAULT_JOIN_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SyncJob:
    """What a worker needs, read from the database as plain data."""

    mailbox_id: int
    name: str
    credentials: Callable[[], Credentials]  # reads the keyring when the engine connects


@dataclass(frozen=True)
class SyncError:
    mailbox: str  # ALL_MAILBOXES when it concerns none in particular
    message: str  # one line, from outside (a server's answer): plain text only
    at: datetime


def load_jobs(db: Database) -> list[SyncJob]:
    # Here, not at the top: the mail client loads when a sync starts, not with the window.
    from crm_desk.mail.imap import credentials_for

    with db.read() as session:
        return [
            SyncJob(
                mailbox.id,
                mailbox.name,
                credentials_for(mailbox),
            )
            for mailbox in list_mailboxes(session, active_only=True)
        ]


class _Relay(QObject):
    """Lives on the GUI thread; worker threads only ever emit these signals."""

    progress = Signal(int, str, object)  # generation, mailbox, SyncProgress
    error = Signal(int, str, str)  # generation, mailbox, message
    pass_done = Signal(int, str, bool)  # generation, mailbox, clean (no folder failed)
    finished = Signal(int, str, bool)  # generation, mailbox, crashed
    joined = Signal(int, bool)  # generation, every thread ended in time


def _emit(relay: _Relay, signal: SignalInstance, *args: object) -> None:
    """Emit from a worker; after the app has gone, there is nobody left to tell."""
    if not shiboken6.isValid(relay):
        return
    with contextlib.suppress(RuntimeError):  # deleted between the check and the emit
        signal.emit(*args)


@dataclass(frozen=True)
class _Options:
    batch_size: int
    idle_timeout: float
    poll_interval: float
    parallel: bool | None


class _Worker:
    """One mailbox's thread. Only ``stop`` and ``wake`` are called from the GUI thread; they
    only set events."""

    def __init__(
        self, db: Database, job: SyncJob, generation: int, relay: _Relay, options: _Options
    ) -> None:
        self.job = job
        self._db = db
        self._generation = generation
        self._relay = relay
        self._options = options
        self._stop = threading.Event()
        self._cycle = threading.Event()  # ends one run(): set by stop and by wake
        self.thread = threading.Thread(target=self._run, name=f"sync-{job.name}", daemon=True)

    def stop(self) -> None:
        self._stop.set()
        self._cycle.set()

    def wake(self) -> None:
        self._cycle.set()

    def _run(self) -> None:
        relay, generation, name = self._relay, self._generation, self.job.name
        options = self._options
        crashed = False
        try:
            # Imported here, not at the top: the engine and its process pool are not needed
            # to show the window, and a desktop without mailboxes never loads them.
            from crm_desk.mail.sync import MailboxSync

            sync = MailboxSync(
                self._db,
                self.job.mailbox_id,
                self.job.credentials,
                batch_size=options.batch_size,
                parallel=options.parallel,
                progress=lambda p: _emit(relay, relay.progress, generation, name, p),
                on_error=lambda text: _emit(relay, relay.error, generation, name, text),
                on_pass=lambda r: _emit(relay, relay.pass_done, generation, name, not r.errors),
            )
            while True:
                self._cycle.clear()
                if self._stop.is_set():  # checked after clear: a stop in between is not lost
                    break
                sync.run(
                    self._cycle,
                    idle_timeout=options.idle_timeout,
                    poll_interval=options.poll_interval,
                )
                if not self._cycle.is_set():
                    break  # run() ended by itself: the mailbox was deactivated or removed
        except Exception as exc:  # the engine handles what it expects; this is a bug
            crashed = True
            log.error("mail sync of %s stopped: %s", name, exc, exc_info=exc)
            _emit(relay, relay.error, generation, name, tasks.describe_error(exc))
        finally:
            _emit(relay, relay.finished, generation, name, crashed)


def _join_all(threads: Sequence[threading.Thread], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in threads)


class SyncRunner(QObject):
    """Runs the mail sync of every active mailbox in the background."""

    progress = Signal(str, str, int, int, str)  # mailbox, folder, done, total, stage
    # A mailbox's error began or changed (not repeated for each retry of the same one).
    error = Signal(str, str)  # mailbox, message (plain text)
    errors_changed = Signal()  # last_errors() changed (set, or cleared by a clean pass)
    state_changed = Signal(str)  # stopped | starting | syncing | idle | error | stopping
    stopped = Signal()  # no worker is left (after stop(), or all ended by themselves)

    def __init__(
        self,
        db: Database,
        parent: QObject | None = None,
        *,
        batch_size: int = 200,
        idle_timeout: float = 300,
        poll_interval: float = 60,
        parallel: bool | None = None,
        join_timeout_s: float = DEFAULT_JOIN_TIMEOUT_S,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._options = _Options(batch_size, idle_timeout, poll_interval, parallel)
        self._join_timeout_s = join_timeout_s
        self._generation = 0
        self._workers: dict[str, _Worker] = {}  # live threads of the current run
        self._states: dict[str, str] = {}  # every mailbox of the current run
        self._progress: dict[str, SyncProgress] = {}
        self._latest: list[str] = []  # mailboxes by their latest progress, newest last
        self._errors: dict[str, SyncError] = {}
        self._loading = False
        self._stopping = False
        self._start_after_stop = False
        self._state = STOPPED
        self._mailbox_count: int | None = None  # None until a start has read the mailboxes

        self._relay = _Relay(self)
        queued = Qt.ConnectionType.QueuedConnection
        self._relay.progress.connect(self._on_progress, type=queued)
        self._relay.error.connect(self._on_error, type=queued)
        self._relay.pass_done.connect(self._on_pass_done, type=queued)
        self._relay.finished.connect(self._on_finished, type=queued)
        self._relay.joined.connect(self._on_joined, type=queued)

    # --- what the status bar reads --------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def running(self) -> bool:
        """Started and not (being) stopped: loading the mailboxes, or some worker alive."""
        return not self._stopping and (self._loading or bool(self._workers))

    @property
    def busy(self) -> bool:
        """Anything still in flight, a stop included (a window closing may wait for this)."""
        return self._loading or self._stopping or bool(self._workers)

    @property
    def mailbox_count(self) -> int | None:
        """Active mailboxes found by the latest start (None before the first one)."""
        return self._mailbox_count

    def mailbox_states(self) -> dict[str, str]:
        return dict(self._states)

    def last_errors(self) -> dict[str, SyncError]:
        """The latest error per mailbox, until a clean pass of that mailbox or the next start."""
        return dict(self._errors)

    def current_progress(self) -> SyncProgress | None:
        """The latest progress of a mailbox that is syncing now, if any."""
        for name in reversed(self._latest):
            if self._states.get(name) == SYNCING:
                return self._progress[name]
        return None

    # --- control ---------------------------------------------------------------------------------

    @Slot()
    def start(self) -> None:
        """Load the active mailboxes and start a worker for each (nothing if already running)."""
        if self._stopping:
            self._start_after_stop = True  # start again once the old threads are gone
            return
        if self._loading or self._workers:
            return
        self._generation += 1
        generation = self._generation
        self._loading = True
        self._states.clear()
        self._progress.clear()
        self._latest.clear()
        if self._errors:
            self._errors.clear()  # settings may have been fixed: errors are shown again if not
            self.errors_changed.emit()
        self._update_state()
        db = self._db
        tasks.Op(self, lambda: load_jobs(db)).on_success(
            lambda jobs: self._launch(generation, jobs)
        ).on_failure(lambda exc: self._load_failed(generation, exc)).start()

    @Slot()
    def stop(self) -> None:
        """Ask every worker to stop; returns at once. ``stopped`` follows when they are gone."""
        self._start_after_stop = False
        if self._stopping or not (self._loading or self._workers):
            return
        self._stopping = True
        self._update_state()
        if self._loading:
            return  # _launch sees the stop and starts nothing
        workers = list(self._workers.values())
        for worker in workers:
            worker.stop()
        relay, generation, timeout = self._relay, self._generation, self._join_timeout_s
        threads = [worker.thread for worker in workers]
        threading.Thread(
            target=lambda: _emit(relay, relay.joined, generation, _join_all(threads, timeout)),
            name="mail-sync-stop",
            daemon=True,
        ).start()

    @Slot()
    def restart(self) -> None:
        """Stop and start again, reading the mailboxes anew (after settings changed)."""
        if self._loading or self._workers or self._stopping:
            self.stop()
            self._start_after_stop = True
        else:
            self.start()

    @Slot()
    def sync_now(self) -> None:
        """Sync every waiting mailbox at once (see the module's note); start if stopped."""
        if not self.running:
            self.start()
            return
        for name, worker in self._workers.items():
            if self._states.get(name) != SYNCING:
                worker.wake()

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Stop and WAIT for the workers: only once the event loop has ended (at exit), so the
        database is not disposed under a thread still writing. True if all ended in time."""
        self._start_after_stop = False
        self._generation += 1  # nothing the threads still say matters now
        workers = list(self._workers.values())
        for worker in workers:
            worker.stop()
        self._workers.clear()
        return _join_all([worker.thread for worker in workers], timeout_s)

    # --- from the workers (GUI thread) ---------------------------------------------------------

    def _launch(self, generation: int, jobs: list[SyncJob]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._mailbox_count = len(jobs)
        if self._stopping:  # stopped (or restarted) while the mailboxes were loading
            self._finish_stop()
            return
        for job in jobs:
            worker = _Worker(self._db, job, generation, self._relay, self._options)
            self._workers[job.name] = worker
            self._states[job.name] = STARTING
            worker.thread.start()
        if not jobs:
            log.info("mail sync: no active mailboxes")
        self._update_state()
        if not jobs:
            self.stopped.emit()

    def _load_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = False
        if not self._stopping:
            self._record_error(ALL_MAILBOXES, tasks.describe_error(exc))
        self._finish_stop()

    @Slot(int, str, object)
    def _on_progress(self, generation: int, name: str, progress: SyncProgress) -> None:
        if generation != self._generation or name not in self._workers or self._stopping:
            return
        self._progress[name] = progress
        if name in self._latest:
            self._latest.remove(name)
        self._latest.append(name)
        self._states[name] = SYNCING
        self._update_state()
        self.progress.emit(name, progress.folder, progress.done, progress.total, progress.stage)

    @Slot(int, str, str)
    def _on_error(self, generation: int, mailbox: str, message: str) -> None:
        if generation != self._generation or mailbox not in self._states:
            return
        if mailbox in self._workers and not self._stopping:
            self._states[mailbox] = ERROR
        self._record_error(mailbox, message)
        self._update_state()

    @Slot(int, str, bool)
    def _on_pass_done(self, generation: int, mailbox: str, clean: bool) -> None:
        if generation != self._generation or mailbox not in self._workers or self._stopping:
            return
        self._states[mailbox] = IDLE if clean else ERROR
        if clean and self._errors.pop(mailbox, None) is not None:
            self.errors_changed.emit()
        self._update_state()

    @Slot(int, str, bool)
    def _on_finished(self, generation: int, mailbox: str, crashed: bool) -> None:
        if generation != self._generation or self._stopping:
            return  # a stop is completed by _on_joined
        self._workers.pop(mailbox, None)
        self._states[mailbox] = ERROR if crashed else STOPPED
        self._update_state()
        if not self._workers:
            self.stopped.emit()

    @Slot(int, bool)
    def _on_joined(self, generation: int, in_time: bool) -> None:
        if generation != self._generation:
            return
        if not in_time:
            # Daemon threads with their stop flag set: they end after their current command,
            # and anything they still emit carries an old generation and is ignored.
            log.warning("mail sync: a worker did not stop within %.0f s", self._join_timeout_s)
        self._workers.clear()
        self._finish_stop()

    # --- bookkeeping ---------------------------------------------------------------------------

    def _finish_stop(self) -> None:
        self._stopping = False
        self._generation += 1  # whatever the old threads still say is not about this run
        for name in self._states:
            self._states[name] = STOPPED
        self._update_state()
        self.stopped.emit()
        if self._start_after_stop:
            self._start_after_stop = False
            self.start()

    def _record_error(self, mailbox: str, message: str) -> None:
        previous = self._errors.get(mailbox)
        self._errors[mailbox] = SyncError(mailbox, message, datetime.now(UTC))
        self.errors_changed.emit()
        if previous is None or previous.message != message:
            self.error.emit(mailbox, message)

    def _update_state(self) -> None:
        if self._stopping:
            state = STOPPING
        elif self._loading:
            state = STARTING
        elif not self._workers:
            failed = ALL_MAILBOXES in self._errors or ERROR in self._states.values()
            state = ERROR if failed else STOPPED
        else:
            present = {self._states.get(name, STARTING) for name in self._workers}
            state = next((s for s in _PRIORITY if s in present), STOPPED)
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
