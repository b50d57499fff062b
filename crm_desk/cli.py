"""The ``crm-desk`` command: the app (default), demo data, database, agents, tickets, search.

Errors are one line on stderr and a non-zero exit code, never a traceback:

====  =====================================================================
code  meaning
====  =====================================================================
0     done
1     error (bad value, database unreachable, schema too new, …)
2     usage error (unknown option, missing argument)
3     conflict: the ticket is claimed by someone else, or changed meanwhile
4     not found (ticket, agent, category)
5     permission denied for the acting agent's role
====  =====================================================================

``--json`` output is a stable interface for scripts; its shape is documented in README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from crm_desk import __version__, cli_mail, config
from crm_desk.cli_output import (
    agent_json,
    emit_json,
    print_detail,
    print_rows,
    row_json,
    ticket_summary_json,
)
from crm_desk.errors import (
    AlreadyClaimedError,
    ConflictError,
    CrmDeskError,
    NotFoundError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from crm_desk.store.db import Database

EXIT_ERROR, EXIT_USAGE, EXIT_CONFLICT, EXIT_NOT_FOUND, EXIT_PERMISSION = 1, 2, 3, 4, 5


class UsageError(CrmDeskError):
    pass


def _open(args: argparse.Namespace, *, upgrade: bool = True) -> Database:
    from crm_desk.store.schema import open_database

    return open_database(config.resolve_database_url(args.database), upgrade_schema=upgrade)


# --- commands -------------------------------------------------------------------------------


def cmd_gui(args: argparse.Namespace) -> int:
    from crm_desk.store.schema import open_database
    from crm_desk.ui.app import create_application, run_gui
    from crm_desk.ui.dialogs.welcome import ensure_first_start
    from crm_desk.ui.i18n import install_translators

    settings = config.Config()
    app = create_application()
    install_translators(app, str(settings.get("language")))  # before the first widget
    choice = ensure_first_start(settings, database_url=args.database)
    if choice is None:
        return 0  # the welcome flow was closed: nothing chosen, nothing saved
    return run_gui(open_database(choice.database_url), agent_email=choice.agent_email)


def cmd_demo(args: argparse.Namespace) -> int:
    from crm_desk.core import demo
    from crm_desk.store.db import sqlite_url
    from crm_desk.store.schema import open_database

    url = args.database or sqlite_url(config.demo_database_path()).render_as_string(False)
    db = open_database(url)
    if demo.is_demo_database(db):
        print(f"the demo database is already built: {db.describe()}", file=sys.stderr)
    else:
        last_stage = [""]

        def progress(stage: str, done: int, total: int) -> None:
            if stage != last_stage[0]:
                last_stage[0] = stage
                print(file=sys.stderr)
            print(f"\r  {stage}: {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

        print(f"building demo data in {db.describe()} …", end="", file=sys.stderr)
        result = demo.build_demo(db, tickets=args.tickets, seed=args.seed, progress=progress)
        print(
            f"\n{result.tickets:,} tickets, {result.messages:,} messages, "
            f"{result.contacts:,} contacts, {result.orders:,} orders in {result.seconds:.1f} s",
            file=sys.stderr,
        )
    if args.no_gui:
        return 0
    from crm_desk.ui.app import run_gui

    return run_gui(db, agent_email=demo.DEMO_LEAD_EMAIL)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from crm_desk.store.schema import upgrade

    db = Database(config.resolve_database_url(args.database))
    result = upgrade(db)
    if not result.changed:
        print(f"schema already at {result.to_revision}")
    else:
        print(f"schema upgraded from {result.from_revision or 'nothing'} to {result.to_revision}")
        if result.backup:
            print(f"backup of the previous database: {result.backup}")
    return 0


def cmd_db_info(args: argparse.Namespace) -> int:
    from crm_desk.core.queries import table_counts
    from crm_desk.store.schema import current_revision, head_revision

    db = Database(config.resolve_database_url(args.database))
    with db.engine.connect() as connection:
        revision = current_revision(connection)
    counts: dict[str, int] = {}
    if revision is not None:
        with db.read() as session:
            counts = table_counts(session)
    info = {
        "engine": db.dialect,
        "url": db.describe(),
        "schema_revision": revision,
        "schema_head": head_revision(),
        "counts": counts,
    }
    if args.json:
        emit_json(info)
    else:
        print(f"engine:   {info['engine']}\nurl:      {info['url']}")
        print(f"schema:   {revision or '(empty)'} (this crm-desk: {info['schema_head']})")
        for name, count in counts.items():
            print(f"{name + ':':<14}{count:>12,}")
    return 0


def cmd_agents_add(args: argparse.Namespace) -> int:
    from crm_desk.core import agents

    db = _open(args)
    with db.write() as session:
        agent = agents.add_agent(session, None, name=args.name, email=args.email, role=args.role)
        data = agent_json(agent)
    if args.json:
        emit_json(data)
    else:
        print(f"added {data['name']} <{data['email']}> as {data['role']}")
    return 0


def cmd_agents_list(args: argparse.Namespace) -> int:
    from crm_desk.core import agents

    db = _open(args)
    with db.read() as session:
        data = [agent_json(a) for a in agents.list_agents(session)]
    if args.json:
        emit_json(data)
    else:
        for a in data:
            state = "" if a["active"] else " (inactive)"
            print(f"{a['id']:>4}  {a['role']:<6} {a['name']} <{a['email']}>{state}")
    return 0


def cmd_team_settings_list(args: argparse.Namespace) -> int:
    from crm_desk.core import team_settings

    db = _open(args)
    with db.read() as session:
        data = [
            {"key": spec.key, "value": team_settings.get(session, spec.key), "label": spec.label}
            for spec in team_settings.SPECS
        ]
    if args.json:
        emit_json(data)
    else:
        for item in data:
            print(f"{item['key']} = {json.dumps(item['value'], ensure_ascii=False)}")
            print(f"    {item['label']}")
    return 0


def cmd_team_settings_set(args: argparse.Namespace) -> int:
    from crm_desk.core import team_settings

    spec = next((s for s in team_settings.SPECS if s.key == args.key), None)
    if spec is None:
        raise ValidationError(f"no team setting named {args.key!r}; see `team-settings list`")
    value: object = args.value
    if spec.type is not str:
        try:
            value = json.loads(args.value)  # lists and maps as JSON; numbers as they are
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{args.key} takes JSON here: {exc.msg}") from exc
    db = _open(args)
    with db.write() as session:
        team_settings.put(session, None, args.key, value)
    print(f"{args.key} = {json.dumps(value, ensure_ascii=False)}")
    return 0


def cmd_tickets_list(args: argparse.Namespace) -> int:
    from crm_desk.core import agents, queries

    db = _open(args)
    with db.read() as session:
        assignee_id = None
        unassigned = args.assignee == "none"
        if args.assignee and not unassigned:
            assignee_id = agents.by_email(session, args.assignee).id
        category_id = queries.category_by_name(session, args.category).id if args.category else None
        statuses = tuple(s for value in args.status or [] for s in value.split(",") if s)
        flt = queries.TicketFilter(
            statuses=statuses,
            assignee_id=assignee_id,
            unassigned=unassigned,
            category_id=category_id,
        )
        page = queries.list_tickets(
            session, flt, queries.TicketSort(args.sort, not args.ascending), limit=args.limit
        )
    if args.json:
        emit_json([row_json(row) for row in page.rows])
    else:
        print_rows(page.rows)
    return 0


def cmd_tickets_show(args: argparse.Namespace) -> int:
    from crm_desk.core import queries

    db = _open(args)
    with db.read() as session:
        detail = queries.ticket_detail(session, args.number)
    if args.json:
        emit_json(detail)
    else:
        print_detail(detail)
    return 0


def _ticket_write(args: argparse.Namespace, action: Callable[[Any, Any], Any]) -> int:
    """Run one ticket service as the agent named by --as and report the ticket afterwards."""
    from crm_desk.core import agents, queries

    db = _open(args)
    with db.write() as session:
        actor = agents.by_email(session, args.as_agent)
        action(session, actor)
    with db.read() as session:
        summary = ticket_summary_json(queries.ticket_detail(session, args.number))
    if args.json:
        emit_json({"ok": True, "ticket": summary})
    else:
        owner = summary["assignee"]["email"] if summary["assignee"] else "nobody"
        print(
            f"#{summary['number']} {summary['status']}, {summary['priority']}, "
            f"assigned to {owner}, version {summary['version']}"
        )
    return 0


def cmd_tickets_claim(args: argparse.Namespace) -> int:
    from crm_desk.core import tickets

    return _ticket_write(args, lambda s, actor: tickets.claim(s, actor, args.number))


def cmd_tickets_assign(args: argparse.Namespace) -> int:
    from crm_desk.core import agents, tickets

    def action(session: Any, actor: Any) -> None:
        target = None if args.to == "none" else agents.by_email(session, args.to).id
        tickets.assign(session, actor, args.number, target)

    return _ticket_write(args, action)


def cmd_tickets_set(args: argparse.Namespace) -> int:
    from crm_desk.core import queries, tickets

    if not (args.status or args.priority or args.category):
        raise UsageError("give at least one of --status, --priority, --category")

    def action(session: Any, actor: Any) -> None:
        category_id, clear = None, False
        if args.category == "none":
            clear = True
        elif args.category:
            category_id = queries.category_by_name(session, args.category).id
        edit = tickets.TicketEdit(
            status=args.status,
            priority=args.priority,
            category_id=category_id,
            clear_category=clear,
        )
        tickets.update_ticket(session, actor, args.number, edit)

    return _ticket_write(args, action)


def cmd_search(args: argparse.Namespace) -> int:
    from crm_desk.core import search

    db = _open(args)
    with db.read() as session:
        page = search.search(session, args.query, limit=args.limit, offset=args.offset)
    if args.json:
        emit_json(
            {
                "query": page.query,
                "offset": page.offset,
                "limit": page.limit,
                "has_more": page.has_more,
                "hits": [
                    {
                        "kind": h.kind,
                        "id": h.id,
                        "title": h.title,
                        "detail": h.detail,
                        "status": h.status,
                        "score": round(h.score, 6),
                    }
                    for h in page.hits
                ],
            }
        )
    else:
        for hit in page.hits:
            label = f"#{hit.id}" if hit.kind == "ticket" else f"contact {hit.id}"
            print(f"{label:>12}  {hit.status or '':<11} {hit.title}  ({hit.detail})")
        if not page.hits:
            print("no matches", file=sys.stderr)
    return 0


# --- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-desk",
        description="A desktop client for a support team's shared inbox.",
        epilog="With no command, the app opens. Exit codes: 0 ok, 1 error, 2 usage, "
        "3 conflict, 4 not found, 5 permission denied.",
    )
    parser.add_argument("--version", action="version", version=f"crm-desk {__version__}")
    parser.add_argument(
        "--database",
        metavar="URL",
        help=f"sqlite:///PATH or postgresql+psycopg://USER@HOST/DB (default: "
        f"${config.DATABASE_ENV}, "
        "the settings file, or the embedded SQLite file)",
    )
    parser.set_defaults(handler=cmd_gui)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    commands.add_parser("gui", help="open the app (the default)").set_defaults(handler=cmd_gui)

    demo = commands.add_parser("demo", help="fill a new database with demo data and open it")
    demo.add_argument("--tickets", type=_positive, default=1000, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument("--no-gui", action="store_true", help="build the data, do not open the app")
    demo.set_defaults(handler=cmd_demo)

    db = commands.add_parser("db", help="database schema and facts").add_subparsers(
        metavar="ACTION", required=True
    )
    db.add_parser("upgrade", help="upgrade the schema to this version").set_defaults(
        handler=cmd_db_upgrade
    )
    info = db.add_parser("info", help="engine, schema revision, row counts")
    _json_flag(info)
    info.set_defaults(handler=cmd_db_info)

    agents = commands.add_parser("agents", help="the team").add_subparsers(
        metavar="ACTION", required=True
    )
    add = agents.add_parser("add", help="add an agent")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--role", choices=["agent", "lead", "admin"], default="agent")
    _json_flag(add)
    add.set_defaults(handler=cmd_agents_add)
    listing = agents.add_parser("list", help="list agents")
    _json_flag(listing)
    listing.set_defaults(handler=cmd_agents_list)

    team = commands.add_parser(
        "team-settings", help="settings the whole team shares (thread tokens, form mail …)"
    ).add_subparsers(metavar="ACTION", required=True)
    team_list = team.add_parser("list", help="every team setting with its value")
    _json_flag(team_list)
    team_list.set_defaults(handler=cmd_team_settings_list)
    team_set = team.add_parser(
        "set",
        help="change one (lists and maps as JSON)",
        epilog="example: crm-desk team-settings set form_mail_senders '[\"form@example.jp\"]'",
    )
    team_set.add_argument("key")
    team_set.add_argument("value")
    team_set.set_defaults(handler=cmd_team_settings_set)

    tickets = commands.add_parser("tickets", help="the queue").add_subparsers(
        metavar="ACTION", required=True
    )
    tl = tickets.add_parser("list", help="list tickets, newest activity first")
    tl.add_argument(
        "--status", action="append", metavar="S", help="status (repeat or comma-separate)"
    )
    tl.add_argument("--assignee", metavar="EMAIL|none")
    tl.add_argument("--category", metavar="NAME", help="category name (Japanese or English)")
    tl.add_argument("--limit", type=_positive, default=50, metavar="N")
    tl.add_argument(
        "--sort",
        choices=["updated", "created", "number", "priority", "status", "subject"],
        default="updated",
    )
    tl.add_argument("--ascending", action="store_true")
    _json_flag(tl)
    tl.set_defaults(handler=cmd_tickets_list)

    show = tickets.add_parser("show", help="a ticket with its messages and customer history")
    show.add_argument("number", type=_ticket_number)
    _json_flag(show)
    show.set_defaults(handler=cmd_tickets_show)

    claim = tickets.add_parser("claim", help="take an unassigned ticket")
    claim.add_argument("number", type=_ticket_number)
    _as_flag(claim)
    claim.set_defaults(handler=cmd_tickets_claim)

    assign = tickets.add_parser("assign", help="assign a ticket (leads: to anyone)")
    assign.add_argument("number", type=_ticket_number)
    assign.add_argument("--to", required=True, metavar="EMAIL|none")
    _as_flag(assign)
    assign.set_defaults(handler=cmd_tickets_assign)

    edit = tickets.add_parser("set", help="change status, priority or category")
    edit.add_argument("number", type=_ticket_number)
    edit.add_argument("--status", choices=["new", "open", "pending", "resolved", "closed"])
    edit.add_argument("--priority", choices=["low", "normal", "high", "urgent"])
    edit.add_argument("--category", metavar="NAME|none")
    _as_flag(edit)
    edit.set_defaults(handler=cmd_tickets_set)

    search = commands.add_parser("search", help="search tickets and contacts")
    search.add_argument("query")
    search.add_argument("--limit", type=_positive, default=20, metavar="N")
    search.add_argument("--offset", type=int, default=0, metavar="N")
    _json_flag(search)
    search.set_defaults(handler=cmd_search)

    cli_mail.add_commands(commands, _json_flag)
    return parser


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _as_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="as_agent", required=True, metavar="EMAIL", help="acting agent"
    )
    _json_flag(parser)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _ticket_number(value: str) -> int:
    try:
        return _positive(value.removeprefix("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a ticket number: {value!r}") from None


def _exit_code(error: CrmDeskError) -> int:
    if isinstance(error, ConflictError):
        return EXIT_CONFLICT
    if isinstance(error, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, PermissionDeniedError):
        return EXIT_PERMISSION
    if isinstance(error, UsageError):
        return EXIT_USAGE
    return EXIT_ERROR


def _error_json(error: CrmDeskError) -> dict[str, Any]:
    kind = {
        EXIT_CONFLICT: "conflict",
        EXIT_NOT_FOUND: "not_found",
        EXIT_PERMISSION: "permission_denied",
        EXIT_USAGE: "usage",
    }.get(_exit_code(error), "error")
    data: dict[str, Any] = {"ok": False, "error": kind, "message": str(error)}
    if isinstance(error, AlreadyClaimedError):
        data["owner"] = {"name": error.owner_name, "email": error.owner_email}
    if isinstance(error, StaleEditError):
        data["changed_by"] = error.changed_by
        data["changed_at"] = error.changed_at.isoformat()
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    wants_json = bool(getattr(args, "json", False))
    try:
        code: int
        if hasattr(args, "db_handler"):
            code = args.db_handler(args, _open(args))
        else:
            code = args.handler(args)
        return code
    except CrmDeskError as error:
        if wants_json:
            emit_json(_error_json(error))
        print(f"crm-desk: {error}", file=sys.stderr)
        return _exit_code(error)
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        print(f"crm-desk: cannot use the database: {reason}", file=sys.stderr)
        return EXIT_ERROR
    except SQLAlchemyError as error:
        print(f"crm-desk: database error: {error.__class__.__name__}: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("crm-desk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
