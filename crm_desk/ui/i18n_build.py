"""Translation sources and their compiled form: ``python -m crm_desk.ui.i18n_build COMMAND``.

Commands:

``update``
    Run Qt's ``lupdate`` over the user interface (``crm_desk/ui/**/*.py``, and
    ``crm_desk/config.py`` for the settings' labels) into ``resources/i18n/crm_desk_<lang>.ts``.
    Existing translations are kept; new strings arrive marked unfinished; strings no longer in
    the code are dropped (``-no-obsolete``). Source locations are left out (``-locations
    none``), so moving code around does not rewrite the whole file.
``build``
    Compile every ``.ts`` with ``lrelease`` into the ``.qm`` beside it. The ``.qm`` is a build
    output (git ignores it): packaging runs this before bundling. A checkout needs no build
    step: ``crm_desk.ui.i18n`` compiles a missing or outdated ``.qm`` into the cache directory.
``check``
    List strings without a finished translation; exit status 1 if there are any.

Both tools ship with PySide6 (the ``pyside6-lupdate`` / ``pyside6-lrelease`` wrappers run
the binaries inside the PySide6 package, which this module calls directly).

This module imports no Qt, so it also runs where no display is available.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "crm_desk"
LANGUAGES = ("ja",)  # English is the source language: it needs no translation file


def translations_dir() -> Path:
    """``resources/i18n``: the ``.ts`` sources, and ``.qm`` files once built."""
    return ROOT / "resources" / "i18n"


def ts_path(language: str) -> Path:
    return translations_dir() / f"crm_desk_{language}.ts"


def find_qt_tool(name: str) -> Path | None:
    """Qt's ``lupdate`` or ``lrelease``: the one inside PySide6, else one on the PATH."""
    spec = importlib.util.find_spec("PySide6")
    executable = name + (".exe" if sys.platform == "win32" else "")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / executable
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return bundled
    for candidate in (f"pyside6-{name}", name, f"{name}-qt6"):
        found = shutil.which(candidate)
        if found:
            return Path(found)
    return None


class ToolMissingError(RuntimeError):
    pass


def _tool(name: str) -> Path:
    tool = find_qt_tool(name)
    if tool is None:
        raise ToolMissingError(
            f"Qt's {name} was not found: install PySide6 (it ships pyside6-{name})"
        )
    return tool


def ui_sources() -> list[Path]:
    sources = sorted((PACKAGE / "ui").rglob("*.py"))
    return [PACKAGE / "config.py", *sources]


# --- strings lupdate cannot see ----------------------------------------------------------------
#
# lupdate reads ``self.tr("…")`` and ``QCoreApplication.translate("Context", "…")`` with literal
# arguments. Two common shapes escape it, so they are found here and handed to it as a stub:
#
# * a module's shorthand ``def _tr(text): return QCoreApplication.translate("Context", text)``
#   and its calls ``_tr("Pending")``;
# * a context held in a module constant, a text chosen by ``"a" if busy else "b"``, or looked
#   up in a dict literal of texts (``translate("QueueModel", titles[column])``).


def _string_constants(tree: ast.Module) -> dict[str, str]:
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    constants[target.id] = node.value.value
    return constants


