"""Passwords and tokens, kept in the system keyring (never in the database, a file or a log).

A headless Linux box often has no keyring at all; then every use says so and how to fix it.
Backends that store secrets unencrypted (keyrings.alt's PlaintextKeyring and the like) are
refused unless the user chose one on purpose: naming it in keyring's standard
``PYTHON_KEYRING_BACKEND`` variable, or setting ``CRM_DESK_ALLOW_PLAINTEXT_KEYRING=1``.
"""

from __future__ import annotations

import os

import keyring
import keyring.backend
import keyring.errors

from crm_desk.errors import ConfigurationError

SERVICE = "crm-desk"
ALLOW_PLAINTEXT_ENV = "CRM_DESK_ALLOW_PLAINTEXT_KEYRING"

NO_KEYRING_HELP = (
    "no usable system keyring to keep the mailbox password in. On a desktop, install and "
    "unlock a Secret Service keyring (GNOME Keyring, KWallet or KeePassXC). On a server, "
    "`pip install keyrings.alt` and set PYTHON_KEYRING_BACKEND=keyrings.alt.file."
    "PlaintextKeyring to accept a password stored unencrypted in a file."
)


class SecretStoreError(ConfigurationError):
    pass


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _is_plaintext(backend: keyring.backend.KeyringBackend) -> bool:
    name = _backend_name(backend).lower()
    return "plaintext" in name or (
        name.startswith("keyrings.alt.file.") and "encrypted" not in name
    )


def _is_unusable(backend: keyring.backend.KeyringBackend) -> bool:
    module = type(backend).__module__
    return module in ("keyring.backends.fail", "keyring.backends.null")


def backend() -> keyring.backend.KeyringBackend:
    """The keyring to use, or a SecretStoreError saying why there is none."""
    chosen = keyring.get_keyring()
    if _is_unusable(chosen):
        raise SecretStoreError(NO_KEYRING_HELP)
    if _is_plaintext(chosen):
        opted_in = os.environ.get(ALLOW_PLAINTEXT_ENV) == "1" or bool(
            os.environ.get("PYTHON_KEYRING_BACKEND")
        )
        if not opted_in:
            raise SecretStoreError(
                f"the keyring backend {_backend_name(chosen)} stores passwords unencrypted; "
                f"name it in PYTHON_KEYRING_BACKEND (or set {ALLOW_PLAINTEXT_ENV}=1) to accept "
                "that, or install a Secret Service keyring"
            )
    return chosen


def describe_backend() -> str:
    return _backend_name(keyring.get_keyring())


def mailbox_account(name: str) -> str:
    return f"mailbox:{name}"


def set_secret(account: str, secret: str) -> None:
    if not secret:
        raise SecretStoreError("an empty password cannot be stored")
    try:
        backend().set_password(SERVICE, account, secret)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(f"the keyring refused to store the password: {exc}") from exc


def get_secret(account: str) -> str:
    try:
        secret = backend().get_password(SERVICE, account)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(f"cannot read from the keyring: {exc}") from exc
    if secret is None:
        raise SecretStoreError(f"no password is stored in the keyring for {account}")
    return secret


def delete_secret(account: str) -> None:
    try:
        backend().delete_password(SERVICE, account)
    except keyring.errors.PasswordDeleteError:
        pass  # nothing stored: already in the state asked for
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(f"cannot delete from the keyring: {exc}") from exc
