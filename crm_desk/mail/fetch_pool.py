"""Fetching and parsing mail a batch at a time, in child processes, while the caller stores.

Why processes: a sync spends its time fetching (imaplib and imapclient parse responses in
Python), parsing mail and storing it, all CPU-bound Python; threads would only take turns
holding the GIL. With two child processes each fetching a batch on its own IMAP connection and
parsing it, the parent only stores, and a two-core machine stays busy.

Why not always: a child costs a Python interpreter, the parser's imports and an IMAP login
(about half a second), so a pass with a few new messages (the usual case once a mailbox is in
sync: IDLE reports one or two) fetches and parses in the caller; only a pass with many new
messages starts children, and only for that pass.

Exactly-once is untouched: children only read (``EXAMINE`` and ``BODY.PEEK``), the parent
stores batches strictly in UID order and does every server-side action itself, after its
commit. A child that fails (a dropped connection, a crash, killed) only makes the parent fetch
and parse that batch itself, and children end soon after their sync process does, however it
ended.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from imapclient import IMAPClient

from crm_desk.core.tokens import index_text
from crm_desk.mail.imap import Credentials, ImapSettings, close, connect
from crm_desk.mail.parse import ParsedMessage, ParseFailure, ParseLimits, parse_message

log = logging.getLogger(__name__)

# From this many new messages in one folder pass on, children fetch and parse.
PARALLEL_MIN_MESSAGES = 400
# Two children: while the parent stores batch N, batches N+1 and N+2 are fetched and parsed.
CHILD_PROCESSES = 2
WATCH_INTERVAL_S = 0.5  # how soon a child notices that its sync process is gone
FETCH_ITEMS = [b"BODY.PEEK[]", b"INTERNALDATE", b"FLAGS", b"RFC822.SIZE"]


@dataclass(frozen=True, slots=True)
class RawMail:
    """One message as the server sent it."""

    uid: int
    raw: bytes
    received_at: datetime


@dataclass(slots=True)
class FetchedMail:
    """One message ready to be stored: parsed, or with the reason it goes to quarantine."""

    uid: int
    raw: bytes
    received_at: datetime
    parsed: ParsedMessage | None
    failure: str | None
    text_terms: str | None = None  # the body's search terms, computed beside the parse

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


@dataclass(frozen=True)
class FolderSource:
    """Where children fetch from: everything needed to log in and open the folder."""

    settings: ImapSettings
    credentials: Credentials
    folder: str
    uidvalidity: int


# --- fetching and parsing, wherever it runs --------------------------------------------------


def received_at(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC)  # a server that sends no INTERNALDATE: the time we saw it


def fetch_raw(client: IMAPClient, uids: list[int]) -> list[RawMail]:
    """``uids`` with their bytes and arrival times, in UID order (expunged ones left out)."""
    response = client.fetch(uids, FETCH_ITEMS)
    fetched = []
    for uid in sorted(response):
        data = response.pop(uid)
        raw = data.get(b"BODY[]")
        if raw is None:
            continue  # expunged meanwhile, or a FETCH echo without the body
        fetched.append(RawMail(uid, bytes(raw), received_at(data.get(b"INTERNALDATE"))))
    return fetched


def parse_fetched(item: RawMail, limits: ParseLimits) -> FetchedMail:
    """Parse one message; never raises (a parser bug quarantines the mail, the batch goes on)."""
    try:
        parsed = parse_message(item.raw, limits)
    except ParseFailure as exc:
        return FetchedMail(item.uid, item.raw, item.received_at, None, exc.reason)
    except Exception as exc:
        log.exception("parsing UID %s failed unexpectedly", item.uid)
        detail = " ".join(str(exc).split()) or type(exc).__name__
        return FetchedMail(
            item.uid, item.raw, item.received_at, None, f"cannot be parsed: {detail}"
        )
    terms = index_text(parsed.text)
    return FetchedMail(item.uid, item.raw, item.received_at, parsed, None, terms)


# --- in a child process ----------------------------------------------------------------------


class _Child:
    """A child's state: its own connection, opened on first use."""

    source: FolderSource
    limits: ParseLimits
    client: IMAPClient | None = None


