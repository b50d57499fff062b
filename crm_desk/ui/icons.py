"""The app's icons: SVGs under ``resources/icons``, drawn at any size by Qt's SVG icon engine."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from crm_desk.resources import resource_path


@cache
def icon(name: str) -> QIcon:
    """``resources/icons/<name>.svg``; an empty icon (text only) when the file is missing."""
    path = resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()
