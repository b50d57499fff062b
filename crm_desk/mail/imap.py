"""Connecting to an IMAP server: the TLS policy, login, timeouts and one-line errors.

Every network failure leaves this module as a ``MailServerError`` (a ``CrmDeskError``) whose
message names the server and the cause in one line, so that the sync loop can log it, back off
and reconnect, and a person can act on it. ``imap_errors()`` is the one place that translates
socket, TLS and imaplib exceptions.
"""

from __future__ import annotations

import imaplib
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from imapclient.imapclient import SocketTimeout

from crm_desk.core.transport import TLS_MODES, is_loopback
from crm_desk.errors import ConfigurationError, CrmDeskError

if TYPE_CHECKING:  # the database layer stays out of processes that only fetch
    from crm_desk.store.models import Mailbox

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 15.0
# Generous: one read may wait for the server to assemble a large FETCH response.
READ_TIMEOUT_S = 120.0


class MailServerError(CrmDeskError):
    """The IMAP server could not be reached, refused us, or dropped the connection."""


class ConnectError(MailServerError):
    pass


class LoginFailedError(MailServerError):
    pass


class ConnectionLostError(MailServerError):
    pass


@dataclass(frozen=True)
class Credentials:
    """What the keyring yields for a mailbox: a password, or an OAuth2 access token."""

    username: str
    secret: str
    method: Literal["password", "xoauth2"]


def credentials_for(mailbox: Mailbox) -> Callable[[], Credentials]:
    """What the sync engine calls for a mailbox's login: the secret is read from the keyring
    only when a connection is made (never kept in the database or in memory for long)."""
    name, username = mailbox.name, mailbox.username or mailbox.address
    method: Literal["password", "xoauth2"] = "xoauth2" if mailbox.auth == "xoauth2" else "password"

    def read() -> Credentials:
        from crm_desk import secrets  # the keyring loads with the first login

        return Credentials(username, secrets.get_secret(secrets.mailbox_account(name)), method)

    return read


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    tls: str  # ssl | starttls | none
    username: str

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def from_mailbox(cls, mailbox: Mailbox) -> ImapSettings:
        if not mailbox.imap_host:
            raise ConfigurationError(f"mailbox {mailbox.name} has no IMAP server set")
        default_port = 993 if mailbox.imap_tls == "ssl" else 143
        return cls(
            host=mailbox.imap_host,
            port=mailbox.imap_port or default_port,
            tls=mailbox.imap_tls,
            username=mailbox.username or mailbox.address,
        )

    def check_policy(self) -> None:
        """Refuse settings that would send a password in clear text over a network."""
        if self.tls not in TLS_MODES:
            raise ConfigurationError(
                f"IMAP TLS mode must be one of {', '.join(TLS_MODES)}; got {self.tls!r}"
            )
        if self.tls == "none" and not is_loopback(self.host):
            raise ConfigurationError(
                f"IMAP without TLS is only allowed to this machine (127.0.0.1, ::1, localhost); "
                f"{self.host} would see the password in clear text"
            )


def describe(exc: BaseException) -> str:
    """The useful text of an exception, on one line (imaplib likes to wrap bytes in str())."""
    parts = []
    for arg in exc.args or (str(exc),):
        text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
        if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):
            text = text[2:-1]
        parts.append(text)
    text = " ".join(p for p in parts if p) or type(exc).__name__
    return " ".join(text.split())


def _socket_reason(exc: OSError) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror or describe(exc)})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message or describe(exc)})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or describe(exc)})"
    return exc.strerror or describe(exc)


@contextmanager
def imap_errors(settings: ImapSettings) -> Iterator[None]:
    """Turn network and protocol-abort exceptions into a ``ConnectionLostError``.

    Ordinary IMAP errors (a NO or BAD answer) pass through: the caller decides whether they
    concern one folder or the whole connection.
    """
    try:
        yield
    except MailServerError:
        raise
    except imaplib.IMAP4.abort as exc:
        raise ConnectionLostError(
            f"connection to {settings.address} lost: {describe(exc)}"
        ) from exc
    except OSError as exc:
        raise ConnectionLostError(
            f"connection to {settings.address} lost: {_socket_reason(exc)}"
        ) from exc