def _child_started(source: FolderSource, limits: ParseLimits, sync_pid: int) -> None:
    # Ctrl+C in a terminal reaches the whole process group; the sync decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_end_with_the_sync, args=(sync_pid,), name="watch-sync", daemon=True
    ).start()
    _Child.source, _Child.limits = source, limits


def _end_with_the_sync(sync_pid: int) -> None:
    """End this child soon after the sync process is gone, however it ended (SIGKILL too).

    Nothing else would: the child's parent is the fork server, and the pipes a dead sync
    leaves behind are also held open by the children themselves, so no end of file arrives.
    """
    while _alive(sync_pid):
        time.sleep(WATCH_INTERVAL_S)
    os._exit(0)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs; a killed process its parent has not reaped yet (a zombie) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _child_client() -> IMAPClient:
    if _Child.client is None:
        source = _Child.source
        client = connect(source.settings, source.credentials)
        try:
            found = int(client.select_folder(source.folder, readonly=True)[b"UIDVALIDITY"])
        except BaseException:
            close(client)
            raise
        if found != source.uidvalidity:
            close(client)
            raise RuntimeError(f"{source.folder} changed UIDVALIDITY during the pass")
        _Child.client = client
    return _Child.client


def _fetch_and_parse(uids: list[int]) -> list[FetchedMail]:
    try:
        fetched = fetch_raw(_child_client(), uids)
    except BaseException:
        if _Child.client is not None:
            close(_Child.client)  # the next batch starts on a fresh connection
            _Child.client = None
        raise
    return [parse_fetched(item, _Child.limits) for item in fetched]


# --- in the parent ---------------------------------------------------------------------------


def _child_context() -> multiprocessing.context.BaseContext:
    """How children start: from a fork server that has imported only this module.

    Never a plain fork: the sync may run beside threads (IDLE, the desktop's Qt), and forking
    a threaded process can copy a held lock into the child. "spawn" would be safe but starts
    each child by importing the program's main module again (the whole CLI or app, the
    database layer included): slower, and tens of MB more per child. The fork server is one
    small single-threaded process; children fork from it already prepared.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # not on this platform (Windows)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


class PendingBatch:
    """A batch being fetched and parsed; ``result()`` waits for it."""

    def __init__(
        self, uids: list[int], future: Future[list[FetchedMail]] | None, pool: FetchPool
    ) -> None:
        self.uids = uids
        self._future = future
        self._pool = pool

    def result(self) -> list[FetchedMail]:
        return self._pool.collect(self.uids, self._future)


class FetchPool:
    """Fetches and parses batches in children (``source`` given) or in the caller.

    ``fetch_here`` fetches with the caller's own connection: used without children, and for a
    batch whose child failed. Use as a context manager: leaving it ends the children.
    """

    def __init__(
        self,
        limits: ParseLimits,
        fetch_here: Callable[[list[int]], list[RawMail]],
        source: FolderSource | None = None,
    ) -> None:
        self._limits = limits
        self._fetch_here = fetch_here
        self._executor: ProcessPoolExecutor | None = None
        if source is not None:
            self._executor = ProcessPoolExecutor(
                max_workers=CHILD_PROCESSES,
                mp_context=_child_context(),
                initializer=_child_started,
                initargs=(source, limits, os.getpid()),
            )

    @property
    def ahead(self) -> int:
        """How many batches to keep in flight beyond the one being stored."""
        return CHILD_PROCESSES if self._executor is not None else 1

    def submit(self, uids: list[int]) -> PendingBatch:
        future = None
        if self._executor is not None:
            try:
                future = self._executor.submit(_fetch_and_parse, uids)
            except RuntimeError as exc:  # a broken pool, or one shut down
                self._give_up_children(exc)
        return PendingBatch(uids, future, self)

    def collect(
        self, uids: list[int], future: Future[list[FetchedMail]] | None
    ) -> list[FetchedMail]:
        if future is not None:
            try:
                return future.result()
            except Exception as exc:  # the child's connection or the child itself failed
                self._give_up_children(exc)
        return [parse_fetched(item, self._limits) for item in self._fetch_here(uids)]

    def _give_up_children(self, exc: BaseException) -> None:
        if self._executor is not None:
            log.warning("background fetching failed (%s); fetching in this process instead", exc)
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> FetchPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
