"""Mail commands of ``crm-desk``: mailboxes, sync, quarantine."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from crm_desk import secrets
from crm_desk.cli_output import emit_json
from crm_desk.core.queries import iso
from crm_desk.errors import ValidationError
from crm_desk.store.db import Database
from crm_desk.store.models import Mailbox, Quarantine, SyncState


def _read_secret(args: argparse.Namespace) -> str:
    if args.password_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        what = "access token" if args.auth == "xoauth2" else "password"
        secret = getpass.getpass(f"{what} for {args.username}: ")
    else:
        raise ValidationError("no terminal to ask for the password: use --password-stdin")
    if not secret:
        raise ValidationError("the password is empty")
    return secret


def mailbox_json(mailbox: Mailbox, states: list[SyncState]) -> dict[str, Any]:
    return {
        "name": mailbox.name,
        "address": mailbox.address,
        "imap": {
            "host": mailbox.imap_host,
            "port": mailbox.imap_port,
            "tls": mailbox.imap_tls,
            "username": mailbox.username,
            "auth": mailbox.auth,
        },
        "smtp": {"host": mailbox.smtp_host, "port": mailbox.smtp_port, "tls": mailbox.smtp_tls},
        "folders": list(mailbox.folders),
        "after_import": mailbox.after_import,
        "active": mailbox.active,
        "sync": [
            {
                "folder": s.folder,
                "uidvalidity": s.uidvalidity,
                "highest_uid": s.highest_uid,
                "last_sync_at": iso(s.last_sync_at),
                "last_error": s.last_error,
            }
            for s in states
        ],
    }


def cmd_mailbox_add(args: argparse.Namespace, db: Database) -> int:
    from crm_desk.core import mailboxes

    secrets.backend()  # fail before asking for a password that cannot be kept
    secret = _read_secret(args)
    with db.write() as session:
        mailbox = mailboxes.add_mailbox(
            session,
            None,
            name=args.name,
            address=args.address,
            imap_host=args.imap_host,
            imap_port=args.imap_port,
            imap_tls=args.imap_tls,
            username=args.username or args.address,
            folders=args.folder or ["INBOX"],
            after_import=args.after_import,
            auth=args.auth,
            smtp_host=args.smtp_host,
            smtp_port=args.smtp_port,
            smtp_tls=args.smtp_tls,
        )
        # Inside the transaction: if the keyring refuses, the mailbox is not added either.
        secrets.set_secret(secrets.mailbox_account(mailbox.name), secret)
        data = mailbox_json(mailbox, [])
    if args.json:
        emit_json(data)
    else:
        print(f"added mailbox {data['name']} <{data['address']}>; password kept in the keyring")
    return 0


def cmd_mailbox_list(args: argparse.Namespace, db: Database) -> int:
    from sqlalchemy import select

    from crm_desk.core import mailboxes

    with db.read() as session:
        data = []
        for mailbox in mailboxes.list_mailboxes(session):
            states = session.scalars(
                select(SyncState)
                .where(SyncState.mailbox_id == mailbox.id)
                .order_by(SyncState.folder)
            ).all()
            data.append(mailbox_json(mailbox, list(states)))
    if args.json:
        emit_json(data)
        return 0
    for m in data:
        state = "" if m["active"] else " (inactive)"
        imap = m["imap"]
        print(
            f"{m['name']}{state}  <{m['address']}>  {imap['host']}:{imap['port']} ({imap['tls']})"
        )
        for s in m["sync"]:
            error = f"  ERROR: {s['last_error']}" if s["last_error"] else ""
            print(
                f"    {s['folder']}: up to UID {s['highest_uid']}, last {s['last_sync_at']}{error}"
            )
    if not data:
        print("no mailboxes; add one with `crm-desk mailbox add`")
    return 0


def cmd_mailbox_remove(args: argparse.Namespace, db: Database) -> int:
    from crm_desk.core import mailboxes

    with db.write() as session:
        mailboxes.remove_mailbox(session, None, args.name)
    secrets.delete_secret(secrets.mailbox_account(args.name))
    print(f"removed mailbox {args.name} (its tickets stay)")
    return 0


def cmd_mailbox_test(args: argparse.Namespace, db: Database) -> int:
    from crm_desk.core import mailboxes
    from crm_desk.mail import imap

    with db.read() as session:
        mailbox = mailboxes.by_name(session, args.name)
        settings = imap.ImapSettings.from_mailbox(mailbox)
        credentials = imap.credentials_for(mailbox)()
        folders = list(mailbox.folders)
    settings.check_policy()
    with imap.connected(settings, credentials) as client:
        for folder in folders:
            status = client.folder_status(folder, ["MESSAGES", "UIDVALIDITY"])
            print(
                f"{folder}: {status[b'MESSAGES']} messages (UIDVALIDITY {status[b'UIDVALIDITY']})"
            )
    print(f"ok: logged in to {settings.address} as {settings.username}")
    return 0


def cmd_mailbox_reset_folder(args: argparse.Namespace, db: Database) -> int:
    from crm_desk.core import mailboxes
    from crm_desk.mail.sync import reset_folder

    with db.read() as session:
        mailbox_id = mailboxes.by_name(session, args.name).id
    reset_folder(db, mailbox_id, args.folder)
    print(
        f"{args.name} {args.folder}: the next sync fetches the folder again and skips every "
        "message already held"
    )
    return 0


def cmd_sync(args: argparse.Namespace, db: Database) -> int:
    import signal
    import threading

    from crm_desk.core import mailboxes
    from crm_desk.mail.imap import credentials_for
    from crm_desk.mail.sync import MailboxSync, SyncProgress

    with db.read() as session:
        chosen = (
            [mailboxes.by_name(session, args.mailbox)]
            if args.mailbox
            else list(mailboxes.list_mailboxes(session, active_only=True))
        )
        jobs = [(m.name, m.id, credentials_for(m)) for m in chosen]
    if not jobs:
        print("no mailboxes to sync; add one with `crm-desk mailbox add`", file=sys.stderr)
        return 1
    interactive = sys.stderr.isatty()

    def progress(p: SyncProgress) -> None:
        line = f"{p.mailbox} {p.folder}: {p.stage} {p.done:,}/{p.total:,}"
        print(
            ("\r" + line + "\033[K") if interactive else line,
            end="" if interactive else "\n",
            file=sys.stderr,
            flush=True,
        )

    if args.once:
        failed = False
        for name, mailbox_id, credentials in jobs:
            report = MailboxSync(
                db, mailbox_id, credentials, batch_size=args.batch_size, progress=progress
            ).sync_once()
            if interactive:
                print(file=sys.stderr)
            for folder in report.folders:
                print(
                    f"{name} {folder.folder}: {folder.imported} imported, "
                    f"{folder.quarantined} quarantined, {folder.skipped} already there"
                    + (f"; ERROR: {folder.error}" if folder.error else "")
                )
                failed |= folder.error is not None
        return 1 if failed else 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [
        threading.Thread(
            target=MailboxSync(
                db, mailbox_id, credentials, batch_size=args.batch_size, progress=progress
            ).run,
            args=(stop,),
            name=f"sync-{name}",
            daemon=True,
        )
        for name, mailbox_id, credentials in jobs
    ]
    for thread in threads:
        thread.start()
    print(f"syncing {len(threads)} mailbox(es); Ctrl+C stops", file=sys.stderr)
    try:
        while any(t.is_alive() for t in threads) and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    return 0


def quarantine_json(entry: Quarantine, *, with_raw: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": entry.id,
        "mailbox_id": entry.mailbox_id,
        "folder": entry.folder,
        "uidvalidity": entry.uidvalidity,
        "uid": entry.uid,
        "reason": entry.reason,
        "size": len(entry.raw),
        "sha256": entry.raw_sha256,
        "created_at": iso(entry.created_at),
        "resolved_at": iso(entry.resolved_at),
    }
    if with_raw:
        data["raw"] = entry.raw.decode("utf-8", errors="replace")
    return data


def cmd_quarantine_list(args: argparse.Namespace, db: Database) -> int:
    from crm_desk.core import quarantine

    with db.read() as session:
        data = [
            quarantine_json(e) for e in quarantine.list_entries(session, include_resolved=args.all)
        ]
    if args.json:
        emit_json(data)
        return 0
    for e in data:
        where = f"{e['folder']} UID {e['uid']}" if e["uid"] else "-"
        print(f"{e['id']:>6}  {e['created_at'][:19]}  {e['size']:>9,} B  {where}  {e['reason']}")
    if not data:
        print("the quarantine is empty")
    return 0


def cmd_quarantine_show(args: argparse.Namespace, db: Database) -> int:
    from crm_desk.core import quarantine

    with db.read() as session:
        entry = quarantine.get_entry(session, args.id)
        data = quarantine_json(entry, with_raw=args.json)
        raw = entry.raw
    if args.json:
        emit_json(data)
    elif args.raw:
        sys.stdout.buffer.write(raw)
    else:
        print(f"quarantine entry {data['id']}: {data['reason']}")
        print(f"{data['size']:,} bytes, sha256 {data['sha256']}; --raw prints the message as kept")
    return 0


def cmd_quarantine_retry(args: argparse.Namespace, db: Database) -> int:
    from crm_desk.core import quarantine

    with db.write() as session:
        outcome = quarantine.retry(session, None, args.id)
    data = {
        "ok": not outcome.quarantined,
        "ticket": outcome.ticket_id,
        "message_id": outcome.message_id,
        "reason": outcome.reason,
    }
    if args.json:
        emit_json(data)
    elif outcome.quarantined:
        print(f"still cannot be parsed: {outcome.reason}")
    else:
        print(f"filed into ticket #{outcome.ticket_id} ({outcome.reason})")
    return 0 if data["ok"] else 1


def add_commands(commands: Any, json_flag: Any) -> None:
    """Register the mail commands on the main parser's subcommands."""
    mailbox = commands.add_parser("mailbox", help="shared mailboxes").add_subparsers(
        metavar="ACTION", required=True
    )
    add = mailbox.add_parser("add", help="add a mailbox (its password goes to the keyring)")
    add.add_argument("name")
    add.add_argument("--address", required=True)
    add.add_argument("--imap-host", required=True)
    add.add_argument("--imap-port", type=int, default=993)
    add.add_argument("--imap-tls", choices=["ssl", "starttls", "none"], default="ssl")
    add.add_argument("--username", help="login name (default: the address)")
    add.add_argument(
        "--auth",
        choices=["password", "xoauth2"],
        default="password",
        help="xoauth2: the secret read is an OAuth2 access token",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--folder", action="append", metavar="F", help="folder to sync (repeatable)")
    add.add_argument("--after-import", default="none", metavar="none|seen|move:FOLDER")
    add.add_argument("--smtp-host")
    add.add_argument("--smtp-port", type=int)
    add.add_argument("--smtp-tls", choices=["ssl", "starttls", "none"])
    json_flag(add)
    add.set_defaults(db_handler=cmd_mailbox_add)
    listing = mailbox.add_parser("list", help="mailboxes and their sync state")
    json_flag(listing)
    listing.set_defaults(db_handler=cmd_mailbox_list)
    test = mailbox.add_parser("test", help="log in and look at the configured folders")
    test.add_argument("name")
    test.set_defaults(db_handler=cmd_mailbox_test)
    reset = mailbox.add_parser(
        "reset-folder", help="accept a folder's new UIDVALIDITY (it was recreated on the server)"
    )
    reset.add_argument("name")
    reset.add_argument("folder")
    reset.set_defaults(db_handler=cmd_mailbox_reset_folder)
    remove = mailbox.add_parser("remove", help="stop syncing a mailbox (tickets stay)")
    remove.add_argument("name")
    remove.set_defaults(db_handler=cmd_mailbox_remove)

    sync = commands.add_parser("sync", help="fetch mail into tickets (headless)")
    sync.add_argument("--once", action="store_true", help="one pass, then exit")
    sync.add_argument("--mailbox", metavar="NAME", help="only this mailbox")
    sync.add_argument("--batch-size", type=int, default=200, metavar="N")
    sync.set_defaults(db_handler=cmd_sync)

    quarantine = commands.add_parser(
        "quarantine", help="messages that could not be parsed"
    ).add_subparsers(metavar="ACTION", required=True)
    ql = quarantine.add_parser("list", help="list quarantined messages")
    ql.add_argument("--all", action="store_true", help="include entries retried successfully")
    json_flag(ql)
    ql.set_defaults(db_handler=cmd_quarantine_list)
    qs = quarantine.add_parser("show", help="one entry (--raw: the message bytes as kept)")
    qs.add_argument("id", type=int)
    qs.add_argument("--raw", action="store_true")
    json_flag(qs)
    qs.set_defaults(db_handler=cmd_quarantine_show)
    qr = quarantine.add_parser("retry", help="parse again; on success file it as new mail")
    qr.add_argument("id", type=int)
    json_flag(qr)
    qr.set_defaults(db_handler=cmd_quarantine_retry)
