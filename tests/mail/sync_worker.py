"""Run one ``MailboxSync.sync_once()`` in its own process, for tests that kill it or run two at
once, and for the benchmark (which measures this process's peak memory).

    python -m tests.mail.sync_worker --db URL --mailbox-id N --user U --password P [--batch-size B]

Prints the sync report as JSON on stdout; exits 0 on success, 1 with the error on stderr.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import asdict

from crm_desk.errors import CrmDeskError
from crm_desk.mail.sync import Credentials, MailboxSync
from crm_desk.store.db import Database


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return round(usage.ru_utime + usage.ru_stime, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--mailbox-id", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--fetch",
        choices=("auto", "inline", "child"),
        default="auto",
        help="who fetches and parses",
    )
    args = parser.parse_args(argv)
    db = Database(args.db)
    sync = MailboxSync(
        db,
        args.mailbox_id,
        lambda: Credentials(args.user, args.password, "password"),
        batch_size=args.batch_size,
        parallel={"auto": None, "inline": False, "child": True}[args.fetch],
    )
    started = time.perf_counter()
    try:
        report = sync.sync_once()
    except CrmDeskError as exc:
        print(f"sync failed: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    result = {
        "seconds": time.perf_counter() - started,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "cpu_s": _cpu_seconds(resource.RUSAGE_SELF),
        "cpu_parser_s": _cpu_seconds(resource.RUSAGE_CHILDREN),  # the parser process, if any
        "report": asdict(report),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
