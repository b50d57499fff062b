"""The declared settings and the settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_desk import config
from crm_desk.errors import ConfigurationError


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRM_DESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(config.DATABASE_ENV, raising=False)
    return tmp_path / "config.toml"


def test_every_setting_is_declared_soundly() -> None:
    keys = [s.key for s in config.SETTINGS]
    assert len(keys) == len(set(keys))
    for declared in config.SETTINGS:
        assert declared.section in config.SECTIONS, declared.key
        assert declared.label.strip(), declared.key
        assert declared.accepts(declared.default), declared.key
        if declared.depends_on is not None:
            assert config.setting(declared.depends_on).type is bool
    assert [c.value for c in config.setting("language").choices] == list(config.LANGUAGES)


def test_values_round_trip_and_defaults_fill_in(settings_file: Path) -> None:
    settings = config.Config(settings_file)
    assert settings.get("language") == "system"
    assert settings.get("notification_seconds") == 8
    settings.set("language", "ja")
    settings.set("notifications", False)
    settings.set("notification_seconds", 30)
    settings.set("agent_email", "佐藤@example.jp")
    settings.save()
    again = config.Config(settings_file)
    assert again.get("language") == "ja"
    assert again.get("notifications") is False
    assert again.get("notification_seconds") == 30
    assert again.get("agent_email") == "佐藤@example.jp"
    assert again.is_set("language") and not again.is_set("remote_images")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("language", "fr"),  # not a choice
        ("notification_seconds", 0),  # below the range
        ("notification_seconds", 61),  # above it
        ("notification_seconds", True),  # a bool is not a number of seconds
        ("notifications", "yes"),
    ],
)
def test_values_a_setting_does_not_accept_are_refused(
    settings_file: Path, key: str, value: object
) -> None:
    settings = config.Config(settings_file)
    with pytest.raises(ConfigurationError):
        settings.set(key, value)


def test_a_hand_edited_bad_value_reads_as_the_default(settings_file: Path) -> None:
    settings_file.write_text(
        'version = 1\nlanguage = "klingon"\nnotification_seconds = 999\nfuture_key = "kept"\n',
        encoding="utf-8",
    )
    settings = config.Config(settings_file)
    assert settings.get("language") == "system"
    assert settings.get("notification_seconds") == 8
    settings.set("language", "en")
    settings.save()
    assert 'future_key = "kept"' in settings_file.read_text(encoding="utf-8")


def test_the_default_database_is_stored_as_nothing(settings_file: Path) -> None:
    default = config.default_database_url()
    assert default.endswith("/data/crm-desk.sqlite3")
    assert config.database_setting(default) == ""
    other = "postgresql://crm@db.example.com/crm"
    assert config.database_setting(other) == other
    settings = config.Config(settings_file)
    assert config.resolve_database_url(None, settings) == default
    settings.set("database_url", other)
    assert config.resolve_database_url(None, settings) == other
    assert config.resolve_database_url("sqlite:////tmp/x.sqlite3", settings).endswith("x.sqlite3")
