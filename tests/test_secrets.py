"""The keyring wrapper: secrets round-trip; no keyring or an unchosen plaintext one is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest

from crm_desk import secrets
from tests.support.keyring_backend import PATH_ENV, FileKeyring, PlaintextFileKeyring


@pytest.fixture
def use_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(PATH_ENV, str(tmp_path / "keyring.json"))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv(secrets.ALLOW_PLAINTEXT_ENV, raising=False)
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def test_round_trip(use_keyring: None) -> None:
    keyring.set_keyring(FileKeyring())
    account = secrets.mailbox_account("support")
    secrets.set_secret(account, "s3cret ✓")
    assert secrets.get_secret(account) == "s3cret ✓"
    secrets.delete_secret(account)
    secrets.delete_secret(account)  # deleting twice is fine
    with pytest.raises(secrets.SecretStoreError, match="no password is stored"):
        secrets.get_secret(account)
    with pytest.raises(secrets.SecretStoreError, match="empty"):
        secrets.set_secret(account, "")


def test_no_keyring_says_how_to_fix_it(use_keyring: None) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(secrets.SecretStoreError) as refused:
        secrets.set_secret("mailbox:x", "pw")
    assert "no usable system keyring" in str(refused.value)
    assert "PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring" in str(refused.value)


def test_plaintext_keyring_needs_an_explicit_choice(
    use_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(PlaintextFileKeyring())
    with pytest.raises(secrets.SecretStoreError, match="stores passwords unencrypted"):
        secrets.set_secret("mailbox:x", "pw")
    monkeypatch.setenv(
        "PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.PlaintextFileKeyring"
    )
    secrets.set_secret("mailbox:x", "pw")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    monkeypatch.setenv(secrets.ALLOW_PLAINTEXT_ENV, "1")
    assert secrets.get_secret("mailbox:x") == "pw"