def _open(settings: ImapSettings) -> IMAPClient:
    context = ssl.create_default_context() if settings.tls != "none" else None
    timeout = SocketTimeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S)
    try:
        client = IMAPClient(
            settings.host,
            settings.port,
            ssl=settings.tls == "ssl",
            ssl_context=context if settings.tls == "ssl" else None,
            timeout=timeout,
        )
    except OSError as exc:
        raise ConnectError(f"cannot reach {settings.address}: {_socket_reason(exc)}") from exc
    except imaplib.IMAP4.error as exc:
        raise ConnectError(f"cannot talk to {settings.address}: {describe(exc)}") from exc
    if settings.tls == "starttls":
        try:
            client.starttls(context)
        except (OSError, imaplib.IMAP4.error) as exc:
            close(client)
            reason = _socket_reason(exc) if isinstance(exc, OSError) else describe(exc)
            raise ConnectError(f"STARTTLS with {settings.address} failed: {reason}") from exc
    # Aware datetimes for INTERNALDATE, not the machine's local time.
    client.normalise_times = False
    return client


def _login(client: IMAPClient, settings: ImapSettings, credentials: Credentials) -> None:
    user = credentials.username or settings.username
    try:
        with imap_errors(settings):
            if credentials.method == "xoauth2":
                client.oauth2_login(user, credentials.secret)
            else:
                client.login(user, credentials.secret)
    except (LoginError, imaplib.IMAP4.error) as exc:
        raise LoginFailedError(f"login failed for {user}: {describe(exc)}") from exc


def connect(settings: ImapSettings, credentials: Credentials) -> IMAPClient:
    """A logged-in client; raises ``ConfigurationError`` or ``MailServerError``."""
    settings.check_policy()
    client = _open(settings)
    try:
        _login(client, settings, credentials)
    except BaseException:
        close(client)
        raise
    return client


def close(client: IMAPClient) -> None:
    """Log out politely if the connection still works; never raise."""
    with suppress(Exception):
        client.logout()
    with suppress(Exception):
        client.shutdown()


@contextmanager
def connected(settings: ImapSettings, credentials: Credentials) -> Iterator[IMAPClient]:
    client = connect(settings, credentials)
    try:
        yield client
    finally:
        close(client)


# --- waiting for new mail ---------------------------------------------------------------------

IDLE_CHECK_S = 1.0  # how often an IDLE wait looks at the stop flag


def _is_news(response: object) -> bool:
    # (count, b"EXISTS") or (count, b"RECENT"): mail arrived in the watched folder.
    return (
        isinstance(response, tuple) and len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")
    )


def _is_bye(response: object) -> bool:
    return isinstance(response, tuple) and len(response) >= 1 and response[0] == b"BYE"


def _peer_closed(client: IMAPClient) -> bool:
    """Whether the server closed a connection that has nothing left to read."""
    sock = client.socket()
    if isinstance(sock, ssl.SSLSocket):
        return False  # cannot peek through TLS; the IDLE DONE round trip finds out instead
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"")
    except BlockingIOError:
        return False
    except OSError:
        return True


class IdleWatcher:
    """A second connection that waits in IDLE on one folder for new mail.

    imapclient objects are not thread-safe and a connection in IDLE can run no other command,
    so the watcher never shares its client with the sync.
    """

    def __init__(self, client: IMAPClient, settings: ImapSettings, folder: str) -> None:
        self._client = client
        self._settings = settings
        self.folder = folder
        with imap_errors(settings):
            client.select_folder(folder, readonly=True)

    def wait(self, stop: threading.Event, timeout: float) -> bool:
        """Wait up to ``timeout`` s; True when the folder got new mail, False on timeout or stop.

        Raises ``ConnectionLostError`` when the server goes away (BYE, EOF, a socket error).
        """
        with imap_errors(self._settings):
            # Updates that arrived while we were syncing are delivered on the next command.
            _, pending = self._client.noop()
            if any(_is_news(r) for r in pending):
                return True
            if any(_is_bye(r) for r in pending):
                raise ConnectionLostError(f"{self._settings.address} closed the connection")
            return self._idle(stop, timeout)

    def _idle(self, stop: threading.Event, timeout: float) -> bool:
        client = self._client
        client.idle()
        try:
            news = self._idle_loop(stop, time.monotonic() + timeout)
        except BaseException:
            with suppress(Exception):  # the connection is likely gone; the first error matters
                client.idle_done()
            raise
        _, late = client.idle_done()
        return news or any(_is_news(r) for r in late)

    def _idle_loop(self, stop: threading.Event, deadline: float) -> bool:
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            responses = self._client.idle_check(timeout=min(IDLE_CHECK_S, remaining))
            # imapclient swallows EOF inside idle_check: an empty answer may mean a dead peer.
            if any(_is_bye(r) for r in responses) or (not responses and _peer_closed(self._client)):
                raise ConnectionLostError(f"{self._settings.address} closed the connection")
            if any(_is_news(r) for r in responses):
                return True
        return False

    def close(self) -> None:
        close(self._client)
