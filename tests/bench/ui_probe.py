"""One measured start of the desktop app, for ``tests/bench/ui.py``; prints JSON on stdout.

    python -m tests.bench.ui_probe --db URL [--switches 30] [--spawned-at MONOTONIC]

It does what ``crm-desk demo`` does on a built database (open it, the QApplication with the
translators and the style sheet, the acting agent, the main window, show), offscreen, as the
demo team lead, with fresh window settings (no saved geometry or sort), then reports:

* ``first_page_s``: from the first line of this process until the queue's first rows are
  painted (the model's first ``loaded`` with rows, then the events it posted are processed,
  which paints the list; a paint of the list is checked);
* ``startup_view_s``: until the rows of the view the window starts in (Mine, for an agent)
  are painted; the window may show another filter's rows first, while the sidebar counts
  that select the view are still loading;
* ``idle_s``: until every op started by the start has been delivered;
* ``switches``: for N tickets of the queue, one after the other (``open_ticket``, as a click
  does), the milliseconds until both ``conversation.loaded`` and ``customer_panel.loaded``
  fired for that ticket (``signal_ms``), and until the events they posted were processed too
  (``painted_ms``), and the CPU time the process used meanwhile (``cpu_ms``: far below the
  wall clock, the switch waited for a core, the disk or a lock); between two switches it
  waits until the worker is idle and then a pause, as an agent reading the ticket would, so
  the writes a switch causes (mark read, presence) are not timed;
* ``peak_rss_mb``: this process's VmHWM at the end;
* ``ops``: every background op (``tasks.Op``) with when it was queued and started and how
  long it ran on the worker, to see what the first page or a switch waited for;
* ``first_page_cpu_s``: the CPU time this process had used by its first page (every thread,
  the interpreter's start included): on a busy machine it says how much of the wall clock
  was spent waiting for a core.

With ``--spawned-at`` (the parent's ``time.monotonic()`` just before it started this
process; CLOCK_MONOTONIC is one clock for all processes on Linux) it also reports
``interpreter_s``, the time before this module's first line ran (interpreter start and the
imports of ``-m``), so that start-to-screen can be given from the spawn as well.
"""

import time

# The first thing the process does: everything after this (imports included) is start-up.
STARTED = time.perf_counter()
STARTED_MONOTONIC = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import asdict, dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from crm_desk.core.queries import TicketFilter  # noqa: E402
from crm_desk.store.schema import open_database  # noqa: E402
from crm_desk.ui import tasks  # noqa: E402
from crm_desk.ui.actor import find_actor  # noqa: E402
from crm_desk.ui.app import create_application  # noqa: E402
from crm_desk.ui.i18n import install_translators  # noqa: E402
from crm_desk.ui.main_window import MainWindow  # noqa: E402
from crm_desk.ui.models.sidebar_model import ViewSpec  # noqa: E402

IMPORTED = time.perf_counter()
TIMEOUT_S = 300.0  # a 1M PostgreSQL start with cold caches can be slow; a hang is not


def since_start(at: float | None = None) -> float:
    return (time.perf_counter() if at is None else at) - STARTED


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PaintCounter(QObject):
    """Counts the paint events a widget receives (to know that the list was painted)."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802  # Qt's name
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def run_until(done: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> bool:
    """Run the event loop until ``done()``; it is checked whenever a stamp was recorded (the
    signal handlers call ``Stamps.poke``) and every few milliseconds as a fallback."""
    if done():
        return True
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(5)
    check.timeout.connect(lambda: loop.quit() if done() else None)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    Stamps.current_loop = loop
    Stamps.current_done = done
    check.start()
    deadline.start(int(timeout_s * 1000))
    loop.exec()
    Stamps.current_loop = None
    check.stop()
    deadline.stop()
    return done()


class Stamps:
    """Signal handlers record perf_counter stamps; the running wait ends as soon as it can."""

    current_loop: QEventLoop | None = None
    current_done: Callable[[], bool] | None = None

    @classmethod
    def poke(cls) -> None:
        loop, done = cls.current_loop, cls.current_done
        if loop is not None and done is not None and done():
            loop.quit()


def settle_paint(window: MainWindow, counter: PaintCounter, before: int) -> float:
    """Process what the landing posted (layout, update requests: the paint) and return the
    stamp once the list has painted since ``before`` paints."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.processEvents()
    if counter.paints <= before:
        # The update request was not processed in that pass (rare): wait for it.
        run_until(lambda: counter.paints > before, 10)
    return time.perf_counter()


