"""Desktop app benchmark: start to first page, ticket switch, peak memory, at 10k and 1M tickets.

    python -m tests.bench.ui [--sizes 10000 1000000] [--engines sqlite postgresql]
                             [--runs 3] [--switches 30] [--existing URL ...] [--out FILE]

For each engine and size it builds the demo data into a new database (as
``tests.bench.foundation`` does; PostgreSQL in a throwaway durable cluster, ANALYZEd), or takes
an already built one (``--existing URL``), then starts the app ``--runs`` times, each in a new
process (``tests.bench.ui_probe``: offscreen, as the demo team lead, the way ``crm-desk demo``
opens a built database) and reports, median over the runs:

* start to first page: from the probe's first line, and from the moment this process spawned
  it, to the queue's first rows painted; and to the startup view's (Mine) rows painted;
* ticket switch: open one queue ticket after the other, until the conversation and the
  customer panel have both loaded (all runs' switches pooled: median, p95, max);
* peak RSS (VmHWM) of the app process.

The first run of each database starts cold: before it, the SQLite file (or the PostgreSQL data
directory of a cluster started here) is dropped from the OS page cache; it is listed apart.
Targets: first page < 1.5 s at 1M, switch < 100 ms, peak RSS < 400 MB at 1M.

Not part of the test suite (pytest ignores tests/bench). See tests/bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from crm_desk.core import demo
from crm_desk.store.models import Ticket
from crm_desk.store.schema import open_database
from tests.bench.foundation import build_demo_database, databases

ROOT = Path(__file__).resolve().parents[2]
FIRST_PAGE_TARGET_S = 1.5
SWITCH_TARGET_MS = 100.0
RSS_TARGET_MB = 400.0
LARGE = 1_000_000  # the size the first page and memory targets are set for


@dataclass
class Run:
    """One probe's report (see ``tests.bench.ui_probe``), with this side's wall clock."""

    probe: dict[str, Any]
    wall_s: float  # spawn to exit, as this process saw it
    load_average: float  # the machine's 1-minute load when the run started (2 cores: > 2 busy)

    def get(self, key: str) -> float:
        value = self.probe.get(key)
        return float(value) if value is not None else float("nan")

    @property
    def from_spawn_s(self) -> float:
        """Spawn to the first page painted: the interpreter's start plus the probe's time."""
        return self.get("interpreter_s") + self.get("first_page_s")


@dataclass
class Result:
    engine: str
    tickets: int
    url: str
    runs: list[Run] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(run.get(key) for run in self.runs)

    @property
    def first_page_s(self) -> float:
        return self.median("first_page_s")

    @property
    def from_spawn_s(self) -> float:
        return statistics.median(run.from_spawn_s for run in self.runs)

    @property
    def cold_first_page_s(self) -> float:
        return self.runs[0].get("first_page_s")

    def switches(self, key: str = "signal_ms") -> list[float]:
        return [float(s[key]) for run in self.runs for s in run.probe["switches"]]

    def switch_stats(self, key: str = "signal_ms") -> tuple[float, float, float]:
        samples = sorted(self.switches(key))
        if not samples:
            return float("nan"), float("nan"), float("nan")
        p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
        return statistics.median(samples), p95, samples[-1]

    @property
    def peak_rss_mb(self) -> float:
        return max(run.get("peak_rss_mb") for run in self.runs)

    @property
    def errors(self) -> list[str]:
        return [error for run in self.runs for error in run.probe.get("errors", [])]


# --- the database ----------------------------------------------------------------------------


def build(url: str, engine: str, size: int) -> None:
    db = open_database(url)
    try:
        seconds = build_demo_database(db, engine, size)
        print(f"  built in {seconds:.0f} s", file=sys.stderr, flush=True)
    finally:
        db.dispose()


def describe(url: str) -> tuple[str, int]:
    """The engine and the number of tickets of a built database."""
    db = open_database(url)
    try:
        with db.read() as session:
            return db.dialect, int(session.scalar(select(func.count(Ticket.id))) or 0)
    finally:
        db.dispose()


def _files(url: str, pg_data: Path | None) -> Iterator[Path]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        for suffix in ("", "-wal", "-shm"):
            path = Path(parsed.database + suffix)
            if path.is_file():
                yield path
    elif pg_data is not None:
        yield from (path for path in pg_data.rglob("*") if path.is_file())


def drop_from_page_cache(url: str, pg_data: Path | None) -> int:
    """Evict the database's files from the OS page cache (only these files: nothing else on
    the machine is disturbed); the bytes concerned. PostgreSQL's shared buffers stay warm."""
    total = 0
    for path in _files(url, pg_data):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fdatasync(fd)  # dirty pages cannot be dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            total += os.fstat(fd).st_size
        except OSError:
            pass
        finally:
            os.close(fd)
    return total


