"""Fetching and parsing mail a batch at a time, in child processes, while the caller stores.

Why processes: a sync spends its time fetching (imaplib and imapclient parse responses in
Python), parsing mail and storing it, all CPU-bound Python; threads would only take turns
holding the GIL. With two child processes each fetching a batch on its own IMAP connection and
parsing it, the parent only stores, and a two-core machine stays busy.

Why not always: a child costs a Python interpreter, the parser's imports and an IMAP login
(about a quarter of a second), so a pass with a few new messages (the usual case once a mailbox
is in sync: IDLE reports one or two) fetches and parses in the caller; only a pass with many
new messages starts children, and only for that pass.

Why plain subprocesses (``python -c`` importing this module) and not ``multiprocessing``: its
"spawn" and "forkserver" children import the parent's main module again before they run
anything (the whole CLI with the database layer, or the desktop app with Qt), about half a
second and tens of MB each; "fork" is unsafe beside the threads a sync runs with. A child
here imports only the parser, and talks to its parent through two pipes, one pickle per
request and per answer.

Exactly-once is untouched: children only read (``EXAMINE`` and ``BODY.PEEK``), the parent
stores batches strictly in UID order and does every server-side action itself, after its
commit. A child that fails (a dropped connection, a crash, killed) only makes the parent fetch
and parse that batch itself. A child ends when its parent closes the request pipe, and so also
when the parent dies, however it died: the kernel closes the pipe then.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any

from imapclient import IMAPClient

from crm_desk.core.tokens import index_text
from crm_desk.mail.imap import Credentials, ImapSettings, close, connect
from crm_desk.mail.parse import ParsedMessage, ParseFailure, ParseLimits, parse_message

log = logging.getLogger(__name__)

# From this many new messages in one folder pass on, children fetch and parse.
PARALLEL_MIN_MESSAGES = 400
# Two children: while the parent stores batch N, batches N+1 and N+2 are fetched and parsed.
CHILD_PROCESSES = 2
# Children take a moment to start (an interpreter, the parser's imports, a login: about 0.3 s);
# meanwhile the caller fetches and parses this many first batches itself.
BATCHES_BEFORE_CHILDREN = 2
CHILD_EXIT_WAIT_S = 5.0  # a child asked to end that has not ended by then is killed
FETCH_ITEMS = [b"BODY.PEEK[]", b"INTERNALDATE", b"FLAGS"]


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


# --- in a child process ---------------------------------------------------------------------

# How a child is started: ``sys.executable`` runs this, importing only what fetching needs.
CHILD_COMMAND = "from crm_desk.mail.fetch_pool import serve_parent; serve_parent()"


def serve_parent() -> None:
    """A child's life: the folder to read first, then one batch of UIDs after another.

    Answers are ``("ok", [FetchedMail, ...])`` or ``("error", reason)``; an error drops the
    connection, and the next batch starts on a fresh one. Ends at the end of the requests.
    """
    # Ctrl+C in a terminal reaches the whole process group; the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = sys.stdin.buffer
    # Answers get a descriptor of their own; anything else printed lands on stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    source: FolderSource
    limits: ParseLimits
    try:
        source, limits = pickle.load(requests)
    except EOFError:
        return  # the parent gave up before it said what to fetch
    client: IMAPClient | None = None
    while True:
        try:
            uids: list[int] = pickle.load(requests)
        except EOFError:
            break  # the parent is done, or gone
        try:
            if client is None:
                client = _open_folder(source)
            answer: tuple[str, Any] = (
                "ok",
                [parse_fetched(m, limits) for m in fetch_raw(client, uids)],
            )
        except Exception as exc:
            answer = ("error", f"{type(exc).__name__}: {exc}")
            if client is not None:
                close(client)
                client = None
        try:
            pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
            answers.flush()
        except BrokenPipeError:
            break
    if client is not None:
        close(client)


def _open_folder(source: FolderSource) -> IMAPClient:
    client = connect(source.settings, source.credentials)
    try:
        found = int(client.select_folder(source.folder, readonly=True)[b"UIDVALIDITY"])
    except BaseException:
        close(client)
        raise
    if found != source.uidvalidity:
        close(client)
        raise RuntimeError(f"{source.folder} changed UIDVALIDITY during the pass")
    return client


# --- in the parent ---------------------------------------------------------------------------


class ChildFailed(Exception):  # noqa: N818 - a child's state, not the program's error
    """A child could not fetch a batch (its reason), or died."""


class _Child:
    """One fetching child process, answering its requests in the order they were sent."""

    def __init__(self, source: FolderSource, limits: ParseLimits) -> None:
        # The parent's import path, as multiprocessing would hand it over: the child finds
        # this package (and nothing else) wherever the parent found it.
        command = f"import sys; sys.path[:] = {sys.path!r}; {CHILD_COMMAND}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        # The credentials travel through the pipe, never on the command line or in the
        # environment, where other local users could read them.
        self._send((source, limits))

    @property
    def requests(self) -> IO[bytes]:
        assert self.process.stdin is not None
        return self.process.stdin

    def _send(self, request: object) -> None:
        try:
            pickle.dump(request, self.requests, protocol=pickle.HIGHEST_PROTOCOL)
            self.requests.flush()
        except OSError as exc:  # the child is gone (a broken pipe)
            raise ChildFailed(f"the fetching process ended ({exc})") from exc

    def request(self, uids: list[int]) -> None:
        self._send(uids)

    def answer(self) -> list[FetchedMail]:
        assert self.process.stdout is not None
        try:
            kind, value = pickle.load(self.process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            code = self.process.poll()
            raise ChildFailed(f"the fetching process ended (exit status {code})") from exc
        if kind != "ok":
            raise ChildFailed(str(value))
        result: list[FetchedMail] = value
        return result

    def end(self) -> None:
        """End the child and reap it.

        Closing both pipes ends it at once when it waits for a request, and soon when it is
        fetching a batch: its answer then meets a closed pipe. Only a child that does neither
        in time (a server that stopped answering) is killed.
        """
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a broken pipe: the child is gone already
                    pipe.close()
        try:
            self.process.wait(CHILD_EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class PendingBatch:
    """A batch being fetched and parsed; ``result()`` waits for it."""

    def __init__(self, uids: list[int], child: _Child | None, pool: FetchPool) -> None:
        self.uids = uids
        self._child = child
        self._pool = pool

    def result(self) -> list[FetchedMail]:
        return self._pool.collect(self.uids, self._child)


class FetchPool:
    """Fetches and parses batches in children (``source`` given) or in the caller.

    ``fetch_here`` fetches with the caller's own connection: used without children, and for a
    batch whose child failed. Batches must be collected in the order they were submitted.
    Use as a context manager: leaving it ends the children.
    """

    def __init__(
        self,
        limits: ParseLimits,
        fetch_here: Callable[[list[int]], list[RawMail]],
        source: FolderSource | None = None,
    ) -> None:
        self._limits = limits
        self._fetch_here = fetch_here
        self._children: list[_Child] = []
        self._submitted = 0
        self._kept = 0  # of the first batches, how many the caller fetches itself
        if source is not None:
            try:
                for _ in range(CHILD_PROCESSES):
                    self._children.append(_Child(source, limits))
            except (OSError, ChildFailed) as exc:
                self._give_up_children(exc)

    @property
    def ahead(self) -> int:
        """How many batches to keep in flight beyond the one being stored."""
        return CHILD_PROCESSES if self._children else 1

    def submit(self, uids: list[int]) -> PendingBatch:
        child = None
        if self._children and self._kept < BATCHES_BEFORE_CHILDREN:
            self._kept += 1  # collected (fetched here) while the children start
        elif self._children:
            # Round robin: every child answers in order, so the parent reads them in order.
            child = self._children[self._submitted % len(self._children)]
            self._submitted += 1
            try:
                child.request(uids)
            except ChildFailed as exc:
                self._give_up_children(exc)
                child = None
        return PendingBatch(uids, child, self)

    def collect(self, uids: list[int], child: _Child | None) -> list[FetchedMail]:
        if child is not None and child in self._children:
            try:
                return child.answer()
            except ChildFailed as exc:  # the child's connection or the child itself failed
                self._give_up_children(exc)
        return [parse_fetched(item, self._limits) for item in self._fetch_here(uids)]

    def _give_up_children(self, exc: BaseException) -> None:
        log.warning("background fetching failed (%s); fetching in this process instead", exc)
        self.close()

    def close(self) -> None:
        children, self._children = self._children, []
        for child in children:
            child.end()

    def __enter__(self) -> FetchPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