@dataclass
class Switch:
    ticket_id: int
    signal_ms: float
    painted_ms: float
    cpu_ms: float  # CPU time of this process meanwhile: far below signal_ms means it waited


@dataclass
class OpTiming:
    name: str  # the qualified name of the op's function, e.g. Sidebar.refresh_now.<locals>...
    queued_s: float  # since the process started
    started_s: float  # when the worker took it up
    ms: float  # how long it ran on the worker


class OpTrace:
    """Times every ``tasks.Op`` on the worker: which query a start or a switch waited for.

    It wraps the function an op is created with (``Op(parent, fn)``); nothing else changes.
    """

    def __init__(self) -> None:
        self.ops: list[OpTiming] = []  # appended on the worker thread: one list.append each

    def install(self) -> None:
        original = tasks.Op.__init__
        trace = self

        def init(op: tasks.Op[Any], parent: QObject, fn: Callable[[], Any]) -> None:
            name = getattr(fn, "__qualname__", type(fn).__name__)
            queued = time.perf_counter()

            def timed() -> Any:
                started = time.perf_counter()
                try:
                    return fn()
                finally:
                    took = (time.perf_counter() - started) * 1000
                    trace.ops.append(
                        OpTiming(name, since_start(queued), since_start(started), took)
                    )

            original(op, parent, timed)

        setattr(tasks.Op, "__init__", init)  # noqa: B010  # a method cannot be assigned to


@dataclass
class Report:
    url: str
    tickets_listed: int = 0
    interpreter_s: float | None = None
    imports_s: float = 0.0
    database_open_s: float = 0.0
    window_built_s: float = 0.0
    shown_s: float = 0.0
    first_rows_s: float | None = None
    first_page_s: float | None = None
    first_page_cpu_s: float | None = None  # CPU time of this process (all threads) by then
    startup_view: str | None = None
    startup_view_s: float | None = None
    idle_s: float | None = None
    switches: list[Switch] = field(default_factory=list)
    switch_median_ms: float | None = None
    switch_p95_ms: float | None = None
    switch_max_ms: float | None = None
    painted_median_ms: float | None = None
    painted_p95_ms: float | None = None
    painted_max_ms: float | None = None
    peak_rss_mb: float = 0.0
    ops: list[OpTiming] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_start(window: MainWindow, report: Report) -> None:
    """From ``show()`` until the first rows and the startup view's rows are painted."""
    counter = PaintCounter(window)
    window.view.viewport().installEventFilter(counter)
    first_rows: list[float] = []
    selected: list[ViewSpec] = []
    view_rows: list[float] = []
    last_loaded: list[tuple[float, TicketFilter]] = []

    def loaded() -> None:
        now = time.perf_counter()
        last_loaded.append((now, window.model.ticket_filter))
        if window.model.rowCount() > 0 and not first_rows:
            first_rows.append(now)
        if selected and window.model.ticket_filter == selected[-1].ticket_filter:
            view_rows.append(now)
        Stamps.poke()

    def view_selected(spec: ViewSpec) -> None:
        # Connected after the window's own handler: it has set the model's filter by now. An
        # unchanged filter loads nothing more: the view's rows are those already shown.
        selected.append(spec)
        if not window.model.busy and last_loaded and last_loaded[-1][1] == spec.ticket_filter:
            view_rows.append(last_loaded[-1][0])
            Stamps.poke()

    window.model.loaded.connect(loaded)
    window.sidebar.view_selected.connect(view_selected)
    window.show()
    report.shown_s = since_start()

    paints = counter.paints
    if not run_until(lambda: bool(first_rows)):
        report.errors.append("no rows within the time limit")
        return
    report.first_rows_s = since_start(first_rows[0])
    report.first_page_s = since_start(settle_paint(window, counter, paints))
    report.first_page_cpu_s = time.process_time()

    paints = counter.paints
    if not run_until(lambda: bool(view_rows)):
        report.errors.append("the startup view did not load within the time limit")
    else:
        report.startup_view = selected[-1].key
        if view_rows[0] == first_rows[0]:
            report.startup_view_s = report.first_page_s  # the first page was the view's
        else:
            report.startup_view_s = since_start(settle_paint(window, counter, paints))
    window.model.loaded.disconnect(loaded)
    window.sidebar.view_selected.disconnect(view_selected)

    if run_until(tasks.is_idle):
        report.idle_s = since_start()
    report.tickets_listed = window.model.rowCount()