# --- the probe -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    runs: int  # app starts per database
    switches: int  # tickets opened per start
    language: str
    env: dict[str, str]  # the probe's environment (``probe_env``)


def probe_env(pycache: Path) -> dict[str, str]:
    """The probe's environment. An installed app imports its modules from compiled bytecode:
    here bytecode goes to ``pycache`` (not into the checkout), even where
    PYTHONDONTWRITEBYTECODE is set, and an untimed start before the timed ones compiles it."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {
        **env,
        "PYTHONPATH": str(ROOT),
        "PYTHONPYCACHEPREFIX": str(pycache),
        "QT_QPA_PLATFORM": "offscreen",
    }


def probe(url: str, plan: Plan, switches: int | None = None) -> Run:
    count = plan.switches if switches is None else switches
    load = os.getloadavg()[0]
    spawned = time.monotonic()
    command = [
        sys.executable, "-m", "tests.bench.ui_probe", "--db", url,
        "--switches", str(count), "--language", plan.language,
        "--agent", demo.DEMO_LEAD_EMAIL, "--spawned-at", repr(spawned),
    ]  # fmt: skip
    env = plan.env
    finished = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    wall = time.monotonic() - spawned
    lines = finished.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"the probe failed ({finished.returncode}): {finished.stderr[-3000:]}")
    return Run(json.loads(lines[-1]), wall, load)


def measure(url: str, engine: str, size: int, plan: Plan, pg_data: Path | None) -> Result:
    result = Result(engine, size, url)
    probe(url, plan, switches=3)  # untimed: compiles the bytecode the timed starts read
    for number in range(plan.runs):
        if number == 0:
            dropped = drop_from_page_cache(url, pg_data)
            print(f"  dropped {dropped / 2**20:,.0f} MB from the page cache", file=sys.stderr)
        run = probe(url, plan)
        result.runs.append(run)
        median, p95, _ = Result(engine, size, url, [run]).switch_stats()
        print(
            f"  run {number + 1}: first page {run.get('first_page_s'):.2f} s "
            f"({run.from_spawn_s:.2f} s from spawn), view {run.get('startup_view_s'):.2f} s, "
            f"switch {median:.0f} / {p95:.0f} ms, RSS {run.get('peak_rss_mb'):.0f} MB, "
            f"CPU by the first page {run.get('first_page_cpu_s'):.2f} s, "
            f"load {run.load_average:.1f}"
            + (f", errors: {run.probe['errors']}" if run.probe.get("errors") else ""),
            file=sys.stderr,
            flush=True,
        )
    return result


# --- the report ------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    header = (
        f"{'engine':<11}{'tickets':>10}{'first page s':>13}{'from spawn':>11}{'cold':>6}"
        f"{'view s':>7}{'imports':>8}{'CPU s':>6}{'load':>5}"
        f"  {'switch p50/p95/max ms':>21}  {'painted p50/p95':>15}{'RSS MB':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        median, p95, worst = r.switch_stats()
        painted, painted_p95, _ = r.switch_stats("painted_ms")
        load = statistics.median(run.load_average for run in r.runs)
        lines.append(
            f"{r.engine:<11}{r.tickets:>10,}{r.first_page_s:13.2f}{r.from_spawn_s:11.2f}"
            f"{r.cold_first_page_s:6.2f}{r.median('startup_view_s'):7.2f}"
            f"{r.median('imports_s'):8.2f}{r.median('first_page_cpu_s'):6.2f}{load:5.1f}  "
            f"{f'{median:.0f} / {p95:.0f} / {worst:.0f}':>21}  "
            f"{f'{painted:.0f} / {painted_p95:.0f}':>15}{r.peak_rss_mb:7.0f}"
        )
    return "\n".join(lines)


def short_op_name(qualname: str) -> str:
    """``Sidebar.refresh_now.<locals>.<lambda>`` -> ``Sidebar.refresh_now``."""
    return qualname.split(".<locals>", maxsplit=1)[0]


def startup_notes(name: str, result: Result) -> list[str]:
    """What the worker ran before the first page of the median start, slowest first."""
    runs = sorted(result.runs, key=lambda run: run.get("first_page_s"))
    run = runs[len(runs) // 2]
    first_page = run.get("first_page_s")
    before = [op for op in run.probe.get("ops", []) if op["started_s"] < first_page]
    if not before:
        return []
    slowest = sorted(before, key=lambda op: -op["ms"])[:3]
    listed = ", ".join(f"{short_op_name(op['name'])} {op['ms']:.0f} ms" for op in slowest)
    return [
        f"note: {name}: start: imports {run.get('imports_s'):.2f} s, window built at "
        f"{run.get('window_built_s'):.2f} s; before the first page ({first_page:.2f} s) the "
        f"worker ran {len(before)} ops, {sum(op['ms'] for op in before):.0f} ms: {listed}"
    ]


def verdicts(results: list[Result]) -> list[str]:
    notes = []
    for r in results:
        name = f"{r.engine} {r.tickets:,}"
        for error in sorted(set(r.errors)):
            notes.append(f"ERROR: {name}: {error}")
        notes += startup_notes(name, r)
        median, p95, _ = r.switch_stats()
        slowest = max(
            (switch for run in r.runs for switch in run.probe["switches"]),
            key=lambda switch: float(switch["signal_ms"]),
            default=None,
        )
        if slowest is not None:
            notes.append(
                f"note: {name}: slowest switch, ticket {slowest['ticket_id']}: "
                f"{slowest['signal_ms']:.0f} ms, of which {slowest['cpu_ms']:.0f} ms CPU"
            )
        for label, value in (("median", median), ("p95", p95)):
            verdict = "ok" if value < SWITCH_TARGET_MS else "MISSED"
            notes.append(
                f"{verdict}: {name}: switch {label} {value:.0f} ms (< {SWITCH_TARGET_MS:.0f})"
            )
        if r.tickets < LARGE:
            continue
        for label, value in (("first page", r.first_page_s), ("from spawn", r.from_spawn_s)):
            verdict = "ok" if value < FIRST_PAGE_TARGET_S else "MISSED"
            notes.append(
                f"{verdict}: {name}: {label} median {value:.2f} s (< {FIRST_PAGE_TARGET_S} s)"
            )
        verdict = "ok" if r.peak_rss_mb < RSS_TARGET_MB else "MISSED"
        notes.append(f"{verdict}: {name}: peak RSS {r.peak_rss_mb:.0f} MB (< {RSS_TARGET_MB:.0f})")
    return notes


def run_all(args: argparse.Namespace, plan: Plan) -> list[Result]:
    results: list[Result] = []
    if args.existing:
        for url in args.existing:
            engine, size = describe(url)
            print(f"{engine} {size:,} tickets: {url}", file=sys.stderr, flush=True)
            results.append(measure(url, engine, size, plan, None))
        return results
    with ExitStack() as stack:
        if args.workdir:
            workdir = args.workdir
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="crm-desk-bench-"))
            )
        new_url, cluster = stack.enter_context(databases(args.engines, workdir, "bench-ui"))
        for engine in args.engines:
            for size in sorted(args.sizes):
                url = new_url(engine, size)
                build(url, engine, size)
                pg_data = cluster.data_dir if engine == "postgresql" and cluster else None
                results.append(measure(url, engine, size, plan, pg_data))
                if engine == "sqlite" and not args.keep:
                    for leftover in workdir.glob(f"bench-{size}.sqlite3*"):
                        leftover.unlink()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.ui", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, LARGE])
    parser.add_argument(
        "--engines", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument("--runs", type=int, default=3, help="app starts per database (3)")
    parser.add_argument("--switches", type=int, default=30, help="tickets opened per start (30)")
    parser.add_argument("--language", choices=("system", "en", "ja"), default="ja")
    parser.add_argument("--out", type=Path, help="also write the report (JSON for .json) here")
    parser.add_argument("--workdir", type=Path, help="where SQLite files go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files afterwards")
    parser.add_argument(
        "--existing", metavar="URL", nargs="+", help="measure these databases, build nothing"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="crm-desk-bench-pyc-") as pycache:
        plan = Plan(args.runs, args.switches, args.language, probe_env(Path(pycache)))
        results = run_all(args, plan)

    report = table(results) + "\n\n" + "\n".join(verdicts(results))
    print(report)
    if args.out:
        if args.out.suffix == ".json":
            payload = [{**asdict(r), "runs": [asdict(run) for run in r.runs]} for r in results]
            args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        else:
            args.out.write_text(report + "\n")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
