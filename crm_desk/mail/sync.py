"""The IMAP sync engine: new mail on the server becomes tickets, exactly once.

One pass (``MailboxSync.sync_once``) walks the mailbox's folders. Per folder:

1. ``STATUS`` reads the folder's UIDVALIDITY without selecting it. If it differs from the one in
   ``sync_state``, the folder was recreated on the server: its UIDs now name other messages, so
   nothing is fetched or flagged there until a person runs ``reset_folder`` (the CLI's
   ``mailbox reset-folder``); the error is recorded and the other folders go on.
2. After-import actions that a crash may have missed are re-applied (see below).
3. ``UID SEARCH UID <highest+1>:*`` lists the new messages; they are fetched in batches with
   ``BODY.PEEK[]`` (never ``BODY[]``, which would mark them read), parsed outside any
   transaction, and written in one transaction per batch that also advances ``highest_uid``.
   Exactly-once does not depend on ``highest_uid``: ``lock_folder``, a check for keys already
   present (``core.ingest.known_keys`` for a whole batch) and the unique IMAP key make a
   re-fetched message a no-op, so a crash at any point only costs work.
4. Only after a batch's commit does the server learn about it (``\\Seen`` or a move), and only
   for UIDs whose key is in the database. A crash between commit and action is repaired at the
   start of the next pass of that folder.

``MailboxSync.run`` repeats passes forever on one connection and waits for new mail in IDLE on
a second connection (polling when the server has no IDLE), reconnecting with capped, jittered
exponential backoff after errors. Nothing here imports Qt; the desktop runs ``run`` on a worker
thread and the headless ``sync`` service in its main thread.
"""

from __future__ import annotations

import imaplib
import logging
import random
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from imapclient import DELETED, SEEN, IMAPClient
from sqlalchemy.exc import DBAPIError, IntegrityError

from crm_desk.core.ingest import ImapKey, InboundItem, ingest_batch, lock_folder
from crm_desk.errors import CrmDeskError, NotFoundError
from crm_desk.mail.fetch_pool import (
    PARALLEL_MIN_MESSAGES,
    FetchedMail,
    FetchPool,
    FolderSource,
    PendingBatch,
    fetch_raw,
)
from crm_desk.mail.imap import (
    Credentials,
    IdleWatcher,
    MailServerError,
    connect,
    describe,
    imap_errors,
)
from crm_desk.mail.imap import close as close_client
from crm_desk.mail.limits import MIB
from crm_desk.mail.parse import DEFAULT_LIMITS, ParseLimits
from crm_desk.mail.sync_state import (
    AfterImport,
    FolderConfig,
    MailboxInactiveError,
    UidValidityChangedError,
    adopt_state,
    finish_folder,
    have_bytes,
    keyed_uids,
    keys_present,
    load_config,
    record_error,
    reset_folder,
    state_row,
    uidvalidity_message,
)
from crm_desk.store.db import Database

__all__ = [
    "Credentials",
    "FolderReport",
    "MailServerError",
    "MailboxSync",
    "SyncProgress",
    "SyncReport",
    "reset_folder",
    "uidvalidity_message",
]

log = logging.getLogger(__name__)

# A batch is also cut by size, so that a run of huge messages cannot exhaust memory.
DEFAULT_MAX_BATCH_BYTES = 64 * MIB
BACKOFF_FIRST_S = 1.0
BACKOFF_CAP_S = 60.0


# --- public results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncProgress:
    mailbox: str
    folder: str
    done: int
    total: int
    stage: str  # checking | fetching | done


@dataclass
class FolderReport:
    folder: str
    fetched: int = 0
    imported: int = 0
    quarantined: int = 0
    skipped: int = 0  # already in the database (by IMAP key, or by bytes after a reset)
    error: str | None = None


@dataclass
class SyncReport:
    mailbox: str
    folders: list[FolderReport] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(f.imported for f in self.folders)

    @property
    def errors(self) -> list[str]:
        return [f.error for f in self.folders if f.error]


# --- fetched mail ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _FolderPass:
    """What every batch of one folder's pass needs."""

    client: IMAPClient
    config: FolderConfig
    key: ImapKey  # mailbox, folder and UIDVALIDITY; the UID is filled in per message
    report: FolderReport
    last_uid: int  # the highest UID this pass found (0: none)