def both_loaded(
    ticket_id: int, conversation: dict[int, float], customer: dict[int, float]
) -> Callable[[], bool]:
    return lambda: ticket_id in conversation and ticket_id in customer


def measure_switches(window: MainWindow, report: Report, count: int, pause_ms: int) -> None:
    conversation: dict[int, float] = {}
    customer: dict[int, float] = {}

    def conversation_loaded(ticket_id: int) -> None:
        conversation.setdefault(ticket_id, time.perf_counter())
        Stamps.poke()

    def customer_loaded(ticket_id: int) -> None:
        customer.setdefault(ticket_id, time.perf_counter())
        Stamps.poke()

    window.conversation.loaded.connect(conversation_loaded)
    window.customer_panel.loaded.connect(customer_loaded)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    # Rows after the first (which the window may have opened itself), in queue order: what
    # an agent going down the list opens.
    ids = [window.model.row_at(row).id for row in range(window.model.rowCount())]
    for ticket_id in ids[1 : count + 1]:
        conversation.pop(ticket_id, None)
        customer.pop(ticket_id, None)
        started, started_cpu = time.perf_counter(), time.process_time()
        window.open_ticket(ticket_id)
        if not run_until(both_loaded(ticket_id, conversation, customer), 60):
            report.errors.append(f"ticket {ticket_id} did not load within 60 s")
            continue
        signalled = max(conversation[ticket_id], customer[ticket_id])
        app.processEvents()  # what the landing posted: layouts, the paint
        painted_at, cpu = time.perf_counter(), time.process_time() - started_cpu
        report.switches.append(
            Switch(
                ticket_id, (signalled - started) * 1000, (painted_at - started) * 1000, cpu * 1000
            )
        )
        # An agent reads the ticket: the writes it caused (mark read, presence) run now.
        run_until(tasks.is_idle, 60)
        run_until(lambda: False, pause_ms / 1000)
    if report.switches:
        signal = [s.signal_ms for s in report.switches]
        painted = [s.painted_ms for s in report.switches]
        report.switch_median_ms = statistics.median(signal)
        report.switch_p95_ms = percentile(signal, 0.95)
        report.switch_max_ms = max(signal)
        report.painted_median_ms = statistics.median(painted)
        report.painted_p95_ms = percentile(painted, 0.95)
        report.painted_max_ms = max(painted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.ui_probe", description=__doc__)
    parser.add_argument("--db", required=True, metavar="URL")
    parser.add_argument("--switches", type=int, default=30, metavar="N")
    parser.add_argument("--pause-ms", type=int, default=400, help="between two switches")
    parser.add_argument("--language", choices=("system", "en", "ja"), default="ja")
    parser.add_argument(
        "--agent", help="the acting agent's email (default: the demo lead; costs demo's import)"
    )
    parser.add_argument("--no-live", action="store_true", help="without the change feed")
    parser.add_argument("--spawned-at", type=float, metavar="MONOTONIC")
    args = parser.parse_args(argv)
    if args.agent is None:
        from crm_desk.core.demo import DEMO_LEAD_EMAIL

        args.agent = DEMO_LEAD_EMAIL

    report = Report(url=args.db, imports_s=since_start(IMPORTED))
    trace = OpTrace()
    trace.install()
    if args.spawned_at is not None:
        report.interpreter_s = STARTED_MONOTONIC - args.spawned_at
    with tempfile.TemporaryDirectory(prefix="crm-desk-ui-probe-") as tmp:
        # As cmd_demo: the database is opened (and its schema checked) first.
        db = open_database(args.db)
        report.database_open_s = since_start()
        app = create_application([sys.argv[0], "-platform", os.environ["QT_QPA_PLATFORM"]])
        install_translators(app, args.language)
        actor = find_actor(db, args.agent)
        if actor is None:
            report.errors.append(f"no active agent {args.agent}")
        # Fresh window settings: no saved geometry, splitters or sort from an earlier run.
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(db, actor, settings=settings, live=not args.no_live)
        report.window_built_s = since_start()
        measure_start(window, report)
        if report.first_page_s is not None:
            measure_switches(window, report, args.switches, args.pause_ms)
        report.peak_rss_mb = peak_rss_mb()
        report.ops = list(trace.ops)
        window.close()
        tasks.install_error_handler(None)
        tasks.shutdown()
        db.dispose()
    payload: dict[str, Any] = asdict(report)
    print(json.dumps(payload, ensure_ascii=False))
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
