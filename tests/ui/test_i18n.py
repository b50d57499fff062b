"""The interface language: translators, the default locale, the .ts kept complete and sound."""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, QSettings
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from crm_desk import config
from crm_desk.store.db import Database
from crm_desk.ui import i18n, i18n_build
from crm_desk.ui.dialogs.welcome import WelcomeWizard
from crm_desk.ui.labels import status_label
from crm_desk.ui.main_window import MainWindow

TS = i18n_build.ts_path("ja")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@pytest.fixture
def language(qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Switch languages freely; the next test finds English and the old locale again."""
    monkeypatch.setenv("CRM_DESK_CACHE_DIR", str(tmp_path / "cache"))
    before = QLocale()
    yield
    i18n.install_translators(qapp, "en")
    QLocale.setDefault(before)


def _messages() -> list[ET.Element]:
    return list(ET.parse(TS).getroot().iter("message"))


def test_japanese_translates_our_strings_and_qt_s_own(
    qapp: QApplication, language: None, ui_db: Database, settings: QSettings, qtbot: QtBot
) -> None:
    assert i18n.install_translators(qapp, "ja") == "ja"
    window = MainWindow(ui_db, settings=settings)
    qtbot.addWidget(window)
    assert window.refresh_action.text() == "最新の情報に更新(&R)"
    assert status_label("pending") == "保留中"
    assert QCoreApplication.translate("QWizard", "&Finish") == "完了(&F)"  # qtbase_ja
    assert QLocale().language() == QLocale.Language.Japanese
    assert QLocale().toString(1234567) == "1,234,567"


def test_the_welcome_wizard_speaks_japanese(
    qapp: QApplication, language: None, qtbot: QtBot, tmp_path: Path
) -> None:
    i18n.install_translators(qapp, "ja")
    settings = config.Config(tmp_path / "config.toml")
    wizard = WelcomeWizard(settings, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    qtbot.addWidget(wizard)
    assert wizard.windowTitle() == "crm-desk へようこそ"
    assert wizard.database_page.title() == "チケットの保存先"
    assert wizard.buttonText(QWizard.WizardButton.NextButton).startswith("次へ")


def test_english_stays_english(qapp: QApplication, language: None, qtbot: QtBot) -> None:
    i18n.install_translators(qapp, "ja")
    assert i18n.install_translators(qapp, "en") == "en"  # replaces the Japanese translators
    assert status_label("pending") == "Pending"
    assert QCoreApplication.translate("MainWindow", "&Refresh") == "&Refresh"
    assert QLocale().language() == QLocale.Language.English


@pytest.mark.parametrize(
    ("setting", "system", "expected"),
    [
        ("system", "ja_JP", "ja"),
        ("system", "en_GB", "en"),
        ("system", "fr_FR", "en"),  # no French yet: the source language
        ("ja", "en_US", "ja"),  # the override wins
        ("en", "ja_JP", "en"),
    ],
)
def test_the_language_follows_the_system_unless_overridden(
    setting: str, system: str, expected: str
) -> None:
    assert i18n.resolve_language(setting, QLocale(system)) == expected


def test_a_system_locale_of_that_language_keeps_its_region() -> None:
    assert i18n.locale_for("en", QLocale("en_GB")).name() == "en_GB"
    assert i18n.locale_for("ja", QLocale("en_GB")).name() == "ja_JP"


def test_a_checkout_compiles_the_translation_once_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "i18n"
    sources.mkdir()
    shutil.copy(TS, sources / TS.name)
    monkeypatch.setattr(i18n_build, "translations_dir", lambda: sources)
    monkeypatch.setenv("CRM_DESK_CACHE_DIR", str(tmp_path / "cache"))

    compiled = i18n.compiled_translation("ja")
    assert compiled is not None and compiled.parent == tmp_path / "cache" / "i18n"
    assert compiled.stat().st_size > 1000
    assert i18n.compiled_translation("ja") == compiled  # the second start reuses it

    # An edited source gets a new compiled file; the old one is cleaned away.
    with (sources / TS.name).open("a", encoding="utf-8") as ts:
        ts.write("\n")
    recompiled = i18n.compiled_translation("ja")
    assert recompiled is not None and recompiled != compiled
    assert not compiled.exists()

    # A packaged .qm beside the source is used when it is current, ignored when stale.
    shipped = sources / "crm_desk_ja.qm"
    shutil.copy(recompiled, shipped)
    assert i18n.compiled_translation("ja") == shipped
    old = (sources / TS.name).stat().st_mtime - 60
    os.utime(shipped, (old, old))
    assert i18n.compiled_translation("ja") == recompiled


def test_every_string_has_a_finished_translation() -> None:
    """Fails while a new string waits for its translation: `i18n_build update`, translate."""
    missing = i18n_build.untranslated(TS)
    assert not missing, "\n".join(f"[{m.context}] {m.source!r}" for m in missing)


def test_translations_keep_placeholders_and_shortcuts() -> None:
    assert len(_messages()) > 100
    for message in _messages():
        source = message.findtext("source", "")
        translation = message.findtext("translation", "")
        if not translation:
            continue  # reported by the completeness test
        # .format() fills the same fields, or a value would be lost (or raise).
        assert sorted(PLACEHOLDER.findall(translation)) == sorted(PLACEHOLDER.findall(source)), (
            source
        )
        # A keyboard shortcut in English stays a shortcut in Japanese: "(&R)".
        if re.search(r"&[^&\s]", source):
            assert re.search(r"&[^&\s]", translation), source


def test_strings_written_around_lupdate_are_found() -> None:
    source = '''
from PySide6.QtCore import QCoreApplication

CONTEXT = "Panel"


def _tr(text: str) -> str:
    """Shorthand."""
    return QCoreApplication.translate("Sidebar", text)


def titles(column: int, busy: bool) -> list[str]:
    names = {1: "Number", 2: "Subject"}
    return [
        _tr("Unassigned"),
        QCoreApplication.translate("QueueView", "Loading…" if busy else "No tickets"),
        QCoreApplication.translate(CONTEXT, "Orders"),
        QCoreApplication.translate("QueueModel", names[column]),
        _tr(str(column)),  # not a literal: nothing to extract
    ]
'''
    assert sorted(i18n_build.hidden_messages(source)) == [
        ("Panel", "Orders"),
        ("QueueModel", "Number"),
        ("QueueModel", "Subject"),
        ("QueueView", "Loading…"),
        ("QueueView", "No tickets"),
        ("Sidebar", "Unassigned"),
    ]
