"""Live updates: the change-feed watcher, and this desktop's own presence reporter.

``ChangeWatcher`` polls the change feed (``seq > last_seq``) on a timer through ``Op`` and turns
what arrived into typed signals, so views refresh only what changed, whoever changed it: another
desktop, the sync service, the web form, or this desktop itself. Polls never overlap: the next
one is scheduled only when the previous one has landed, so a slow database slows the watcher
down instead of piling up queries on the one worker.

``PresenceReporter`` tells the others which ticket this desktop's agent is viewing or replying
to: at once when that changes, then as a heartbeat; ``core.presence`` expires a desktop that
stops beating. Presence is best effort: a failed write is logged, never put in front of the
person, and the next heartbeat tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from crm_desk.core import changes, presence
from crm_desk.core.changes import FeedItem
from crm_desk.store.db import Database
from crm_desk.store.models import Activity
from crm_desk.ui import tasks

log = logging.getLogger(__name__)

DEFAULT_POLL_MS = 500
MAX_BACKOFF_MS = 10_000
FEED_BATCH = 1000
# Under core.presence.MAX_AGE_S (10 s) with room for two missed beats.
DEFAULT_HEARTBEAT_MS = 3000
# Paging through tickets with j/k announces only where the agent stops: the ticket's own
# loads go first on the one worker, and the others are not told about every ticket passed.
DEFAULT_SETTLE_MS = 250

# Entities whose changes can move a sidebar count (a view's membership or its label).
COUNTED_ENTITIES = frozenset({"ticket", "quarantine", "category", "mailbox", "agent"})
TICKET_CREATED = "ticket.created"


def _unique(values: Iterable[int | None]) -> list[int]:
    seen: dict[int, None] = {}
    for value in values:
        if value is not None:
            seen.setdefault(value, None)
    return list(seen)


@dataclass(frozen=True)
class FeedBatch:
    """What one poll found, sorted into what views care about."""

    items: tuple[FeedItem, ...]
    tickets_changed: list[int]  # every ticket touched, created ones included
    tickets_created: list[int]
    presence_changed: list[int]  # ticket ids whose presence changed
    contacts_changed: list[int]
    counts_stale: bool

    @staticmethod
    def of(items: Sequence[FeedItem]) -> FeedBatch:
        tickets = [item for item in items if item.entity == "ticket"]
        return FeedBatch(
            items=tuple(items),
            tickets_changed=_unique(item.entity_id for item in tickets),
            tickets_created=_unique(i.entity_id for i in tickets if i.kind == TICKET_CREATED),
            presence_changed=_unique(
                item.entity_id for item in items if item.entity == presence.FEED_ENTITY
            ),
            contacts_changed=_unique(i.entity_id for i in items if i.entity == "contact"),
            counts_stale=any(item.entity in COUNTED_ENTITIES for item in items),
        )


def _latest_seq(db: Database) -> int:
    with db.read() as session:
        return changes.latest_seq(session)


def _changes_since(db: Database, seq: int, limit: int) -> list[FeedItem]:
    with db.read() as session:
        return list(changes.changes_since(session, seq, limit))


class ChangeWatcher(QObject):
    """Polls the change feed and emits what changed; see the module docstring.

    Signals carry ticket (or contact) ids without duplicates, in feed order. A ticket created
    since the last poll is in both ``tickets_created`` and ``tickets_changed``, so a list that
    refreshes on ``tickets_changed`` picks up new tickets without listening to both.
    """

    ready = Signal()  # the starting point is known: changes from now on will be reported
    tickets_changed = Signal(list)
    tickets_created = Signal(list)
    presence_changed = Signal(list)
    contacts_changed = Signal(list)
    counts_stale = Signal()
    changes_arrived = Signal(list)  # every FeedItem of the poll, for views with other interests

    def __init__(
        self,
        db: Database,
        parent: QObject | None = None,
        interval_ms: int = DEFAULT_POLL_MS,
        *,
        batch_limit: int = FEED_BATCH,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._interval_ms = interval_ms
        self._batch_limit = batch_limit
        self._delay_ms = interval_ms
        self._last_seq: int | None = None
        self._running = False
        self._polling = False
        self._failures = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._poll)

    @property
    def last_seq(self) -> int | None:
        return self._last_seq

    @property
    def running(self) -> bool:
        return self._running

    def start(self, from_seq: int | None = None) -> None:
        """Watch from ``from_seq`` (the feed position the caller's data reflects) or from now."""
        if self._running:
            return
        self._running = True
        if from_seq is not None:
            self._last_seq = from_seq
            self.ready.emit()
            self._schedule(0)
            return
        db = self._db
        tasks.Op(self, lambda: _latest_seq(db)).on_success(self._started).on_failure(
            self._failed
        ).start()
        self._polling = True

    def stop(self) -> None:
        self._running = False
        self._timer.stop()

    def poll_now(self) -> None:
        """Poll at once (after a write of our own, say) unless a poll is already under way."""
        if self._running and not self._polling and self._last_seq is not None:
            self._timer.stop()
            self._poll()

    # --- polling -------------------------------------------------------------------------------

    def _started(self, seq: int) -> None:
        self._polling = False
        self._last_seq = seq
        self.ready.emit()
        self._schedule(self._interval_ms)

    def _schedule(self, delay_ms: int) -> None:
        if self._running:
            self._timer.start(delay_ms)

    def _poll(self) -> None:
        if not self._running or self._polling or self._last_seq is None:
            return
        self._polling = True
        db, seq, limit = self._db, self._last_seq, self._batch_limit
        tasks.Op(self, lambda: _changes_since(db, seq, limit)).on_success(self._landed).on_failure(
            self._failed
        ).start()

    def _landed(self, items: list[FeedItem]) -> None:
        self._polling = False
        self._failures = 0
        self._delay_ms = self._interval_ms
        if not self._running:
            return
        if items:
            self._last_seq = items[-1].seq
            self._emit(FeedBatch.of(items))
        # A full batch means more is waiting (a big sync): fetch it straight away.
        self._schedule(0 if len(items) >= self._batch_limit else self._interval_ms)

    def _emit(self, batch: FeedBatch) -> None:
        self.changes_arrived.emit(list(batch.items))
        if batch.tickets_changed:
            self.tickets_changed.emit(batch.tickets_changed)
        if batch.tickets_created:
            self.tickets_created.emit(batch.tickets_created)
        if batch.presence_changed:
            self.presence_changed.emit(batch.presence_changed)
        if batch.contacts_changed:
            self.contacts_changed.emit(batch.contacts_changed)
        if batch.counts_stale:
            self.counts_stale.emit()

    def _failed(self, exc: BaseException) -> None:
        self._polling = False
        self._failures += 1
        # Say it once; while the database stays away, keep trying ever less often.
        if self._failures == 1:
            tasks.report_error(exc)
        else:
            log.warning("change feed poll failed again: %s", tasks.describe_error(exc))
        self._delay_ms = min(self._delay_ms * 2, MAX_BACKOFF_MS)
        if self._last_seq is None:
            self._running = False  # never started: the caller may start() again
            return
        self._schedule(self._delay_ms)


# --- presence ----------------------------------------------------------------------------------

_Presence = tuple[int, str] | None  # (ticket id, activity), or None: on no ticket


def _write_presence(db: Database, agent_id: int, state: _Presence) -> None:
    with db.write() as session:
        if state is None:
            presence.leave(session, agent_id)
        else:
            presence.announce(session, agent_id, state[0], state[1])


class PresenceReporter(QObject):
    """Announces this desktop's agent on a ticket; see the module docstring.

    ``set_viewing`` with another ticket ends replying (a reply belongs to its ticket). A
    change is written once it has held for ``settle_ms``; ``leave`` is written at once. Writes
    are coalesced: while one is in flight, only the latest wanted state is written next.
    """

    def __init__(
        self,
        db: Database,
        agent_id: int,
        parent: QObject | None = None,
        *,
        heartbeat_ms: int = DEFAULT_HEARTBEAT_MS,
        settle_ms: int = DEFAULT_SETTLE_MS,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._agent_id = agent_id
        self._ticket_id: int | None = None
        self._replying = False
        self._written: _Presence = None
        self._in_flight = False
        self._write_again = False
        self._heartbeat = QTimer(self)
        self._heartbeat.setInterval(heartbeat_ms)
        self._heartbeat.timeout.connect(self._beat)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(settle_ms)
        self._settle.timeout.connect(self._write_settled)

    @property
    def ticket_id(self) -> int | None:
        return self._ticket_id

    @property
    def activity(self) -> str | None:
        if self._ticket_id is None:
            return None
        return Activity.REPLYING.value if self._replying else Activity.VIEWING.value

    def set_viewing(self, ticket_id: int | None) -> None:
        if ticket_id == self._ticket_id:
            return
        self._ticket_id = ticket_id
        self._replying = False
        self._changed()

    def set_replying(self, replying: bool) -> None:
        if self._ticket_id is None or replying == self._replying:
            return
        self._replying = replying
        self._changed()

    def leave(self) -> None:
        """On no ticket any more (the window closes): the others stop showing us at once."""
        self.set_viewing(None)
        self._settle.stop()
        self._write(force=False)

    # --- writing -------------------------------------------------------------------------------

    def _wanted(self) -> _Presence:
        activity = self.activity
        return None if self._ticket_id is None or activity is None else (self._ticket_id, activity)

    def _changed(self) -> None:
        if self._ticket_id is None:
            self._heartbeat.stop()
        else:
            self._heartbeat.start()  # restarted: the settled write is this period's beat
        self._settle.start()  # restarted by every change: written once it holds

    def _write_settled(self) -> None:
        self._write(force=False)

    def _beat(self) -> None:
        self._write(force=True)

    def _write(self, *, force: bool) -> None:
        if self._in_flight:
            self._write_again = True
            return
        state = self._wanted()
        if state == self._written and not force:
            return
        if state is None and self._written is None:
            return  # never announced: nothing to take back
        self._in_flight = True
        db, agent_id = self._db, self._agent_id

        def done(_: None) -> None:
            self._in_flight = False
            self._written = state
            self._after_write()

        def failed(exc: BaseException) -> None:
            self._in_flight = False
            log.warning("could not update presence: %s", tasks.describe_error(exc))
            self._after_write()

        tasks.Op(self, lambda: _write_presence(db, agent_id, state)).on_success(done).on_failure(
            failed
        ).start()

    def _after_write(self) -> None:
        if self._write_again:
            self._write_again = False
            self._write(force=False)
