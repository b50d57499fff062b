"""The background-work helper: results and errors on the GUI thread, dead parents, order."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import shiboken6
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from crm_desk.errors import ConflictError
from crm_desk.ui import tasks
from crm_desk.ui.tasks import Op


@pytest.fixture
def parent(qtbot: QtBot) -> Iterator[QObject]:
    obj = QObject()
    yield obj
    qtbot.waitUntil(tasks.is_idle)


@pytest.fixture
def reported() -> list[BaseException]:
    errors: list[BaseException] = []
    tasks.install_error_handler(errors.append)
    return errors


def test_result_is_delivered_on_the_gui_thread(qtbot: QtBot, parent: QObject) -> None:
    threads: dict[str, int] = {}

    def work() -> int:
        threads["fn"] = threading.get_ident()
        return 42

    results: list[int] = []

    def done(value: int) -> None:
        threads["callback"] = threading.get_ident()
        results.append(value)

    Op(parent, work).on_success(done).start()
    assert not results  # never synchronous
    qtbot.waitUntil(lambda: results == [42])
    assert threads["callback"] == threading.main_thread().ident
    assert threads["fn"] != threading.main_thread().ident


def test_failure_goes_to_on_failure(qtbot: QtBot, parent: QObject) -> None:
    failures: list[BaseException] = []

    def work() -> None:
        raise ConflictError("ticket #1 is already claimed by Bob")

    Op(parent, work).on_success(lambda _: pytest.fail("no result")).on_failure(
        failures.append
    ).start()
    qtbot.waitUntil(lambda: len(failures) == 1)
    assert isinstance(failures[0], ConflictError)


def test_unhandled_failures_go_to_the_error_handler(
    qtbot: QtBot, parent: QObject, reported: list[BaseException], caplog: pytest.LogCaptureFixture
) -> None:
    def conflict() -> None:
        raise ConflictError("ticket #1 is already claimed by Bob")

    def bug() -> None:
        raise ValueError("boom")

    Op(parent, conflict).start()
    Op(parent, bug).start()
    qtbot.waitUntil(lambda: len(reported) == 2)
    assert tasks.describe_error(reported[0]) == "ticket #1 is already claimed by Bob"
    assert tasks.describe_error(reported[1]) == "Unexpected error: ValueError: boom"
    assert "Traceback" in tasks.error_details(reported[1])
    assert "boom" in caplog.text  # the unexpected one is logged with its traceback
    caplog.clear()


def test_a_failing_callback_is_reported(
    qtbot: QtBot, parent: QObject, reported: list[BaseException], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_value: int) -> None:
        raise RuntimeError("callback bug")

    Op(parent, lambda: 1).on_success(broken).start()
    qtbot.waitUntil(lambda: len(reported) == 1)
    assert str(reported[0]) == "callback bug"
    caplog.clear()


@pytest.mark.parametrize("how", ["delete", "delete_owner"])
def test_callbacks_are_dropped_when_the_parent_is_destroyed(
    qtbot: QtBot, reported: list[BaseException], how: str
) -> None:
    owner = QObject()
    parent = QObject(owner) if how == "delete_owner" else owner
    release = threading.Event()
    called: list[str] = []

    def work() -> int:
        release.wait(5)
        return 1

    def fail() -> None:
        release.wait(5)
        raise ValueError("nobody is listening")

    Op(parent, work).on_success(lambda _: called.append("success")).start()
    Op(parent, fail).start()  # would go to the error handler if the parent were alive
    shiboken6.delete(owner)
    assert not shiboken6.isValid(parent)
    release.set()
    qtbot.waitUntil(tasks.is_idle)
    assert called == []
    assert reported == []


def test_ops_run_one_at_a_time_in_start_order(qtbot: QtBot, parent: QObject) -> None:
    running = 0
    overlap = False
    order: list[int] = []
    lock = threading.Lock()

    def job(n: int) -> Callable[[], int]:
        def run() -> int:
            nonlocal running, overlap
            with lock:
                running += 1
                overlap = overlap or running > 1
            threading.Event().wait(0.002)
            with lock:
                running -= 1
            return n

        return run

    for n in range(20):
        Op(parent, job(n)).on_success(order.append).start()
    qtbot.waitUntil(lambda: len(order) == 20)
    assert order == list(range(20))
    assert not overlap


def test_fn_is_released_on_the_gui_thread(qtbot: QtBot, parent: QObject) -> None:
    # fn may be a bound method of a QObject: its last reference must not die on the worker.
    released_on: list[int] = []

    class Work:
        def __call__(self) -> int:
            return 1

        def __del__(self) -> None:
            released_on.append(threading.get_ident())

    for _ in range(30):
        Op(parent, Work()).start()
    qtbot.waitUntil(lambda: len(released_on) == 30)
    assert set(released_on) == {threading.main_thread().ident}


def test_wait_idle_and_start_once(qtbot: QtBot, parent: QObject) -> None:
    op = Op(parent, lambda: 1).start()
    with pytest.raises(RuntimeError):
        op.start()
    assert tasks.wait_idle(5_000)
    assert tasks.is_idle()


def test_shutdown_drops_queued_ops(qtbot: QtBot, parent: QObject) -> None:
    running, release = threading.Event(), threading.Event()
    delivered: list[int] = []

    def block() -> None:
        running.set()
        release.wait(5)

    Op(parent, block).start()
    for n in range(3):
        Op(parent, lambda n=n: n).on_success(delivered.append).start()
    assert running.wait(5)  # the first op is on the worker; the other three are queued
    assert not tasks.is_idle()
    release.set()
    assert tasks.shutdown(5_000)
    assert tasks.is_idle()
    # The running op's delivery is still queued; when it arrives it finds nothing to call.
    with qtbot.waitSignal(tasks.task_manager().idle, timeout=5_000):
        pass
    assert delivered == []


def test_one_at_a_time_merges_requests_made_while_running(qtbot: QtBot, parent: QObject) -> None:
    gate = threading.Event()
    runs: list[int] = []
    shown: list[int] = []

    def prepare() -> tuple[Callable[[], int], Callable[[int], None]]:
        number = len(runs) + 1
        runs.append(number)

        def work() -> int:
            gate.wait(5)
            return number

        return work, shown.append

    loads = tasks.OneAtATime[int](parent, prepare)
    loads.request()
    loads.request()  # while the first runs: merged …
    loads.request()  # … into one more run
    assert loads.running and runs == [1]
    gate.set()
    qtbot.waitUntil(lambda: shown == [1, 2] and not loads.running)
    assert runs == [1, 2]


def test_one_at_a_time_drops_the_merged_request_after_a_failure(
    qtbot: QtBot, parent: QObject, reported: list[BaseException]
) -> None:
    gate = threading.Event()
    runs: list[int] = []

    def prepare() -> tuple[Callable[[], int], Callable[[int], None]]:
        runs.append(1)

        def work() -> int:
            gate.wait(5)
            raise ConflictError("the database is gone")

        return work, lambda _value: None

    loads = tasks.OneAtATime[int](parent, prepare)
    loads.request()
    loads.request()
    gate.set()
    qtbot.waitUntil(lambda: len(reported) == 1 and not loads.running)
    assert runs == [1]
