"""Foundation benchmark: demo build speed, queue first page and search latency at scale.

    python -m tests.bench.foundation [--sizes 10000 100000 1000000]
                                     [--engines sqlite postgresql] [--out FILE]

For each engine and size: build the demo data into a new database (timed), then, warm, time
~50 runs each of the queue's first page (open tickets of one category, newest activity first,
50 rows: ``list_tickets`` with its default sort) and of a search for 注文, 請求書 and
"refund". PostgreSQL runs in a throwaway cluster with durable settings, ANALYZEd after the
build. ``--existing URL`` measures an already built database instead of building one.

Not part of the test suite (pytest ignores tests/bench). See tests/bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from crm_desk.core import demo
from crm_desk.core.queries import TicketFilter, list_tickets
from crm_desk.core.search import fts5_expression, parse_query, search, tsquery_expression
from crm_desk.store.db import Database
from crm_desk.store.models import Category, Ticket
from crm_desk.store.schema import open_database
from tests.support.postgres import PostgresCluster, running_cluster

SEARCH_TERMS = ("注文", "請求書", "refund")
QUEUE_CATEGORY = "注文・配送"
PAGE_TARGET_MS = 20.0
PAGE_GROWTH_LIMIT = 1.5  # the 1M first page may be at most this many times the 10k one
SEARCH_TARGET_MS = 50.0


@dataclass(frozen=True)
class Latency:
    median_ms: float
    p95_ms: float

    def __str__(self) -> str:
        return f"{self.median_ms:6.1f} / {self.p95_ms:6.1f}"


@dataclass
class Result:
    engine: str
    tickets: int
    build_s: float | None
    tickets_per_s: float | None
    peak_rss_mb: float
    open_in_category: int
    page: Latency
    searches: dict[str, Latency] = field(default_factory=dict)
    search_hits: dict[str, int] = field(default_factory=dict)


def timed(fn: Callable[[], object], runs: int, warmup: int = 5) -> Latency:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Latency(statistics.median(samples), p95)


def peak_rss_mb() -> float:
    """Peak resident memory so far of this process or of a finished child (the generator)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def queue_filter(db: Database) -> TicketFilter:
    with db.read() as session:
        category_id = session.scalar(select(Category.id).where(Category.name == QUEUE_CATEGORY))
    return TicketFilter(statuses=("open",), category_id=category_id)


def measure(db: Database, engine: str, tickets: int, build_s: float | None, runs: int) -> Result:
    flt = queue_filter(db)

    def first_page() -> None:
        with db.read() as session:
            list_tickets(session, flt, limit=50)

    with db.read() as session:
        open_count = int(
            session.scalar(select(func.count(Ticket.id)).where(*flt.conditions())) or 0
        )
    result = Result(
        engine=engine,
        tickets=tickets,
        build_s=build_s,
        tickets_per_s=tickets / build_s if build_s else None,
        peak_rss_mb=peak_rss_mb(),
        open_in_category=open_count,
        page=timed(first_page, runs),
    )
    for term in SEARCH_TERMS:

        def run_search(term: str = term) -> None:
            with db.read() as session:
                search(session, term)

        result.searches[term] = timed(run_search, runs)
        with db.read() as session:
            result.search_hits[term] = len(search(session, term).hits)
    return result


def explain(db: Database) -> str:
    """The plans of the two measured queries (for the report when a target is missed)."""
    flt = queue_filter(db)
    lines: list[str] = []
    with db.read() as session:
        from crm_desk.core import queries

        query = (
            queries._queue_select()
            .where(*flt.conditions())
            .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
            .limit(51)
        )
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
        lines.append(f"-- queue first page\n{compiled}")
        lines += [
            " | ".join(map(str, row)) for row in session.execute(text(prefix + str(compiled)))
        ]
        for term in SEARCH_TERMS:
            terms = parse_query(term)
            if db.is_sqlite:
                sql = (
                    "SELECT rowid, bm25(search_fts) FROM search_fts WHERE search_fts MATCH :e "
                    "ORDER BY rowid DESC LIMIT 2000"
                )
                expression = fts5_expression(terms)
            else:
                sql = (
                    "SELECT id, ts_rank_cd(tsv, q) FROM search_docs, to_tsquery('simple', :e) q "
                    "WHERE tsv @@ q ORDER BY id DESC LIMIT 2000"
                )
                expression = tsquery_expression(terms)
            lines.append(f"-- search {term}: {expression}")
            lines += [
                " | ".join(map(str, row))
                for row in session.execute(text(prefix + sql), {"e": expression})
            ]
    return "\n".join(lines)


@contextmanager
def databases(
    engines: list[str], workdir: Path, prefix: str = "bench"
) -> Iterator[tuple[Callable[[str, int], str], PostgresCluster | None]]:
    """A factory of new database URLs, per engine, and the PostgreSQL cluster when one is
    needed (the UI bench drops its data directory from the page cache before a cold start)."""
    with ExitStack() as stack:
        cluster: PostgresCluster | None = None
        if "postgresql" in engines:
            cluster = stack.enter_context(running_cluster(durable=True))

        def new_url(engine: str, size: int) -> str:
            if engine == "sqlite":
                path = workdir / f"{prefix}-{size}.sqlite3"
                for leftover in workdir.glob(f"{path.name}*"):
                    leftover.unlink()
                return f"sqlite:///{path}"
            assert cluster is not None
            return cluster.create_database(f"{prefix.replace('-', '_')}_{size}")

        yield new_url, cluster


