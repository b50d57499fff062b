"""The one helper for background work: ``Op(parent, fn).on_success(cb).on_failure(cb).start()``.

In the style of Anki's ``QueryOp``: ``fn`` runs on a worker thread and must not touch Qt
widgets; its result (or the exception it raised) is delivered on the GUI thread through a
queued signal, to ``on_success`` (or ``on_failure``). A failure without ``on_failure`` goes to
the one error handler the main window installs (``install_error_handler``).

Worker model: ONE dedicated worker thread (a ``QThreadPool`` capped at one thread that never
expires) runs every op, in the order they were started. Why not a pool of several threads:

* nearly every op is database work, and SQLite has one writer at a time anyway; more threads
  would only queue on its lock (or on PostgreSQL's row locks) instead of in our queue;
* ops finish in start order, so a reload started after a write sees the write, and page N+1
  never lands before page N; views can reason about their results without extra bookkeeping;
* each op opens its own session (``db.read()`` / ``db.write()``), and the SQLAlchemy engine is
  thread-safe, so nothing else needs a lock.

The price is that one slow query delays the ones behind it. Long-running network work (IMAP
sync, SMTP) does not belong here: per the architecture it gets its own worker per account.

If ``parent`` is destroyed before the op finishes, its callbacks are dropped: delivery checks
that the C++ object is still alive. Object lifetimes are arranged so that Python references to
``fn`` (which may be a bound method of a QObject) and to the outcome are only ever released on
the GUI thread: a QObject must never be destroyed on the worker thread.
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QEventLoop,
    QObject,
    Qt,
    QThread,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)

from crm_desk.errors import CrmDeskError

log = logging.getLogger(__name__)

T = TypeVar("T")
ErrorHandler = Callable[[BaseException], None]


# --- showing errors --------------------------------------------------------------------------


def describe_error(exc: BaseException) -> str:
    """One line for a person: our own errors as they are, anything else as unexpected."""
    if isinstance(exc, CrmDeskError):
        return str(exc)
    detail = str(exc)
    name = type(exc).__name__
    return f"Unexpected error: {name}: {detail}" if detail else f"Unexpected error: {name}"


def error_details(exc: BaseException) -> str:
    """The traceback, for a details view or the log."""
    return "".join(traceback.format_exception(exc))


@dataclass
class _Handler:
    handler: ErrorHandler
    owner: QObject | None


_error_handler: _Handler | None = None


def install_error_handler(handler: ErrorHandler | None, owner: QObject | None = None) -> None:
    """Make ``handler`` the one place unhandled op failures go (None: back to the log).

    With ``owner``, the handler is ignored once that object has been destroyed, so a closed
    main window never receives (and crashes on) a late error.
    """
    global _error_handler  # noqa: PLW0603  # the one, app-wide place errors go
    _error_handler = _Handler(handler, owner) if handler is not None else None


def report_error(exc: BaseException) -> None:
    """Show ``exc`` through the installed handler; always log what was unexpected."""
    if not isinstance(exc, CrmDeskError):
        log.error("%s", describe_error(exc), exc_info=exc)
    current = _error_handler
    if current is None or (current.owner is not None and not shiboken6.isValid(current.owner)):
        if isinstance(exc, CrmDeskError):
            log.warning("%s", exc)
        return
    try:
        current.handler(exc)
    except Exception:  # a broken handler must not take the event loop down with it
        log.exception("the error handler failed while showing %r", exc)


# --- the worker --------------------------------------------------------------------------------


class _Outcome:
    """What ``fn`` produced. Filled on the worker, read and released on the GUI thread."""

    __slots__ = ("error", "value")

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None


class _Job:
    """The callable the pool runs. It gives up every reference before announcing completion,
    so the last references to ``fn`` and to the outcome are the GUI thread's."""

    def __init__(self, op_id: int, fn: Callable[[], Any], outcome: _Outcome, relay: _Relay):
        self._op_id = op_id
        self._fn: Callable[[], Any] | None = fn
        self._outcome: _Outcome | None = outcome
        self._relay = relay

    def __call__(self) -> None:
        fn, outcome = self._fn, self._outcome
        self._fn = self._outcome = None
        assert fn is not None and outcome is not None
        try:
            outcome.value = fn()
        except BaseException as exc:  # delivered to on_failure, never lost in the worker
            outcome.error = exc
        del fn, outcome
        self._relay.finished.emit(self._op_id)


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits ``finished`` and Qt queues the delivery."""

    finished = Signal(int)


class TaskManager(QObject):
    """Owns the worker and the ops in flight. One per application (see ``task_manager``)."""

    idle = Signal()  # emitted when the last op in flight has been delivered

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)  # keep the one worker thread for the app's lifetime
        self._relay = _Relay(self)
        # Explicitly queued: delivery always happens on this object's (the GUI) thread.
        self._relay.finished.connect(self._deliver, type=Qt.ConnectionType.QueuedConnection)
        self._ops: dict[int, Op[Any]] = {}
        self._ids = itertools.count(1)

    def submit(self, op: Op[Any], fn: Callable[[], Any], outcome: _Outcome) -> None:
        if QThread.currentThread() is not self.thread():
            raise RuntimeError("Op.start() must be called on the GUI thread")
        op_id = next(self._ids)
        self._ops[op_id] = op
        self._pool.start(_Job(op_id, fn, outcome, self._relay))

    @Slot(int)
    def _deliver(self, op_id: int) -> None:
        op = self._ops.pop(op_id, None)
        if op is not None:
            op._deliver()  # the manager and Op are one unit
        if not self._ops:
            self.idle.emit()

    def pending(self) -> int:
        """Ops started but not yet delivered (queued, running, or waiting for the event loop)."""
        return len(self._ops)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Drop queued ops and wait for the running one; True if the worker is done.

        Callbacks of ops not yet delivered are dropped: the app is on its way out.
        """
        self._pool.clear()
        done = self._pool.waitForDone(QDeadlineTimer(timeout_ms))
        self._ops.clear()
        return done


