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


def cache_dir() -> Path:
    """Files that can be made again at any time (compiled translations)."""
    override = os.environ.get("CRM_DESK_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME, False))


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802  # the name lupdate looks for
    """Mark ``text`` for translation without translating it: this module runs without Qt.

    The desktop app shows it through ``QCoreApplication.translate(context, text)``.
    """
    return text


LABELS = "settings"  # the translation context of every label below


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    # A language is offered in its own name (English, 日本語): never translated.
    translate: bool = True


@dataclass(frozen=True)
class Setting:
    """One setting. The settings dialog builds its editor from ``type`` (bool: a check box,
    int: a spin box within ``minimum``/``maximum``, str with ``choices``: a drop-down, str: a
    line), unless ``editor`` names one of the dialog's own (the database, the agent profile).
    """

    key: str
    type: type
    default: Any
    label: str
    section: str
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    editor: str = "auto"
    restart: bool = False  # read once at start: a change takes effect after a restart
    suffix: str = ""  # a unit after a number (" s")
    depends_on: str | None = None  # a bool setting that must be on for this one to matter

    def accepts(self, value: Any) -> bool:
        if self.type is int and isinstance(value, bool):
            return False  # TOML true is not a number of seconds
        if not isinstance(value, self.type):
            return False
        if self.choices and value not in {choice.value for choice in self.choices}:
            return False
        if isinstance(value, int):
            too_small = self.minimum is not None and value < self.minimum
            too_large = self.maximum is not None and value > self.maximum
            return not (too_small or too_large)
        return True


# The sections, in the order the settings dialog shows them as tabs.
SECTIONS = ("database", "mailboxes", "agent", "language", "notifications")
LANGUAGES = ("system", "en", "ja")

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        str,
        "",
        QT_TRANSLATE_NOOP("settings", "Database"),
        "database",
        editor="database",
        restart=True,
    ),
    Setting(
        "agent_email",
        str,
        "",
        QT_TRANSLATE_NOOP("settings", "Agent profile"),
        "agent",
        editor="agent",
        restart=True,
    ),
    Setting(
        "sync_in_app",
        bool,
        True,
        QT_TRANSLATE_NOOP("settings", "Fetch mail from the mailboxes while the app is open"),
        "mailboxes",
        restart=True,
    ),
    Setting(
        "remote_images",
        str,
        "ask",
        QT_TRANSLATE_NOOP("settings", "Remote images in messages"),
        "mailboxes",
        choices=(
            Choice("ask", QT_TRANSLATE_NOOP("settings", "Blocked, with a bar to load them")),
            Choice("never", QT_TRANSLATE_NOOP("settings", "Always blocked")),
        ),
    ),
    Setting(
        "language",
        str,
        "system",
        QT_TRANSLATE_NOOP("settings", "Language"),
        "language",
        choices=(
            Choice("system", QT_TRANSLATE_NOOP("settings", "System language")),
            Choice("en", "English", translate=False),
            Choice("ja", "日本語", translate=False),
        ),
        restart=True,
    ),
    Setting(
        "notifications",
        bool,
        True,
        QT_TRANSLATE_NOOP("settings", "Show a desktop notification for new tickets"),
        "notifications",
    ),
    Setting(
        "notify_scope",
        str,
        "views",
        QT_TRANSLATE_NOOP("settings", "Notify about"),
        "notifications",
        depends_on="notifications",
        choices=(
            Choice("views", QT_TRANSLATE_NOOP("settings", "New tickets in my views")),
            Choice("mine", QT_TRANSLATE_NOOP("settings", "Only tickets assigned to me")),
        ),
    ),
    Setting(
        "notification_seconds",
        int,
        8,
        QT_TRANSLATE_NOOP("settings", "Keep a notification on screen for"),
        "notifications",
        minimum=2,
        maximum=60,
        suffix=QT_TRANSLATE_NOOP("settings", " s"),
        depends_on="notifications",
    ),
)
_BY_KEY = {setting.key: setting for setting in SETTINGS}


def setting(key: str) -> Setting:
    return _BY_KEY[key]


def settings_in(section: str) -> tuple[Setting, ...]:
    return tuple(s for s in SETTINGS if s.section == section)


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
        """The stored value, or the default when unset or not one the setting accepts."""
        declared = _BY_KEY[key]
        value = self._values.get(key, declared.default)
        return value if declared.accepts(value) else declared.default

    def set(self, key: str, value: Any) -> None:
        declared = _BY_KEY[key]
        if not declared.accepts(value):
            raise ConfigurationError(f"{key} cannot be {value!r}")
        self._values[key] = value

    def is_set(self, key: str) -> bool:
        """True when the file holds a usable value (not just the default)."""
        return key in self._values and _BY_KEY[key].accepts(self._values[key])

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


def default_database_url() -> str:
    return sqlite_url(default_database_path()).render_as_string(hide_password=False)


def database_setting(url: str) -> str:
    """What to store for ``url``: nothing for the default file, so it follows the data dir."""
    return "" if url == default_database_url() else url


def resolve_database_url(cli_value: str | None, config: Config | None = None) -> str:
    if cli_value:
        return cli_value
    if env := os.environ.get(DATABASE_ENV):
        return env
    configured = (config or Config()).get("database_url")
    if configured:
        return str(configured)
    return default_database_url()
