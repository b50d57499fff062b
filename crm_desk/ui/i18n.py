"""The interface language: Qt translators and the default locale for dates and amounts.

``install_translators(app, language)`` takes the ``language`` setting: ``"system"`` follows
the desktop's preferred languages, ``"en"`` or ``"ja"`` override it. It loads Qt's own
translation (``qtbase_<lang>.qm``: the buttons of standard dialogs) and ours
(``crm_desk_<lang>.qm``) and makes the matching ``QLocale`` the default, so every
``QLocale()`` formats dates and numbers the way the interface reads.

Where our ``.qm`` comes from: a packaged app ships it in ``resources/i18n`` (built by
``python -m crm_desk.ui.i18n_build build``). A checkout has only the ``.ts`` source; then it is
compiled once with PySide6's ``lrelease`` into the cache directory, under a name keyed by the
source's content, so an edited ``.ts`` is picked up at the next start.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from crm_desk import config
from crm_desk.resources import resource_path
from crm_desk.ui import i18n_build

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
SUPPORTED = ("en", "ja")
_TRANSLATOR_NAME = "crmDeskTranslator"


def translations_dir() -> Path:
    return resource_path("i18n")  # a checkout, a frozen app or an installed package


def resolve_language(language: str, system: QLocale | None = None) -> str:
    """The interface language for the ``language`` setting: one of ``SUPPORTED``."""
    if language in SUPPORTED:
        return language
    locale = system if system is not None else QLocale.system()
    # The desktop's languages in order of preference ("ja-JP", "en-US", ...).
    for name in [*locale.uiLanguages(), locale.name()]:
        code = name.replace("_", "-").split("-")[0].lower()
        if code in SUPPORTED:
            return code
    return SOURCE_LANGUAGE


def locale_for(code: str, system: QLocale | None = None) -> QLocale:
    """The system locale when it speaks ``code`` (keeping its region's formats), else the
    language's main region."""
    current = system if system is not None else QLocale.system()
    if current.name().split("_")[0] == code:
        return current
    if code == "ja":
        return QLocale(QLocale.Language.Japanese, QLocale.Country.Japan)
    return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)


def compiled_translation(code: str) -> Path | None:
    """Our ``.qm`` for ``code``: shipped and current, or compiled into the cache; None if
    neither is possible (then the interface stays in English, and the log says why)."""
    ts = i18n_build.ts_path(code)
    shipped = ts.with_suffix(".qm")
    if shipped.is_file() and (not ts.is_file() or shipped.stat().st_mtime >= ts.stat().st_mtime):
        return shipped
    if not ts.is_file():
        log.warning("no translation for %s in %s", code, translations_dir())
        return None
    digest = hashlib.sha256(ts.read_bytes()).hexdigest()[:16]
    cache = config.cache_dir() / "i18n"
    cached = cache / f"crm_desk_{code}-{digest}.qm"
    if cached.is_file():
        return cached
    try:
        i18n_build.release(ts, cached)
    except (i18n_build.ToolMissingError, subprocess.CalledProcessError, OSError) as exc:
        log.warning("cannot compile the %s translation: %s", code, exc)
        return None
    for old in cache.glob(f"crm_desk_{code}-*.qm"):
        if old != cached:
            old.unlink(missing_ok=True)  # a previous version of the source
    return cached


def _load(app: QCoreApplication, name: str, directory: str) -> bool:
    translator = QTranslator(app)  # the application owns it, and keeps it alive
    translator.setObjectName(_TRANSLATOR_NAME)
    if translator.load(name, directory):
        app.installTranslator(translator)
        return True
    translator.deleteLater()
    return False


def install_translators(app: QCoreApplication, language: str) -> str:
    """Translate the interface into ``language`` ("system", "en", "ja"); the code chosen.

    Call it before creating any widget: texts are translated when a widget is built.
    Calling it again replaces the translators installed before.
    """
    for old in app.findChildren(QTranslator, _TRANSLATOR_NAME):
        app.removeTranslator(old)
        old.setParent(None)
        old.deleteLater()
    code = resolve_language(language)
    if code != SOURCE_LANGUAGE:
        qt_translations = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if not _load(app, f"qtbase_{code}", qt_translations):
            log.info("no Qt translation for %s in %s", code, qt_translations)
        ours = compiled_translation(code)
        if ours is not None and not _load(app, ours.name, str(ours.parent)):
            log.warning("cannot load the translation %s", ours)
    QLocale.setDefault(locale_for(code))
    return code
