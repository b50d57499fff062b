"""Fixtures for the first-start and settings tests: private directories, a file keyring.

Import the fixtures into a test module to use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
from pytestqt.qtbot import QtBot

from crm_desk import config, secrets
from crm_desk.ui import tasks
from tests.support.keyring_backend import PATH_ENV, FileKeyring


def _new(backend: Any) -> Any:
    """An instance of a keyring backend (keyring ships no type hints)."""
    return backend()


@pytest.fixture
def app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> Iterator[Path]:
    """Settings, data and cache directories of a first start, none of them the user's."""
    for variable, name in (
        ("CRM_DESK_CONFIG_DIR", "config"),
        ("CRM_DESK_DATA_DIR", "data"),
        ("CRM_DESK_CACHE_DIR", "cache"),
    ):
        monkeypatch.setenv(variable, str(tmp_path / name))
    monkeypatch.delenv(config.DATABASE_ENV, raising=False)
    yield tmp_path
    qtbot.waitUntil(tasks.is_idle, timeout=20_000)  # no op outlives the test's files


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An encrypted-enough keyring for tests: a JSON file. Yields the file."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv(PATH_ENV, str(path))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv(secrets.ALLOW_PLAINTEXT_ENV, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(_new(FileKeyring))
    yield path
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(_new(keyring.backends.fail.Keyring))
    yield
    keyring.set_keyring(previous)
