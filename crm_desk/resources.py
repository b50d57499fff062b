"""Where the files under ``resources/`` are: one ``resource_path()`` for every way of running.

* a checkout (``make run``, an editable install): ``resources/`` beside the package;
* a frozen app (PyInstaller): ``resources/`` inside the bundle (``sys._MEIPASS``);
* an installed package: ``<prefix>/share/crm-desk/resources`` (the wheel's data files).

The first that exists wins. Qt-free, so the headless services can find templates too.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _candidates() -> list[Path]:
    found: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        found.append(Path(bundle) / "resources")
    found.append(Path(__file__).resolve().parents[1] / "resources")
    found.append(Path(sys.prefix) / "share" / "crm-desk" / "resources")
    return found


def resources_dir() -> Path:
    for candidate in _candidates():
        if candidate.is_dir():
            return candidate
    return _candidates()[0]  # none found: name the first, so the error says where we looked


def resource_path(*parts: str) -> Path:
    """A file under ``resources/`` (it may not exist; callers say what is missing)."""
    return resources_dir().joinpath(*parts)
