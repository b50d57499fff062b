"""Settings, declared once (key, type, default, label), stored as TOML in the config directory.

Where things live (platformdirs, overridable for tests and portable installs):

* config: ``$CRM_DESK_CONFIG_DIR`` or the platform config dir (``~/.config/crm-desk``);
* data (the SQLite database, backups): ``$CRM_DESK_DATA_DIR`` or the platform data dir
  (``~/.local/share/crm-desk``).

The database URL is chosen in this order: ``--database``, ``$CRM_DESK_DATABASE_URL``, the
``database_url`` setting, the embedded SQLite file in the data dir.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from crm_desk.errors import ConfigurationError
from crm_desk.store.db import sqlite_url

APP_NAME = "crm-desk"
CONFIG_VERSION = 1
DATABASE_ENV = "CRM_DESK_DATABASE_URL"


def config_dir() -> Path:
    override = os.environ.get("CRM_DESK_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, False))


def data_dir() -> Path:
    override = os.environ.get("CRM_DESK_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, False))


def default_database_path() -> Path:
    return data_dir() / "crm-desk.sqlite3"


def demo_database_path() -> Path:
    """Demo data gets its own file, so trying the demo never touches the real queue."""
    return data_dir() / "demo.sqlite3"


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    label: str


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", str, "", "Database URL (empty: the embedded SQLite file)"),
    Setting("agent_email", str, "", "The agent this desktop acts as"),
    Setting("language", str, "system", "Language (system, en, ja)"),
    Setting("notifications", bool, True, "Desktop notifications for new tickets"),
    Setting("sync_in_app", bool, True, "Sync mailboxes while the app is open"),
)
_BY_KEY = {setting.key: setting for setting in SETTINGS}


class Config:
    """The settings file. Unknown keys are kept (a newer version may have written them)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "config.toml"
        self._values: dict[str, Any] = {}
        if self.path.exists():
            try:
                self._values = tomllib.loads(self.path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigurationError(
                    f"cannot read the settings file {self.path}: {exc}"
                ) from exc

    def get(self, key: str) -> Any:
        setting = _BY_KEY[key]
        value = self._values.get(key, setting.default)
        return value if isinstance(value, setting.type) else setting.default

    def set(self, key: str, value: Any) -> None:
        setting = _BY_KEY[key]
        if not isinstance(value, setting.type):
            raise ConfigurationError(f"{key} takes a {setting.type.__name__}")
        self._values[key] = value

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        values = {"version": CONFIG_VERSION} | {
            k: v for k, v in self._values.items() if k != "version"
        }
        lines = [f"{key} = {_toml_value(value)}" for key, value in values.items()]
        temporary = self.path.with_suffix(".toml.tmp")
        temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
        temporary.replace(self.path)  # atomic: a crash never leaves half a settings file


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are a subset of TOML basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    raise ConfigurationError(f"cannot store {type(value).__name__} in the settings file")


def resolve_database_url(cli_value: str | None, config: Config | None = None) -> str:
    if cli_value:
        return cli_value
    if env := os.environ.get(DATABASE_ENV):
        return env
    configured = (config or Config()).get("database_url")
    if configured:
        return str(configured)
    return sqlite_url(default_database_path()).render_as_string(hide_password=False)
