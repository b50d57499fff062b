"""Fixtures for the desktop's mail sync tests: a test keyring and runners stopped at teardown.

Import the fixtures into a test module (with ``dovecot_server`` and ``mail_account`` from
``tests.support.dovecot``) to use them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.core
import keyring.errors
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from crm_desk import secrets
from crm_desk.store.db import Database
from crm_desk.store.models import Ticket
from crm_desk.ui import tasks
from crm_desk.ui.sync_runner import SyncRunner
from tests.support.keyring_backend import PATH_ENV, FileKeyring

MakeRunner = Callable[..., SyncRunner]


@pytest.fixture
def sync_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[keyring.backend.KeyringBackend]:
    """The keyring the runner reads passwords from (through ``secrets``), in a JSON file."""
    monkeypatch.setenv(PATH_ENV, str(tmp_path / "keyring.json"))
    previous = keyring.get_keyring()
    # Loaded by name, the way PYTHON_KEYRING_BACKEND selects a backend on a desktop.
    backend = keyring.core.load_keyring("tests.support.keyring_backend.FileKeyring")
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def use_keyring(name: str) -> None:
    """Swap the backend for this test (``sync_keyring`` puts the previous one back)."""
    keyring.set_keyring(keyring.core.load_keyring(name))


def store_password(mailbox: str, password: str) -> None:
    secrets.set_secret(secrets.mailbox_account(mailbox), password)


@pytest.fixture
def make_runner(
    ui_db: Database, sync_keyring: keyring.backend.KeyringBackend, qtbot: QtBot
) -> Iterator[MakeRunner]:
    """Runners over ``ui_db``; each one's threads are ended before the database and the keyring
    go away (a blocking join, as at the app's exit)."""
    made: list[SyncRunner] = []

    def make(**options: Any) -> SyncRunner:
        runner = SyncRunner(ui_db, **options)
        made.append(runner)
        return runner

    yield make
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    for runner in made:
        assert runner.shutdown(10), "a sync worker did not stop within 10 s"


def ticket_count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Ticket)) or 0)


# What a keyring (or the D-Bus service behind it) may answer: outside text, with markup in it.
LOCKED_MESSAGE = "<b>collection is locked</b> <img src=x onerror=alert(1)>"


class LockedKeyring(FileKeyring):
    """A keyring that refuses every read, saying so in words that look like HTML."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked(LOCKED_MESSAGE)