_manager: TaskManager | None = None


def task_manager() -> TaskManager:
    """The application's task manager, created on first use as a child of the application."""
    global _manager  # noqa: PLW0603  # tied to the QApplication's lifetime, not a free global
    if _manager is None or not shiboken6.isValid(_manager):
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("background ops need a QApplication")
        _manager = TaskManager(app)
    return _manager


def is_idle() -> bool:
    """True when no op is in flight; for tests: ``qtbot.waitUntil(tasks.is_idle)``."""
    return _manager is None or not shiboken6.isValid(_manager) or _manager.pending() == 0


def wait_idle(timeout_ms: int = 10_000) -> bool:
    """Run the event loop until every op has been delivered (scripts; tests use waitUntil)."""
    if is_idle():
        return True
    loop = QEventLoop()
    manager = task_manager()
    manager.idle.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    manager.idle.disconnect(loop.quit)
    return is_idle()


def shutdown(timeout_ms: int = 10_000) -> bool:
    """At exit: drop queued ops, wait for the running one."""
    if _manager is None or not shiboken6.isValid(_manager):
        return True
    return _manager.shutdown(timeout_ms)


# --- the public helper -------------------------------------------------------------------------


class Op(Generic[T]):
    """Run ``fn`` off the GUI thread; deliver its result or error on the GUI thread.

    ``fn`` must not touch widgets or models: pass it plain values (a ``Database``, a filter),
    and apply the result in ``on_success``, which runs on the GUI thread.
    """

    def __init__(self, parent: QObject, fn: Callable[[], T]) -> None:
        self._parent = parent
        self._fn: Callable[[], T] | None = fn
        self._outcome = _Outcome()
        self._success: Callable[[T], None] | None = None
        self._failure: ErrorHandler | None = None
        self._started = False

    def on_success(self, callback: Callable[[T], None]) -> Op[T]:
        self._success = callback
        return self

    def on_failure(self, callback: ErrorHandler) -> Op[T]:
        self._failure = callback
        return self

    def start(self) -> Op[T]:
        if self._started:
            raise RuntimeError("an Op can only be started once")
        self._started = True
        assert self._fn is not None
        task_manager().submit(self, self._fn, self._outcome)
        return self

    def _deliver(self) -> None:
        # Release fn and the outcome here, on the GUI thread, whatever happens below.
        outcome, self._outcome = self._outcome, _Outcome()
        self._fn = None
        success, failure = self._success, self._failure
        self._success = self._failure = None
        if not shiboken6.isValid(self._parent):
            if outcome.error is not None:
                log.info("dropped the failure of an op whose parent is gone: %r", outcome.error)
            return
        try:
            if outcome.error is None:
                if success is not None:
                    success(outcome.value)
            elif failure is not None:
                failure(outcome.error)
            else:
                report_error(outcome.error)
        except Exception as exc:  # a bug in a callback is shown, not swallowed by Qt
            report_error(exc)


class OneAtATime(Generic[T]):
    """Reloads that must not overlap: while one runs, any number of further requests merge
    into one more run when it ends (a burst of change-feed events costs two reads, not ten).

    ``prepare`` is called on the GUI thread for each run and returns the worker function and
    the callback for its result, both closing over the parameters of that moment. A failure
    goes to the one error handler and drops the merged request: a dead database is not asked
    again in a loop, and the next request (the next change) tries afresh.
    """

    def __init__(
        self, parent: QObject, prepare: Callable[[], tuple[Callable[[], T], Callable[[T], None]]]
    ) -> None:
        self._parent = parent
        self._prepare = prepare
        self._running = False
        self._again = False

    @property
    def running(self) -> bool:
        return self._running

    def request(self) -> None:
        if self._running:
            self._again = True
            return
        self._running = True
        fn, show = self._prepare()

        def landed(value: T) -> None:
            self._finish()
            show(value)

        def failed(exc: BaseException) -> None:
            self._running = self._again = False
            report_error(exc)

        Op(self._parent, fn).on_success(landed).on_failure(failed).start()

    def _finish(self) -> None:
        self._running = False
        if self._again:
            self._again = False
            self.request()
