"""Look at the main window as a user would: ``python -m tests.ui.screenshot OUT.png``.

Builds a temporary demo database (``core.demo``: Japanese and English customers, orders,
deals, threaded tickets), opens the main window offscreen as the demo team lead with the app's
style sheet and translations, opens a customer's ticket, waits for every part to load, and
saves a PNG (``--language ja`` for Japanese). Japanese needs a CJK font installed
(Debian: ``fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # after choosing the platform
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from crm_desk.core import demo
from crm_desk.store.models import Order, Ticket, TicketStatus
from crm_desk.store.schema import open_database
from crm_desk.ui import tasks
from crm_desk.ui.actor import find_actor
from crm_desk.ui.app import create_application
from crm_desk.ui.i18n import install_translators
from crm_desk.ui.main_window import MainWindow


def _wait(app: QApplication, done: object, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if callable(done) and done():
            return True
        time.sleep(0.02)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--language", choices=("en", "ja"), default="en")
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--width", type=int, default=1480)
    parser.add_argument("--height", type=int, default=860)
    args = parser.parse_args(argv)

    app = create_application([sys.argv[0], "-platform", os.environ["QT_QPA_PLATFORM"]])
    install_translators(app, args.language)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'screenshot.sqlite3'}")
        demo.build_demo(db, tickets=args.tickets)
        with db.read() as session:
            # An open ticket of a customer with orders: every part of the window has content.
            ticket_id = session.scalar(
                select(Ticket.id)
                .join(Order, Order.contact_id == Ticket.contact_id)
                .where(Ticket.status == TicketStatus.OPEN)
                .group_by(Ticket.id)
                .order_by(func.count(Order.id).desc(), Ticket.id)
                .limit(1)
            )
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(db, find_actor(db, demo.DEMO_LEAD_EMAIL), settings=settings, live=False)
        window.resize(args.width, args.height)
        window.show()
        window.sidebar.select_key("all_open")
        loaded = _wait(
            app,
            lambda: (
                window.sidebar.selected_key() == "all_open"
                and tasks.is_idle()
                and window.model.rowCount() > 0
            ),
        )
        if ticket_id is not None:
            window.open_ticket(ticket_id)
            loaded = loaded and _wait(
                app,
                lambda: (
                    tasks.is_idle()
                    and window.conversation.ticket_id == ticket_id
                    and window.customer_panel.history is not None
                ),
            )
        if not loaded:
            print("the window did not load", file=sys.stderr)
            return 1
        _wait(app, lambda: False, 0.3)  # let everything paint
        ok = window.grab().save(str(args.output))
        tasks.install_error_handler(None)
        window.close()
        tasks.shutdown()
        db.dispose()
    print(f"{'saved' if ok else 'could not save'} {args.output}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
