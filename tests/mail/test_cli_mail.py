"""The mail commands end to end: mailbox add (keyring), test, sync, list, quarantine, db info."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from crm_desk.cli import main
from tests.support.dovecot import MailAccount, make_conversations
from tests.support.keyring_backend import PATH_ENV, FileKeyring


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CRM_DESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CRM_DESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(PATH_ENV, str(tmp_path / "keyring.json"))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield f"sqlite:///{tmp_path / 'mail.sqlite3'}"
    keyring.set_keyring(previous)


def run(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--database", url, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(url, capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def add_args(account: MailAccount, *extra: str) -> list[str]:
    """`mailbox add` for this test account over plain IMAP on loopback, password on stdin."""
    return [
        "mailbox",
        "add",
        "support",
        "--address",
        account.user,
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        str(account.server.port),
        "--imap-tls",
        "none",
        "--password-stdin",
        *extra,
    ]


def test_mailbox_to_tickets_from_the_command_line(
    cli_env: str,
    mail_account: MailAccount,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, user = mail_account.server, mail_account.user
    server.append_many(user, "INBOX", make_conversations(9))
    server.append(user, "INBOX", b"From: x@example.com\r\nSubject: huge\r\n\r\n" + b"x" * 64)
    monkeypatch.setattr("sys.stdin", io.StringIO(mail_account.password + "\n"))
    added = run_json(
        cli_env, capsys, *add_args(mail_account, "--username", user, "--after-import", "seen")
    )
    assert added["imap"]["tls"] == "none" and added["after_import"] == "seen"
    assert mail_account.password not in json.dumps(added)
    database_dir = Path(cli_env.removeprefix("sqlite:///")).parent
    assert mail_account.password in (database_dir / "keyring.json").read_text()

    code, out, err = run(cli_env, capsys, "mailbox", "test", "support")
    assert code == 0, err
    assert "INBOX: 10 messages" in out

    code, out, err = run(cli_env, capsys, "sync", "--once")
    assert code == 0, err
    assert "support INBOX: 10 imported, 0 quarantined, 0 already there" in out
    code, out, _ = run(cli_env, capsys, "sync", "--once")
    assert "0 imported" in out

    info = run_json(cli_env, capsys, "db", "info")
    assert info["counts"]["messages"] == 10
    assert info["counts"]["tickets"] < 10  # the replies joined their conversations
    listed = run_json(cli_env, capsys, "mailbox", "list")
    assert listed[0]["sync"][0]["highest_uid"] == 10
    assert listed[0]["sync"][0]["last_error"] is None
    assert all(b"\\Seen" in flags for flags in server.flags(user, "INBOX").values())
    database_bytes = b"".join(p.read_bytes() for p in database_dir.glob("mail.sqlite3*"))
    assert mail_account.password.encode() not in database_bytes  # it lives in the keyring only


def test_wrong_password_is_one_clear_line(
    cli_env: str,
    mail_account: MailAccount,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("not-the-password\n"))
    code, _, err = run(cli_env, capsys, *add_args(mail_account))
    assert code == 0, err
    code, _, err = run(cli_env, capsys, "mailbox", "test", "support")
    assert code == 1
    assert err.startswith("crm-desk: login failed for ") and len(err.strip().splitlines()) == 1


def test_xoauth2_access_token_logs_in_and_syncs(
    cli_env: str,
    mail_account: MailAccount,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, user = mail_account.server, mail_account.user
    server.append_many(user, "INBOX", make_conversations(3))
    token = server.access_token(user)  # the server takes it over XOAUTH2 only, never as a password
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    code, _, err = run(cli_env, capsys, *add_args(mail_account, "--auth", "xoauth2"))
    assert code == 0, err

    code, out, err = run(cli_env, capsys, "mailbox", "test", "support")
    assert code == 0, err
    assert "INBOX: 3 messages" in out
    code, out, err = run(cli_env, capsys, "sync", "--once")
    assert code == 0, err
    assert "support INBOX: 3 imported" in out
    database_dir = Path(cli_env.removeprefix("sqlite:///")).parent
    assert token in (database_dir / "keyring.json").read_text()
    database_bytes = b"".join(p.read_bytes() for p in database_dir.glob("mail.sqlite3*"))
    assert token.encode() not in database_bytes


def test_expired_xoauth2_token_is_one_clear_line(
    cli_env: str,
    mail_account: MailAccount,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The account's password is not a token: as XOAUTH2 it is refused like an expired one.
    monkeypatch.setattr("sys.stdin", io.StringIO(mail_account.password + "\n"))
    code, _, err = run(cli_env, capsys, *add_args(mail_account, "--auth", "xoauth2"))
    assert code == 0, err
    code, _, err = run(cli_env, capsys, "mailbox", "test", "support")
    assert code == 1
    assert err.startswith("crm-desk: login failed for ") and len(err.strip().splitlines()) == 1


def test_plain_imap_to_a_remote_host_is_refused(
    cli_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
    code, _, err = run(
        cli_env,
        capsys,
        "mailbox",
        "add",
        "support",
        "--address",
        "support@example.com",
        "--imap-host",
        "imap.example.com",
        "--imap-tls",
        "none",
        "--password-stdin",
    )
    assert code == 1 and "clear text" in err
    code, out, _ = run(cli_env, capsys, "mailbox", "list")
    assert "no mailboxes" in out
