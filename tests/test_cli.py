"""The command line: --json shapes, exit codes, one-line errors, on both engines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crm_desk.cli import main

EXIT_CONFLICT, EXIT_NOT_FOUND, EXIT_PERMISSION = 3, 4, 5


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CRM_DESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CRM_DESK_DATABASE_URL", raising=False)


class Cli:
    def __init__(self, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.url = url
        self.capsys = capsys

    def run(self, *args: str) -> tuple[int, str, str]:
        code = main(["--database", self.url, *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, *args: str, expect: int = 0) -> Any:
        code, out, err = self.run(*args, "--json")
        assert code == expect, err
        return json.loads(out)


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(db_url, capsys)


@pytest.fixture
def team_cli(cli: Cli) -> Cli:
    """Agents added through the CLI, and a ticket from the core services."""
    from crm_desk.store.schema import open_database
    from tests.support.factories import make_team

    db = open_database(cli.url)
    make_team(db)
    db.dispose()
    assert (
        cli.json("agents", "add", "--name", "Carol", "--email", "Carol@Example.com")["role"]
        == "agent"
    )
    return cli


def test_db_info_on_a_new_database(cli: Cli) -> None:
    code, _, err = cli.run("db", "upgrade")
    assert code == 0, err
    info = cli.json("db", "info")
    assert info["engine"] in ("sqlite", "postgresql")
    assert info["schema_revision"] == info["schema_head"]
    assert set(info["counts"]) >= {"tickets", "messages", "contacts", "orders", "agents"}
    assert all(count == 0 for count in info["counts"].values())


def test_agents_add_and_list(team_cli: Cli) -> None:
    agents = team_cli.json("agents", "list")
    assert [a["email"] for a in agents] == [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "lead@example.com",
    ]  # sorted by name: Alice, Bob, Carol, 佐藤
    assert {a["role"] for a in agents} == {"agent", "lead"}
    code, _, err = team_cli.run("agents", "add", "--name", "X", "--email", "carol@example.com")
    assert code == EXIT_CONFLICT and "already exists" in err


def test_claim_race_on_the_command_line(team_cli: Cli) -> None:
    won = team_cli.json("tickets", "claim", "1", "--as", "alice@example.com")
    assert won["ok"] is True
    assert won["ticket"]["assignee"]["email"] == "alice@example.com"
    assert won["ticket"]["status"] == "open"
    lost = team_cli.json("tickets", "claim", "#1", "--as", "bob@example.com", expect=EXIT_CONFLICT)
    assert lost == {
        "ok": False,
        "error": "conflict",
        "message": "ticket #1 is already claimed by Alice Agent <alice@example.com>",
        "owner": {"name": "Alice Agent", "email": "alice@example.com"},
    }


def test_assign_and_set_respect_roles(team_cli: Cli) -> None:
    denied = team_cli.json(
        "tickets",
        "assign",
        "1",
        "--to",
        "bob@example.com",
        "--as",
        "alice@example.com",
        expect=EXIT_PERMISSION,
    )
    assert denied["error"] == "permission_denied"
    moved = team_cli.json(
        "tickets", "assign", "1", "--to", "bob@example.com", "--as", "lead@example.com"
    )
    assert moved["ticket"]["assignee"]["email"] == "bob@example.com"
    edited = team_cli.json(
        "tickets",
        "set",
        "1",
        "--status",
        "pending",
        "--priority",
        "high",
        "--category",
        "Orders & delivery",
        "--as",
        "bob@example.com",
    )
    assert (edited["ticket"]["status"], edited["ticket"]["priority"]) == ("pending", "high")
    assert edited["ticket"]["category"] == "注文・配送"
    missing = team_cli.json(
        "tickets", "set", "99", "--status", "open", "--as", "bob@example.com", expect=EXIT_NOT_FOUND
    )
    assert missing["message"] == "no ticket #99"


def test_tickets_list_filters(team_cli: Cli) -> None:
    assert [t["number"] for t in team_cli.json("tickets", "list", "--assignee", "none")] == [1]
    team_cli.json("tickets", "claim", "1", "--as", "alice@example.com")
    assert team_cli.json("tickets", "list", "--assignee", "none") == []
    rows = team_cli.json(
        "tickets", "list", "--assignee", "alice@example.com", "--status", "open,new"
    )
    assert [(r["number"], r["status"], r["assignee"]["email"]) for r in rows] == [
        (1, "open", "alice@example.com")
    ]
    assert rows[0]["contact"] == {"name": "山田 太郎", "email": "taro@example.jp"}
    assert team_cli.json("tickets", "list", "--status", "closed") == []
    assert team_cli.json("tickets", "list", "--category", "注文・配送") == []


def test_tickets_show_and_search(team_cli: Cli) -> None:
    shown = team_cli.json("tickets", "show", "1")
    assert shown["subject"] == "注文した商品が届きません"
    assert [m["direction"] for m in shown["messages"]] == ["in"]
    assert shown["contact"]["email"] == "taro@example.jp"
    assert shown["orders"] == [] and shown["deals"] == []
    found = team_cli.json("search", "届きません")
    assert [(h["kind"], h["id"]) for h in found["hits"]] == [("ticket", 1)]
    assert team_cli.json("search", "解約")["hits"] == []


def test_text_output_is_readable(team_cli: Cli) -> None:
    code, out, _ = team_cli.run("tickets", "list")
    assert code == 0 and "注文した商品が届きません" in out
    code, out, _ = team_cli.run("tickets", "show", "1")
    assert code == 0 and "customer: 山田 太郎 <taro@example.jp>" in out


def _crm_desk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm_desk", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    unreachable = _crm_desk(
        "--database", "postgresql+psycopg://nobody@127.0.0.1:1/none", "db", "info"
    )
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("crm-desk: cannot use the database:")
    assert "Traceback" not in unreachable.stderr
    assert len(unreachable.stderr.strip().splitlines()) == 1
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    missing = _crm_desk("--database", url, "tickets", "show", "5")
    assert (missing.returncode, missing.stderr) == (EXIT_NOT_FOUND, "crm-desk: no ticket #5\n")
    usage = _crm_desk("tickets", "claim", "abc", "--as", "x@example.com")
    assert usage.returncode == 2 and "not a ticket number" in usage.stderr


def test_database_url_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'from-env.sqlite3'}"
    result = _crm_desk(
        "db",
        "info",
        "--json",
        env={"CRM_DESK_DATABASE_URL": url, "CRM_DESK_DATA_DIR": str(tmp_path / "d")},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["url"].endswith("from-env.sqlite3")
