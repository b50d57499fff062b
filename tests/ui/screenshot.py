"""Look at the queue window as a user would: ``python -m tests.ui.screenshot OUT.png``.

Builds a temporary SQLite database with a realistic mixed queue (Japanese and English), opens
the main window offscreen with the app's style sheet, waits for the rows, saves a PNG.
Japanese needs a CJK font installed (Debian: ``fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # after choosing the platform

from crm_desk.store.schema import open_database
from crm_desk.ui import tasks
from crm_desk.ui.app import create_application
from crm_desk.ui.main_window import MainWindow
from tests.ui.data import seed_showcase


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--tickets", type=int, default=60)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args(argv)

    app = create_application([sys.argv[0], "-platform", os.environ["QT_QPA_PLATFORM"]])
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'screenshot.sqlite3'}")
        seed_showcase(db, args.tickets)
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(db, settings=settings)
        window.resize(args.width, args.height)
        window.show()
        # Wait for the first page and the count (each an Op), then let the view paint.
        if not tasks.wait_idle(30_000) or window.model.rowCount() == 0:
            print("the queue did not load", file=sys.stderr)
            return 1
        app.processEvents()
        ok = window.grab().save(str(args.output))
        tasks.install_error_handler(None)
        window.close()
        tasks.shutdown()
        db.dispose()
    print(f"{'saved' if ok else 'could not save'} {args.output}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