@dataclass
class _BatchResult:
    imported: int = 0
    quarantined: int = 0
    skipped: int = 0
    keyed: list[int] = field(default_factory=list)  # UIDs whose IMAP key is now in the DB


def _batches(uids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(uids), size):
        yield list(uids[start : start + size])


def _split_by_bytes(uids: list[int], sizes: dict[int, int], limit: int) -> Iterator[list[int]]:
    """Consecutive runs of ``uids`` of at most ``limit`` bytes (a bigger message goes alone)."""
    run: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if run and total + size > limit:
            yield run
            run, total = [], 0
        run.append(uid)
        total += size
    if run:
        yield run


class _Backoff:
    """Exponential backoff, capped, with jitter so that many desktops do not retry in step."""

    def __init__(self, first: float = BACKOFF_FIRST_S, cap: float = BACKOFF_CAP_S) -> None:
        self._first = first
        self._cap = cap
        self._attempt = 0

    def next(self) -> float:
        base: float = min(self._cap, self._first * 2.0**self._attempt)
        self._attempt = min(self._attempt + 1, 32)
        return base * random.uniform(0.5, 1.0)  # jitter, not security

    def reset(self) -> None:
        self._attempt = 0


# --- the engine ---------------------------------------------------------------------------------


class MailboxSync:
    """Fetch one mailbox's folders into the database. One instance per mailbox and thread."""

    def __init__(
        self,
        db: Database,
        mailbox_id: int,
        credentials: Callable[[], Credentials],
        *,
        batch_size: int = 200,
        progress: Callable[[SyncProgress], None] | None = None,
        parse_limits: ParseLimits = DEFAULT_LIMITS,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
        parallel: bool | None = None,
        on_error: Callable[[str], None] | None = None,
        on_pass: Callable[[SyncReport], None] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._db = db
        self._mailbox_id = mailbox_id
        self._credentials = credentials
        self._batch_size = batch_size
        self._progress_callback = progress
        self._limits = parse_limits
        self._max_batch_bytes = max_batch_bytes
        # None: child processes fetch and parse when a pass has many new messages;
        # True / False: always / never (tests pin it).
        self._parallel = parallel
        # Told every error ``run`` recovers from (one line), e.g. for a desktop's status bar.
        self._on_error = on_error
        # Told after every pass (a desktop shows "idle" from then on).
        self._on_pass = on_pass
        self.last_report: SyncReport | None = None

    # --- one pass ---

    def sync_once(self) -> SyncReport:
        """Connect, sync every configured folder once, disconnect."""
        config = load_config(self._db, self._mailbox_id)
        with self._connection(config) as client:
            return self._sync_pass(client, config, None)

    @contextmanager
    def _connection(self, config: FolderConfig) -> Iterator[IMAPClient]:
        client = connect(config.settings, self._credentials())
        try:
            yield client
        finally:
            close_client(client)

    def _sync_pass(
        self, client: IMAPClient, config: FolderConfig, stop: threading.Event | None
    ) -> SyncReport:
        report = SyncReport(config.name)
        with imap_errors(config.settings):
            for folder in config.folders:
                if stop is not None and stop.is_set():
                    break
                report.folders.append(self._sync_folder(client, config, folder, stop))
        self.last_report = report
        if self._on_pass is not None:
            self._on_pass(report)
        return report

    def _sync_folder(
        self, client: IMAPClient, config: FolderConfig, folder: str, stop: threading.Event | None
    ) -> FolderReport:
        report = FolderReport(folder)
        try:
            self._sync_folder_checked(client, config, folder, stop, report)
        except imaplib.IMAP4.abort:
            raise  # the connection is gone: not this folder's problem
        except (imaplib.IMAP4.error, UidValidityChangedError) as exc:
            # A NO/BAD answer (no such folder, no permission …) concerns this folder only.
            message = str(exc) if isinstance(exc, CrmDeskError) else f"{folder}: {describe(exc)}"
            report.error = message
            log.warning("mailbox %s: %s", config.name, message)
            if self._on_error is not None:
                self._on_error(message)
            record_error(self._db, config.mailbox_id, folder, message)
        return report

    def _sync_folder_checked(
        self,
        client: IMAPClient,
        config: FolderConfig,
        folder: str,
        stop: threading.Event | None,
        report: FolderReport,
    ) -> None:
        self._progress(config, folder, 0, 0, "checking")
        # STATUS does not select, so a recreated folder is left exactly as it is.
        found = int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])
        state = adopt_state(self._db, config.mailbox_id, folder, found)
        self._check_uidvalidity(config, folder, state.uidvalidity, found)
        selected = client.select_folder(folder, readonly=not config.after_import.active)
        self._check_uidvalidity(config, folder, found, int(selected[b"UIDVALIDITY"]))
        if config.after_import.active and state.highest_uid:
            self._repair_after_import(client, config, folder, found, state.highest_uid)
        uids = self._new_uids(client, state.highest_uid)
        key = ImapKey(config.mailbox_id, folder, found, 0)
        folder_pass = _FolderPass(client, config, key, report, uids[-1] if uids else 0)
        done = 0
        # Batches are fetched and parsed ahead (in child processes, for a long pass) while
        # the one before is stored; they are still stored one at a time, in UID order.
        with self._fetch_pool(client, config, folder, found, len(uids)) as pool:
            in_flight: deque[PendingBatch] = deque()
            for part in self._parts(client, uids):
                if stop is not None and stop.is_set():
                    return  # fetched but unstored batches are simply fetched again next time
                in_flight.append(pool.submit(part))
                if len(in_flight) > pool.ahead:
                    done += self._import_batch(folder_pass, in_flight.popleft())
                    self._progress(config, folder, done, len(uids), "fetching")
            while in_flight:
                if stop is not None and stop.is_set():
                    return
                done += self._import_batch(folder_pass, in_flight.popleft())
                self._progress(config, folder, done, len(uids), "fetching")
        finish_folder(self._db, config.mailbox_id, folder, found, refetch_done=state.dedupe_by_hash)
        self._progress(config, folder, len(uids), len(uids), "done")

    def _check_uidvalidity(
        self, config: FolderConfig, folder: str, stored: int | None, found: int
    ) -> None:
        if stored is not None and stored != found:
            raise UidValidityChangedError(uidvalidity_message(config.name, folder, stored, found))

    @staticmethod
    def _new_uids(client: IMAPClient, highest: int) -> list[int]:
        found = client.search(["UID", f"{highest + 1}:*"])
        # "N:*" always matches the folder's last message, even when its UID is below N.
        return sorted(uid for uid in found if uid > highest)

    def _sizes(self, client: IMAPClient, uids: list[int]) -> dict[int, int]:
        """Sizes to batch ``uids`` by: exact for big messages, an upper bound for the rest.

        Below ``max_batch_bytes / batch_size`` a message's exact size cannot matter (a full
        batch of such messages fits the limit), so the server is asked only which messages
        are bigger: one SEARCH answer instead of a FETCH line per message, whose parsing
        cost as much as storing a tenth of the message.
        """
        small = max(1, self._max_batch_bytes // self._batch_size)
        wanted = set(uids)
        criteria = ["UID", f"{min(uids)}:{max(uids)}", "LARGER", str(small)]
        big = [uid for uid in client.search(criteria) if uid in wanted]
        sizes = dict.fromkeys(uids, small)
        if big:
            response = client.fetch(big, [b"RFC822.SIZE"])
            sizes.update((uid, int(data.get(b"RFC822.SIZE", 0))) for uid, data in response.items())
        return sizes

    # --- one batch ---

    def _parts(self, client: IMAPClient, uids: list[int]) -> Iterator[list[int]]:
        """``uids`` in fetch batches: at most ``batch_size`` messages and about
        ``max_batch_bytes`` each (a bigger message goes alone)."""
        for batch in _batches(uids, self._batch_size):
            sizes = self._sizes(client, batch)
            yield from _split_by_bytes(batch, sizes, self._max_batch_bytes)

    def _fetch_pool(
        self, client: IMAPClient, config: FolderConfig, folder: str, uidvalidity: int, new: int
    ) -> FetchPool:
        parallel = self._parallel if self._parallel is not None else new >= PARALLEL_MIN_MESSAGES
        source = None
        if parallel:
            source = FolderSource(config.settings, self._credentials(), folder, uidvalidity)
        return FetchPool(self._limits, lambda uids: fetch_raw(client, uids), source)

    def _import_batch(self, folder_pass: _FolderPass, pending: PendingBatch) -> int:
        """Store one fetched batch; the number of UIDs it covered."""
        uids = pending.uids
        fetched = pending.result()
        report = folder_pass.report
        report.fetched += len(fetched)
        last = max(uids)
        result = self._write(
            folder_pass.key, fetched, last, refetch_ends=last >= folder_pass.last_uid
        )
        del fetched, pending  # the batch's bytes are in the database; keep memory flat
        report.imported += result.imported
        report.quarantined += result.quarantined
        report.skipped += result.skipped
        # Only now, with the batch committed, may the server be told.
        self._after_import(folder_pass.client, folder_pass.config.after_import, result.keyed)
        return len(uids)

    def _write(
        self, key: ImapKey, fetched: list[FetchedMail], batch_max_uid: int, *, refetch_ends: bool
    ) -> _BatchResult:
        try:
            return self._write_once(key, fetched, batch_max_uid, refetch_ends)
        except IntegrityError:
            # Another writer slipped a row in past the lock (it should not): the transaction
            # rolled back, and a second attempt sees that row and skips it.
            log.warning("duplicate while importing %s; retrying the batch", key.folder)
            return self._write_once(key, fetched, batch_max_uid, refetch_ends)

    def _write_once(
        self, base: ImapKey, fetched: list[FetchedMail], batch_max_uid: int, refetch_ends: bool
    ) -> _BatchResult:
        result = _BatchResult()
        with self._db.write() as session:
            lock_folder(session, base.mailbox_id, base.folder)
            state = state_row(session, base.mailbox_id, base.folder)
            if state is None or state.uidvalidity != base.uidvalidity:
                raise UidValidityChangedError(
                    f"the sync state of {base.folder} was reset while it was being synced; "
                    "it will be fetched again on the next pass"
                )
            # Under the folder lock, so a concurrent writer's rows for this batch are visible.
            present = keys_present(session, base, [item.uid for item in fetched])
            items: list[InboundItem] = []
            for item in fetched:
                if item.uid in present or (
                    state.dedupe_by_hash and have_bytes(session, base.mailbox_id, item.sha256)
                ):
                    # Present, or imported before the folder was recreated: not new mail.
                    result.skipped += 1
                    if item.uid in present:
                        result.keyed.append(item.uid)
                    continue
                key = ImapKey(base.mailbox_id, base.folder, base.uidvalidity, item.uid)
                items.append(
                    InboundItem(
                        key,
                        item.raw,
                        item.parsed,
                        item.received_at,
                        mailbox_id=base.mailbox_id,
                        failure=item.failure,
                        text_terms=item.text_terms,
                    )
                )
            # Every key of ``present`` was left out of ``items`` above: none is known yet.
            outcomes = ingest_batch(session, items, known=set())
            for outcome, queued in zip(outcomes, items, strict=True):
                if outcome.quarantined:
                    result.quarantined += 1
                elif outcome.duplicate:
                    result.skipped += 1
                else:
                    result.imported += 1
                assert queued.key is not None
                result.keyed.append(queued.key.uid)
            state.highest_uid = max(state.highest_uid, batch_max_uid)
            state.last_sync_at = datetime.now(UTC)
            state.last_error = None
            if refetch_ends:
                state.dedupe_by_hash = False
        return result

    # --- after import ---

    def _after_import(self, client: IMAPClient, action: AfterImport, uids: list[int]) -> None:
        if not uids or not action.active:
            return
        if action.kind == "seen":
            client.add_flags(uids, [SEEN], silent=True)
        else:
            assert action.target is not None
            self._move(client, uids, action.target)

    @staticmethod
    def _move(client: IMAPClient, uids: list[int], target: str) -> None:
        try:
            _move_once(client, uids, target)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            if "TRYCREATE" not in describe(exc).upper():
                raise
            client.create_folder(target)
            _move_once(client, uids, target)

    def _repair_after_import(
        self, client: IMAPClient, config: FolderConfig, folder: str, uidvalidity: int, highest: int
    ) -> None:
        """Finish an after-import action that a crash interrupted (between commit and action)."""
        criteria: list[str] = ["UID", f"1:{highest}"]
        if config.after_import.kind == "seen":
            criteria.append("UNSEEN")
        candidates = sorted(uid for uid in client.search(criteria) if uid <= highest)
        if not candidates:
            return
        known = keyed_uids(self._db, ImapKey(config.mailbox_id, folder, uidvalidity, 0), candidates)
        if known:
            log.info("mailbox %s: completing after-import for %d messages", config.name, len(known))
            self._after_import(client, config.after_import, known)

    def _progress(
        self, config: FolderConfig, folder: str, done: int, total: int, stage: str
    ) -> None:
        if self._progress_callback is not None:
            self._progress_callback(SyncProgress(config.name, folder, done, total, stage))

    # --- forever ---

    def run(
        self, stop: threading.Event, *, idle_timeout: float = 300, poll_interval: float = 60
    ) -> None:
        """Sync, wait for new mail, sync again … until ``stop`` is set.

        Errors (the server, the network, the database) are logged and followed by a reconnect
        after a capped, jittered exponential backoff. Returns when the mailbox is deactivated or
        removed.
        """
        backoff = _Backoff()
        while not stop.is_set():
            try:
                self._run_connected(stop, backoff, idle_timeout, poll_interval)
            except (MailboxInactiveError, NotFoundError) as exc:
                log.info("stopping sync: %s", exc)
                return
            except (CrmDeskError, DBAPIError, imaplib.IMAP4.error) as exc:
                # imaplib errors here are NO/BAD answers outside any folder (NOOP, IDLE …).
                delay = backoff.next()
                text = _one_line(exc)
                log.warning("mailbox %s: %s; retrying in %.1f s", self._mailbox_id, text, delay)
                if self._on_error is not None:
                    self._on_error(text)
                stop.wait(delay)

    def _run_connected(
        self, stop: threading.Event, backoff: _Backoff, idle_timeout: float, poll_interval: float
    ) -> None:
        config = load_config(self._db, self._mailbox_id)
        with self._connection(config) as client, self._watcher(config) as watcher:
            while not stop.is_set():
                report = self._sync_pass(client, config, stop)
                backoff.reset()
                if report.imported or report.errors:
                    log.info("mailbox %s: %s", config.name, _summary(report))
                if stop.is_set():
                    return
                self._wait(stop, watcher, config, idle_timeout, poll_interval)
                fresh = load_config(self._db, self._mailbox_id)
                if fresh.settings != config.settings:
                    return  # reconnect with the new server settings
                config = fresh

    @contextmanager
    def _watcher(self, config: FolderConfig) -> Iterator[IdleWatcher | None]:
        """An IDLE connection on the first folder, opened before the first pass so that mail
        arriving during that pass is reported; None when the server has no IDLE."""
        client = connect(config.settings, self._credentials())
        if not client.has_capability("IDLE"):
            close_client(client)
            yield None
            return
        try:
            watcher = IdleWatcher(client, config.settings, config.folders[0])
        except imaplib.IMAP4.error as exc:
            if isinstance(exc, imaplib.IMAP4.abort):
                close_client(client)
                raise
            # The folder cannot be watched (its pass reports why): poll instead.
            log.warning("mailbox %s: cannot watch %s: %s", config.name, config.folders[0], exc)
            close_client(client)
            yield None
            return
        except BaseException:
            close_client(client)
            raise
        try:
            yield watcher
        finally:
            watcher.close()

    @staticmethod
    def _wait(
        stop: threading.Event,
        watcher: IdleWatcher | None,
        config: FolderConfig,
        idle_timeout: float,
        poll_interval: float,
    ) -> None:
        if watcher is None:
            stop.wait(poll_interval)
            return
        # IDLE only watches one folder: the others are polled.
        timeout = idle_timeout if len(config.folders) == 1 else min(idle_timeout, poll_interval)
        watcher.wait(stop, timeout)


def _move_once(client: IMAPClient, uids: list[int], target: str) -> None:
    if client.has_capability("MOVE"):
        client.move(uids, target)
        return
    client.copy(uids, target)
    client.add_flags(uids, [DELETED], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    else:
        # A plain EXPUNGE would also remove messages someone else marked \Deleted.
        log.warning("the server has no UIDPLUS: moved messages stay behind marked \\Deleted")


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, CrmDeskError):
        return str(exc)  # written to be shown as it is
    if isinstance(exc, DBAPIError):
        return f"database error: {describe(exc.orig or exc)}"
    return describe(exc)


def _summary(report: SyncReport) -> str:
    parts = []
    for folder in report.folders:
        if folder.error:
            parts.append(f"{folder.folder}: {folder.error}")
        elif folder.fetched:
            parts.append(
                f"{folder.folder}: {folder.imported} imported, {folder.quarantined} quarantined, "
                f"{folder.skipped} skipped"
            )
    return "; ".join(parts) or "nothing new"