def _string(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _texts(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _texts(node.body) + _texts(node.orelse)
    return []


def _is_translate(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("translate", "QT_TRANSLATE_NOOP") and len(call.args) >= 2


def _shorthands(tree: ast.Module, constants: dict[str, str]) -> dict[str, str]:
    """Module functions whose only job is ``translate(<fixed context>, <their argument>)``."""
    found = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.args.args:
            continue
        body = [
            s
            for s in node.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        ]
        if len(body) != 1 or not isinstance(body[0], ast.Return):
            continue
        call = body[0].value
        if not isinstance(call, ast.Call) or not _is_translate(call):
            continue
        context = _string(call.args[0], constants)
        text = call.args[1]
        if context and isinstance(text, ast.Name) and text.id == node.args.args[0].arg:
            found[node.name] = context
    return found


def _dict_literals(scope: ast.AST) -> dict[str, ast.Dict]:
    """Names bound to a dict literal in ``scope`` (``titles = {Column.NUMBER: "Number"}``)."""
    found = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Dict):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
    return found


def _looked_up(text: ast.expr, scopes: list[dict[str, ast.Dict]]) -> list[str]:
    """The texts of ``titles[column]`` when ``titles`` is a dict literal of strings."""
    if not (isinstance(text, ast.Subscript) and isinstance(text.value, ast.Name)):
        return []
    for scope in scopes:
        table = scope.get(text.value.id)
        if table is not None:
            return [t for value in table.values for t in _texts(value)]
    return []


def hidden_messages(source: str) -> list[tuple[str, str]]:
    """(context, text) pairs of ``source`` written in a shape lupdate does not read."""
    tree = ast.parse(source)
    constants = _string_constants(tree)
    shorthands = _shorthands(tree, constants)
    module_dicts = _dict_literals(tree)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    local_dicts = {id(f): _dict_literals(f) for f in functions}
    enclosing = {id(call): f for f in functions for call in ast.walk(f)}
    messages = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        if isinstance(node.func, ast.Name) and node.func.id in shorthands:
            context: str | None = shorthands[node.func.id]
            text = node.args[0]
        elif _is_translate(node):
            context, text = _string(node.args[0], constants), node.args[1]
        else:
            continue
        if not context:
            continue
        function = enclosing.get(id(node))
        scopes = [local_dicts[id(function)]] if function is not None else []
        texts = _texts(text) or _looked_up(text, [*scopes, module_dicts])
        messages += [(context, t) for t in texts]
    return messages


def _stub(sources: list[Path]) -> str:
    lines = ["from PySide6.QtCore import QCoreApplication", ""]
    seen = set()
    for path in sources:
        for context, text in hidden_messages(path.read_text(encoding="utf-8")):
            if (context, text) not in seen:
                seen.add((context, text))
                lines.append(f"QCoreApplication.translate({context!r}, {text!r})")
    return "\n".join(lines) + "\n"


def update(languages: tuple[str, ...] = LANGUAGES) -> None:
    tool = _tool("lupdate")
    translations_dir().mkdir(parents=True, exist_ok=True)
    sources = ui_sources()
    with tempfile.TemporaryDirectory() as temporary:
        stub = Path(temporary) / "hidden_messages.py"
        stub.write_text(_stub(sources), encoding="utf-8")
        inputs = [str(path.relative_to(ROOT)) for path in sources] + [str(stub)]
        for language in languages:
            target = ts_path(language).relative_to(ROOT)
            options = ["-source-language", "en", "-target-language", language]
            options += ["-locations", "none", "-no-obsolete"]
            subprocess.run([str(tool), *inputs, *options, "-ts", str(target)], check=True, cwd=ROOT)


def release(ts: Path, qm: Path) -> None:
    """Compile ``ts`` to ``qm``; the file appears whole or not at all."""
    tool = _tool("lrelease")
    qm.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=qm.name, suffix=".tmp", dir=qm.parent)
    os.close(handle)
    try:
        subprocess.run(
            [str(tool), "-silent", str(ts), "-qm", temporary],
            check=True,
            capture_output=True,
            text=True,
        )
        Path(temporary).replace(qm)
    finally:
        Path(temporary).unlink(missing_ok=True)


def build() -> list[Path]:
    built = []
    for ts in sorted(translations_dir().glob("crm_desk_*.ts")):
        qm = ts.with_suffix(".qm")
        release(ts, qm)
        built.append(qm)
    return built


@dataclass(frozen=True)
class Untranslated:
    context: str
    source: str


def untranslated(ts: Path) -> list[Untranslated]:
    """Messages of ``ts`` with an empty or unfinished translation (plural forms included)."""
    missing = []
    root = ET.parse(ts).getroot()
    for context in root.iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            source = message.findtext("source", "")
            if translation is None:
                missing.append(Untranslated(name, source))
                continue
            kind = translation.get("type", "")
            if kind in ("obsolete", "vanished"):
                continue  # no longer in the code
            forms = translation.findall("numerusform")
            texts = [form.text or "" for form in forms] if forms else [translation.text or ""]
            if kind == "unfinished" or not all(text.strip() for text in texts):
                missing.append(Untranslated(name, source))
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crm_desk.ui.i18n_build",
        description="Update the translation sources (.ts) or compile them (.qm).",
    )
    parser.add_argument("command", choices=["update", "build", "check"])
    args = parser.parse_args(argv)
    try:
        if args.command == "update":
            update()
        elif args.command == "build":
            for qm in build():
                print(f"built {qm.relative_to(ROOT)}")
        else:
            missing = [
                (language, m) for language in LANGUAGES for m in untranslated(ts_path(language))
            ]
            for language, message in missing:
                print(f"{language} [{message.context}] {message.source!r}: not translated")
            return 1 if missing else 0
    except (ToolMissingError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        print(f"{exc} {detail}".strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