def build_demo_database(db: Database, engine: str, size: int) -> float:
    """Fill ``db`` with ``size`` demo tickets, printing progress; the build's seconds."""
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 10:
            last[0] = now
            print(f"    {stage}: {done:,}/{total:,}", file=sys.stderr, flush=True)

    print(f"  building {size:,} tickets on {engine} …", file=sys.stderr, flush=True)
    built = demo.build_demo(db, tickets=size, progress=progress)
    if db.is_postgres:
        with db.write() as session:
            session.connection().exec_driver_sql("ANALYZE")
    return built.seconds


def build(url: str, engine: str, size: int, runs: int, show_plans: bool) -> Result:
    db = open_database(url)
    try:
        result = measure(db, engine, size, build_demo_database(db, engine, size), runs)
        if show_plans:
            print(explain(db), file=sys.stderr)
        return result
    finally:
        db.dispose()


def existing(url: str, runs: int, show_plans: bool) -> Result:
    db = open_database(url)
    try:
        with db.read() as session:
            size = int(session.scalar(select(func.count(Ticket.id))) or 0)
        result = measure(db, db.dialect, size, None, runs)
        if show_plans:
            print(explain(db), file=sys.stderr)
        return result
    finally:
        db.dispose()


def verdicts(results: list[Result]) -> list[str]:
    notes = []
    for result in results:
        if result.page.median_ms >= PAGE_TARGET_MS:
            notes.append(
                f"MISSED: {result.engine} {result.tickets:,}: first page median "
                f"{result.page.median_ms:.1f} ms >= {PAGE_TARGET_MS:.0f} ms"
            )
    for engine in {r.engine for r in results}:
        by_size = {r.tickets: r for r in results if r.engine == engine}
        small, large = by_size.get(10_000), by_size.get(1_000_000)
        if small and large:
            ratio = large.page.median_ms / small.page.median_ms
            verdict = "ok" if ratio <= PAGE_GROWTH_LIMIT else "MISSED"
            notes.append(f"{verdict}: {engine} first page 1M / 10k = {ratio:.2f}x")
        if large and engine == "sqlite":
            for term, latency in large.searches.items():
                verdict = "ok" if latency.median_ms < SEARCH_TARGET_MS else "MISSED"
                notes.append(
                    f"{verdict}: sqlite 1M search {term!r} median {latency.median_ms:.1f} ms"
                )
    return notes


def table(results: list[Result]) -> str:
    header = (
        f"{'engine':<11}{'tickets':>10}{'build s':>9}{'tickets/s':>11}{'RSS MB':>8}"
        f"{'open/cat':>9}  {'page p50 / p95 ms':>17}"
        + "".join(f"  {('search ' + t + ' p50 / p95'):>19}" for t in SEARCH_TERMS)
    )
    lines = [header, "-" * len(header)]
    for r in results:
        build_s = f"{r.build_s:9.1f}" if r.build_s is not None else f"{'-':>9}"
        rate = f"{r.tickets_per_s:11,.0f}" if r.tickets_per_s is not None else f"{'-':>11}"
        lines.append(
            f"{r.engine:<11}{r.tickets:>10,}{build_s}{rate}{r.peak_rss_mb:8.0f}"
            f"{r.open_in_category:>9,}  {r.page!s:>17}"
            + "".join(f"  {r.searches[t]!s:>19}" for t in SEARCH_TERMS)
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.foundation", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--engines", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument("--runs", type=int, default=50, help="timed runs per query (default 50)")
    parser.add_argument("--out", type=Path, help="also write the table (or JSON, for .json) here")
    parser.add_argument("--workdir", type=Path, help="where SQLite files go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files afterwards")
    parser.add_argument("--existing", metavar="URL", help="measure this database, build nothing")
    parser.add_argument("--explain", action="store_true", help="print the query plans too")
    args = parser.parse_args(argv)

    results: list[Result] = []
    if args.existing:
        results.append(existing(args.existing, args.runs, args.explain))
    else:
        with ExitStack() as stack:
            if args.workdir:
                workdir = args.workdir
                workdir.mkdir(parents=True, exist_ok=True)
            else:
                workdir = Path(
                    stack.enter_context(tempfile.TemporaryDirectory(prefix="crm-desk-bench-"))
                )
            new_url, _cluster = stack.enter_context(databases(args.engines, workdir))
            for engine in args.engines:
                for size in sorted(args.sizes):
                    result = build(new_url(engine, size), engine, size, args.runs, args.explain)
                    results.append(result)
                    print(table([result]).splitlines()[-1], file=sys.stderr, flush=True)
                    if engine == "sqlite" and not args.keep:
                        for leftover in workdir.glob(f"bench-{size}.sqlite3*"):
                            leftover.unlink()

    report = table(results) + "\n\n" + "\n".join(verdicts(results))
    print(report)
    if args.out:
        if args.out.suffix == ".json":
            payload: list[dict[str, Any]] = [asdict(r) for r in results]
            args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        else:
            args.out.write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
