"""An editor widget for each declared setting, chosen by its type (see ``config.Setting``).

bool: a check box; int: a spin box within the declared range; str with choices: a drop-down;
any other str: a line. Adding a setting to ``config.SETTINGS`` is enough for it to appear in
the settings dialog, on the tab of its section.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from crm_desk import config


def setting_label(setting: config.Setting) -> str:
    return QCoreApplication.translate(config.LABELS, setting.label)


def choice_label(choice: config.Choice) -> str:
    return (
        QCoreApplication.translate(config.LABELS, choice.label)
        if choice.translate
        else choice.label
    )


class SettingEditor(Protocol):
    setting: config.Setting
    widget: QWidget
    # Whether the widget shows the label itself (a check box does), rather than a form label.
    labels_itself: bool

    def value(self) -> Any: ...

    def set_value(self, value: Any) -> None: ...


class _BoolEditor:
    labels_itself = True

    def __init__(self, setting: config.Setting, parent: QWidget) -> None:
        self.setting = setting
        self.box = QCheckBox(setting_label(setting), parent)
        self.widget: QWidget = self.box

    def value(self) -> bool:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        self.box.setChecked(bool(value))


class _IntEditor:
    labels_itself = False

    def __init__(self, setting: config.Setting, parent: QWidget) -> None:
        self.setting = setting
        self.box = QSpinBox(parent)
        self.box.setRange(
            setting.minimum if setting.minimum is not None else -(2**31),
            setting.maximum if setting.maximum is not None else 2**31 - 1,
        )
        if setting.suffix:
            self.box.setSuffix(QCoreApplication.translate(config.LABELS, setting.suffix))
        self.widget: QWidget = self.box

    def value(self) -> int:
        return self.box.value()

    def set_value(self, value: Any) -> None:
        self.box.setValue(int(value))


class _ChoiceEditor:
    labels_itself = False

    def __init__(self, setting: config.Setting, parent: QWidget) -> None:
        self.setting = setting
        self.combo = QComboBox(parent)
        for choice in setting.choices:
            self.combo.addItem(choice_label(choice), choice.value)
        self.widget: QWidget = self.combo

    def value(self) -> str:
        return str(self.combo.currentData())

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value)
        self.combo.setCurrentIndex(
            index if index >= 0 else self.combo.findData(self.setting.default)
        )


class _TextEditor:
    labels_itself = False

    def __init__(self, setting: config.Setting, parent: QWidget) -> None:
        self.setting = setting
        self.line = QLineEdit(parent)
        self.widget: QWidget = self.line

    def value(self) -> str:
        return self.line.text().strip()

    def set_value(self, value: Any) -> None:
        self.line.setText(str(value))


def editor_for(setting: config.Setting, parent: QWidget) -> SettingEditor:
    """The editor for ``setting``, named ``setting_<key>`` (for tests and the style sheet)."""
    editor: SettingEditor
    if setting.type is bool:
        editor = _BoolEditor(setting, parent)
    elif setting.type is int:
        editor = _IntEditor(setting, parent)
    elif setting.choices:
        editor = _ChoiceEditor(setting, parent)
    elif setting.type is str:
        editor = _TextEditor(setting, parent)
    else:
        raise TypeError(f"no editor for a {setting.type.__name__} setting ({setting.key})")
    editor.widget.setObjectName(f"setting_{setting.key}")
    editor.widget.setAccessibleName(setting_label(setting))
    return editor
