"""A real, private Dovecot IMAP server for tests and benchmarks, plus test mail to put in it.

``running_dovecot()`` writes its own ``dovecot.conf`` (own base/state dirs and log, loopback
only, a free port, IMAP only, no TLS, plain passwords from a passwd-file, Maildir storage),
starts ``dovecot -F -c CONF`` in its own process group, waits until the port answers with a
greeting and stops the whole group afterwards.

Dovecot refuses to access mail as uid 0, so as root the mail belongs to an unprivileged system
user (``crmdesk-mail``, created on first use); as another user, everything runs as that user.
The server's files live in a fresh directory under the system temp dir rather than pytest's
``tmp_path``: Dovecot's unprivileged processes must be able to reach them (pytest's temp root is
``0700``) and its unix socket paths must stay short.

The pytest fixtures are at the bottom: ``dovecot_server`` (one server per test session and
xdist worker) and ``mail_account`` (a fresh user per test, so tests never see each other's
mail). Import both into a ``conftest.py`` to use them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import TypeVar

import pytest
from imapclient import IMAPClient

from crm_desk.core import mailboxes
from crm_desk.mail.sync import Credentials
from crm_desk.store.db import Database

MAIL_USER = "crmdesk-mail"  # the unprivileged owner of the mail when the tests run as root
DEFAULT_USER = "support@example.com"
DEFAULT_PASSWORD = "correct horse battery staple"
T = TypeVar("T")
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0


class DovecotUnavailableError(RuntimeError):
    pass


def _dovecot_binary() -> str:
    found = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if found is None:
        raise DovecotUnavailableError(
            "dovecot not found: install the Debian package dovecot-imapd "
            "(apt-get install dovecot-imapd; `packaging/system-deps.sh test` does it)"
        )
    return found


def _doveadm_binary() -> str:
    found = shutil.which("doveadm") or (
        "/usr/bin/doveadm" if Path("/usr/bin/doveadm").exists() else None
    )
    if found is None:
        raise DovecotUnavailableError("doveadm not found: install dovecot-core")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class _Identity:
    """Who owns the mail, and which users Dovecot's own services run as."""

    mail_uid: int
    mail_gid: int
    internal_user: str
    login_user: str


def _ensure_mail_user() -> pwd.struct_passwd:
    """The unprivileged system user that owns test mail (created once, race-free across xdist)."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(MAIL_USER)
    lock_path = Path(tempfile.gettempdir()) / "crm-desk-mail-user.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(MAIL_USER)
        created = subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home",
             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", MAIL_USER],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if created.returncode not in (0, 9):  # 9: the user exists already
            raise DovecotUnavailableError(f"cannot create {MAIL_USER}: {created.stderr.strip()}")
    return pwd.getpwnam(MAIL_USER)


def _identity() -> _Identity:
    if os.geteuid() == 0:
        for name in ("dovecot", "dovenull"):
            try:
                pwd.getpwnam(name)
            except KeyError as exc:
                raise DovecotUnavailableError(
                    f"there is no {name} user: install dovecot-imapd (its package creates it)"
                ) from exc
        entry = _ensure_mail_user()
        return _Identity(entry.pw_uid, entry.pw_gid, "dovecot", "dovenull")
    me = pwd.getpwuid(os.geteuid()).pw_name
    return _Identity(os.geteuid(), os.getegid(), me, me)


def oauth_token(password: str) -> str:
    """The test server's OAuth2 access token for a user: derived from the password, unlike it."""
    return "ya29.test-" + password[::-1]


def _config(root: Path, port: int, ident: _Identity) -> str:
    # Login processes chroot by default, which only root can do.
    chroot = "" if os.geteuid() == 0 else "  chroot =\n"
    return f"""\
# Written by tests/support/dovecot.py for one throwaway server.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
# Tests log in with wrong passwords on purpose: no 2 s failure delay, and (in service anvil
# below) no per-IP penalty that would slow every later login from 127.0.0.1.
auth_failure_delay = 0
default_internal_user = {ident.internal_user}
default_login_user = {ident.login_user}
first_valid_uid = {min(ident.mail_uid, 500)}
first_valid_gid = {min(ident.mail_gid, 500)}
mail_location = maildir:{root}/mail/%u/Maildir
mailbox_list_index = yes
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
  mechanisms = plain login
}}
# OAuth2 logins (XOAUTH2, OAUTHBEARER): the access token is checked like a password, against
# its own file, so a token never works as a password nor a password as a token.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/tokens
  mechanisms = xoauth2 oauthbearer
}}
# allow_all_users: doveadm's user lookups need no passdb (both passdbs only answer logins
# with their own mechanisms).
userdb {{
  driver = static
  args = uid={ident.mail_uid} gid={ident.mail_gid} home={root}/mail/%u allow_all_users=yes
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
{chroot}}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
{chroot}}}
"""


