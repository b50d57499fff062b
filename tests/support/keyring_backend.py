"""A keyring backend for tests: a JSON file named by $CRM_DESK_TEST_KEYRING_FILE.

A real ``keyring`` backend (selected the standard way, through PYTHON_KEYRING_BACKEND), so the
code under test goes through the keyring library exactly as it does on a desktop; it is
shared by the test process and the subprocesses it starts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

PATH_ENV = "CRM_DESK_TEST_KEYRING_FILE"


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def _path(self) -> Path:
        return Path(os.environ[PATH_ENV])

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._path.read_text()))
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\0{username}"] = password
        self._path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError(username)
        self._path.write_text(json.dumps(data))


class PlaintextFileKeyring(FileKeyring):
    """Named like the unencrypted backends crm-desk refuses unless the user chose one."""
