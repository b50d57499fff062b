"""run_gui end to end in a fresh process, as CI smoke-tests it; and resource_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from crm_desk.resources import resource_path
from crm_desk.store.schema import open_database
from crm_desk.ui.app import QUIT_AFTER_ENV
from tests.ui.data import seed_tickets

REPO = Path(__file__).resolve().parents[2]


def test_resource_path_finds_the_style_sheet() -> None:
    path = resource_path("style.qss")
    assert path == REPO / "resources" / "style.qss"
    assert path.is_file()


def test_run_gui_opens_and_quits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'smoke.sqlite3'}"
    db = open_database(url)
    seed_tickets(db, 5)
    db.dispose()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        QUIT_AFTER_ENV: "500",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # QSettings writes here, not to ~
        "HOME": str(tmp_path),
    }
    code = (
        "import sys\n"
        "from crm_desk.store.schema import open_database\n"
        "from crm_desk.ui.app import run_gui\n"
        f"sys.exit(run_gui(open_database({url!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    noise = "This plugin does not support propagateSizeHints()"  # offscreen; see conftest
    assert [line for line in result.stderr.splitlines() if line != noise] == []
    settings = tmp_path / "config" / "crm-desk" / "crm-desk.conf"
    assert settings.is_file()  # closing saved the window layout
    assert "geometry" in settings.read_text()