@dataclass
class DovecotServer:
    root: Path
    port: int
    host: str = "127.0.0.1"
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _users: dict[str, str] = field(default_factory=dict, repr=False)
    _spare: list[str] = field(default_factory=list, repr=False)

    @property
    def config_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user / "Maildir"

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._process = subprocess.Popen(
            [_dovecot_binary(), "-F", "-c", str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "dovecot.stderr").open("ab"),
            start_new_session=True,  # its own process group, so stop() reaches every child
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise DovecotUnavailableError(
                    f"dovecot exited with {self._process.returncode}:\n{self._log_tail()}"
                )
            if self._greets():
                return
            time.sleep(0.02)  # poll interval of a readiness check with a deadline
        self.stop()
        raise DovecotUnavailableError(f"dovecot did not answer on port {self.port}")

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        # The master stops its children on SIGTERM; the group kill below catches stragglers.
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # The master is gone; make sure no straggler keeps the port or the mail files.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def restart(self) -> None:
        """Stop and start again on the same port: every client connection is dropped."""
        self.stop()
        self.start()

    def _log_tail(self) -> str:
        parts = []
        for path in (self.log_path, self.root / "dovecot.stderr"):
            if path.exists():
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    def doveadm(self, *args: str) -> str:
        result = subprocess.run(
            [_doveadm_binary(), "-c", str(self.config_path), *args],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            raise DovecotUnavailableError(
                f"doveadm {' '.join(args)} failed: {result.stderr.strip()}"
            )
        return result.stdout

    # --- users -------------------------------------------------------------------------------

    def add_user(self, user: str, password: str) -> None:
        """Add a login. Dovecot re-reads the passwd-file at most once a second, so a user added
        while the server runs may take that long to be accepted: prefer ``take_user()``."""
        if ":" in user or ":" in password or "\n" in user + password:
            raise ValueError("user names and passwords here cannot hold ':' or newlines")
        self._users[user] = password
        for name, secret in (("passwd", lambda p: p), ("tokens", oauth_token)):
            lines = "".join(f"{u}:{{PLAIN}}{secret(p)}::::::\n" for u, p in self._users.items())
            path = self.root / name
            temporary = path.with_suffix(".new")
            temporary.write_text(lines)
            temporary.chmod(0o644)
            temporary.replace(path)

    def take_user(self) -> tuple[str, str]:
        """A user no one has used yet (made when the server started): (name, password)."""
        if not self._spare:
            raise DovecotUnavailableError("no spare users left: start the server with more")
        user = self._spare.pop()
        return user, self._users[user]

    def password(self, user: str) -> str:
        return self._users[user]

    def access_token(self, user: str) -> str:
        """The OAuth2 access token this server accepts for ``user`` (XOAUTH2 / OAUTHBEARER)."""
        return oauth_token(self._users[user])

    def kick(self, user: str) -> None:
        """Drop every IMAP connection of ``user`` (as a flaky network or a server restart would)."""
        self.doveadm("kick", user)

    def force_resync(self, user: str, folder: str = "INBOX") -> None:
        """Make Dovecot notice mail written straight into the Maildir."""
        self.doveadm("force-resync", "-u", user, folder)

    # --- IMAP helpers ------------------------------------------------------------------------

    @contextlib.contextmanager
    def client(self, user: str = DEFAULT_USER) -> Iterator[IMAPClient]:
        """A logged-in IMAPClient for ``user``; logged out afterwards."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=30)
        try:
            client.login(user, self._users[user])
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def append(
        self,
        user: str,
        folder: str,
        raw: bytes,
        flags: Sequence[str | bytes] = (),
        internal_date: datetime | None = None,
    ) -> int | None:
        """APPEND one message; returns its UID (Dovecot has UIDPLUS)."""
        with self.client(user) as client:
            return _append(client, folder, raw, flags, internal_date)

    def append_many(
        self, user: str, folder: str, raws: Sequence[bytes], flags: Sequence[str | bytes] = ()
    ) -> list[int | None]:
        """APPEND several messages over one connection, in order."""
        with self.client(user) as client:
            return [_append(client, folder, raw, flags, None) for raw in raws]

    def create_folder(self, user: str, folder: str) -> None:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)

    def delete_folder(self, user: str, folder: str) -> None:
        with self.client(user) as client:
            client.delete_folder(folder)

    def fetch_raw(self, user: str, folder: str) -> dict[int, bytes]:
        """Every message of a folder by UID, read with BODY.PEEK[] (flags untouched)."""
        with self.client(user) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            found: dict[int, bytes] = {}
            for start in range(0, len(uids), 500):
                response = client.fetch(uids[start : start + 500], [b"BODY.PEEK[]"])
                found.update({uid: data[b"BODY[]"] for uid, data in response.items()})
            return found

    def flags(self, user: str, folder: str) -> dict[int, tuple[bytes, ...]]:
        with self.client(user) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            if not uids:
                return {}
            return {uid: tuple(flags) for uid, flags in client.get_flags(uids).items()}

    def uidvalidity(self, user: str, folder: str) -> int:
        with self.client(user) as client:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])


def _append(
    client: IMAPClient,
    folder: str,
    raw: bytes,
    flags: Sequence[str | bytes],
    internal_date: datetime | None,
) -> int | None:
    response = client.append(folder, raw, flags=tuple(flags), msg_time=internal_date)
    # "[APPENDUID <uidvalidity> <uid>] Append completed."
    text = response.decode() if isinstance(response, bytes) else str(response)
    if text.startswith("[APPENDUID "):
        return int(text.split()[2].rstrip("]"))
    return None


@contextlib.contextmanager
def running_dovecot(
    tmp_dir: Path | None = None, *, spare_users: int = 200
) -> Iterator[DovecotServer]:
    """Start a private Dovecot, yield it, stop it and remove its files.

    ``tmp_dir`` is the parent of the server's directory (default: the system temp dir); every
    directory above it must be reachable (``o+x``) by the unprivileged mail user.
    """
    _dovecot_binary()  # fail early, with the package to install
    ident = _identity()
    root = Path(tempfile.mkdtemp(prefix="crm-dovecot-", dir=tmp_dir))
    root.chmod(0o755)
    for name in ("run", "state"):
        (root / name).mkdir()
    mail = root / "mail"
    mail.mkdir()
    os.chown(mail, ident.mail_uid, ident.mail_gid)
    server = DovecotServer(root, free_port())
    server.config_path.write_text(_config(root, server.port, ident))
    server.add_user(DEFAULT_USER, DEFAULT_PASSWORD)
    for index in range(spare_users):  # users made now are known before the first login
        server.add_user(f"user{index:04d}@example.com", uuid.uuid4().hex)
    server._spare = sorted(u for u in server._users if u != DEFAULT_USER)[::-1]
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- test mail ---------------------------------------------------------------------------------

CUSTOMERS = [
    ("山田 太郎", "taro.yamada@example.jp"),
    ("佐々木 花子", "hanako@example.co.jp"),
    ("Jane Doe", "jane@example.com"),
    ("John Smith", "john.smith@example.org"),
    ("髙橋 一郎", "ichiro@example.ne.jp"),
]
SUPPORT = ("Support", DEFAULT_USER)
BASE_DATE = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
MAIL_KINDS = ("plain", "html", "attachment", "iso2022jp", "utf8jp")


def crlf(data: bytes) -> bytes:
    """Mail on the wire ends its lines with CRLF (and IMAP servers hand it out that way)."""
    return re.sub(rb"\r?\n", b"\r\n", data)


def _body(index: int, kind: str) -> tuple[Message, str]:
    """The MIME body of a test message of ``kind``, and the charset of its headers."""
    if kind == "iso2022jp":
        text = f"お世話になっております。注文番号 A-{index:05d} の件です。\n至急ご確認ください。\n"
        return MIMEText(text, "plain", "iso-2022-jp"), "iso-2022-jp"
    if kind == "utf8jp":
        return MIMEText(
            f"請求書の再発行をお願いします。番号 {index}。\n", "plain", "utf-8"
        ), "utf-8"
    text = f"Hello,\n\nmessage number {index}: where is order A-{index:05d}?\n\nThanks\n"
    if kind == "plain":
        return MIMEText(text, "plain", "utf-8"), "utf-8"
    if kind == "html":
        alternative = MIMEMultipart("alternative")
        alternative.attach(MIMEText(text, "plain", "utf-8"))
        alternative.attach(MIMEText(f"<p>Hello,</p><p>message <b>{index}</b></p>", "html", "utf-8"))
        return alternative, "utf-8"
    if kind == "attachment":
        mixed = MIMEMultipart()
        mixed.attach(MIMEText(text, "plain", "utf-8"))
        part = MIMEApplication(f"invoice {index}\n".encode() * 20, Name=f"invoice-{index}.txt")
        # RFC 2231 (filename*=utf-8''…): how mailers name attachments in Japanese.
        part.add_header(
            "Content-Disposition", "attachment", filename=("utf-8", "", f"{index}-請求書.txt")
        )
        mixed.attach(part)
        return mixed, "utf-8"
    raise ValueError(f"unknown kind {kind!r}")


def make_mail(
    index: int,
    *,
    kind: str | None = None,
    in_reply_to: str | None = None,
    subject: str | None = None,
    sender: tuple[str, str] | None = None,
    domain: str = "customer.example",
) -> tuple[bytes, str]:
    """One test message (CRLF line ends) and its Message-ID.

    ``kind`` is one of ``MAIL_KINDS``: plain, html (HTML + text alternative), attachment,
    iso2022jp or utf8jp; by default it cycles with ``index``. Every message's bytes are unique.
    """
    kind = kind or MAIL_KINDS[index % len(MAIL_KINDS)]
    sender = sender or CUSTOMERS[index % len(CUSTOMERS)]
    message, charset = _body(index, kind)
    titles = {"iso2022jp": f"商品が届きません（{index}）", "utf8jp": f"請求書について {index}"}
    title = subject or titles.get(kind, f"Question {index} about my order")
    if in_reply_to and not subject:
        title = "Re: " + title

    def header(value: str) -> str:
        # Non-ASCII header text as RFC 2047 encoded words, in the body's charset.
        return Header(value, charset).encode() if not value.isascii() else value

    message_id = make_msgid(idstring=f"t{index}.{uuid.uuid4().hex[:8]}", domain=domain)
    message["Subject"] = header(title)
    message["From"] = formataddr((header(sender[0]), sender[1]))
    message["To"] = formataddr(SUPPORT)
    message["Date"] = format_datetime(BASE_DATE + timedelta(minutes=index))
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    return crlf(message.as_bytes()), message_id


def make_conversations(count: int, *, reply_every: int = 4, seed: int = 7) -> list[bytes]:
    """``count`` messages where every ``reply_every``-th one replies to an earlier message."""
    rng = random.Random(seed)
    raws: list[bytes] = []
    ids: list[str] = []
    for index in range(count):
        parent = ids[rng.randrange(len(ids))] if ids and index % reply_every == 3 else None
        raw, message_id = make_mail(index, in_reply_to=parent)
        raws.append(raw)
        ids.append(message_id)
    return raws


# --- the sync engine against this server ------------------------------------------------------


def add_sync_mailbox(
    db: Database,
    server: DovecotServer,
    user: str,
    *,
    name: str = "support",
    folders: Sequence[str] = ("INBOX",),
    after_import: str = "none",
    port: int | None = None,
) -> int:
    """A mailbox row for ``user`` on ``server``, made by the core service; returns its id."""
    with db.write() as session:
        mailbox = mailboxes.add_mailbox(
            session, None, name=name, address=user, imap_host=server.host,
            imap_port=port or server.port, imap_tls="none", username=user, folders=list(folders),
            after_import=after_import,
        )  # fmt: skip
        return mailbox.id


def password_credentials(user: str, password: str) -> Callable[[], Credentials]:
    return lambda: Credentials(user, password, "password")


def poll_until(
    predicate: Callable[[], T | None], timeout: float, what: str, interval: float = 0.02
) -> T:
    """Call ``predicate`` until it returns something truthy, or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)  # the polling interval, bounded by the deadline above


# --- pytest fixtures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MailAccount:
    server: DovecotServer
    user: str
    password: str


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    """One private Dovecot per test session (and per xdist worker)."""
    with running_dovecot() as server:
        yield server


@pytest.fixture
def mail_account(dovecot_server: DovecotServer) -> MailAccount:
    """A fresh IMAP user with an empty mailbox, so tests never see each other's mail."""
    user, password = dovecot_server.take_user()
    return MailAccount(dovecot_server, user, password)
