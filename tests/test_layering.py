"""Qt lives only in crm_desk/ui: the rest runs headless (CLI, services, tests)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "crm_desk"
HEADLESS = ("core", "store", "mail", "forms")


def test_headless_packages_import_no_qt() -> None:
    """Import every module of the headless packages (and the CLI) in a fresh interpreter."""
    script = f"""
import importlib, pkgutil, sys
import crm_desk, crm_desk.cli, crm_desk.config
for name in {HEADLESS!r}:
    package = importlib.import_module("crm_desk." + name)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".migrations.versions." in info.name or info.name.endswith("migrations.env"):
            continue  # loaded by Alembic, not importable on their own
        importlib.import_module(info.name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
print(len([m for m in sys.modules if m.startswith("crm_desk.")]))
sys.exit("Qt imported: " + ", ".join(qt) if qt else 0)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 15  # it really imported the modules


def test_no_qt_import_statement_outside_ui() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == "ui":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path}: {n}" for n in names if n.split(".")[0] in ("PySide6", "shiboken6")
            ]
    assert offenders == []
