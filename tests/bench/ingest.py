"""Benchmark: IMAP mail into the database, compared with mbsync and notmuch on the same mailbox.

    .venv/bin/python -m tests.bench.ingest                 # 10,000 messages
    .venv/bin/python -m tests.bench.ingest --messages 100000
    .venv/bin/python -m tests.bench.ingest --py-spy /tmp/sync.svg   # flame graph of our run

A private Dovecot gets a mailbox of realistic mail (plain, HTML + text, small attachments, about
30 % Japanese in ISO-2022-JP and UTF-8, threads), written straight into its Maildir and then
``doveadm force-resync``-ed. Then, each in its own process, timed by wall clock and measured
for peak RSS (VmHWM sampled from /proc):

- ours: ``MailboxSync.sync_once()`` (tests/mail/sync_worker.py) into a fresh SQLite file, and
  into PostgreSQL (``running_cluster(durable=True)``: fsync and synchronous commit on);
- mbsync (Debian ``isync``) pulling the mailbox into a Maildir, with ``FSync yes`` (its default)
  and with ``FSync no``;
- ``notmuch new`` (with ``XAPIAN_CJK_NGRAM=1``) indexing the ``FSync yes`` Maildir.

Every contender runs ``--rounds`` times (3 by default), taking turns, on fresh storage each time;
the report gives median seconds and the range of rates, and ratios of the medians.

Targets: ours >= mbsync with FSync yes, >= 3x (mbsync + notmuch new) combined, peak RSS < 300 MB
at 100,000 messages. See tests/bench/ingest_README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path

from crm_desk.store.schema import open_database
from tests.support.dovecot import (
    CUSTOMERS,
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    DovecotServer,
    add_sync_mailbox,
    crlf,
    running_dovecot,
)
from tests.support.postgres import running_cluster

ROOT = Path(__file__).resolve().parents[2]

# --- a realistic mailbox ---------------------------------------------------------------------

EN_LINES = [
    "I ordered the blue jacket last week and it still has not arrived.",
    "Could you tell me when my order will be shipped?",
    "The invoice shows the wrong billing address; please send a corrected one.",
    "I would like to return the item because it does not fit.",
    "The tracking number you sent does not work on the carrier's site.",
    "Please cancel the second item of my order, the first one is fine.",
    "Thank you for the quick answer last time.",
    "Is there a way to change the delivery date to next Saturday?",
]
JA_LINES = [
    "いつもお世話になっております。",
    "先週注文した商品がまだ届いておりません。",
    "請求書の宛名を株式会社サンプルに変更していただけますでしょうか。",
    "サイズが合わなかったため、返品を希望いたします。",
    "配送日を来週の土曜日に変更することは可能でしょうか。",
    "至急ご確認のほど、よろしくお願いいたします。",
    "㈱髙橋商事の髙橋です。①と②の件でご連絡しました。",
    "お手数をおかけしますが、ご対応をお願いいたします。",
]
KINDS = ["plain", "html", "attachment", "iso2022jp", "utf8jp", "utf8jp_html"]
WEIGHTS = [32, 28, 10, 15, 8, 7]  # ~30 % Japanese


@dataclass
class _Thread:
    message_id: str
    subject: str
    sender: tuple[str, str]
    body: str


def _paragraphs(rng: random.Random, lines: list[str], low: int, high: int) -> str:
    chosen = [rng.choice(lines) for _ in range(rng.randint(low, high))]
    return "\n\n".join(" ".join(chosen[i : i + 3]) for i in range(0, len(chosen), 3))


def _signature(sender: tuple[str, str]) -> str:
    return f"\n\n-- \n{sender[0]}\n{sender[1]}\nTel: 03-1234-5678\n"


def _text_part(text: str, charset: str) -> MIMEText:
    if charset == "iso-2022-jp":
        # cp932 extensions (①, ㈱, 髙) are not in plain ISO-2022-JP; real mailers send them anyway.
        data = text.encode("iso-2022-jp", "replace")
        part = MIMEText("", "plain", "iso-2022-jp")
        part.set_payload(data.decode("ascii"))
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = "7bit"
        return part
    return MIMEText(text, "plain", charset)


def _html(text: str) -> str:
    paragraphs = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    return (
        "<html><head><style>p{font-family:sans-serif}</style></head><body>"
        f'<div class="body">{paragraphs}</div>'
        '<img src="https://tracker.example.com/p.gif?id=1" width="1" height="1"></body></html>'
    )


def realistic_mail(
    index: int, rng: random.Random, threads: list[_Thread], start: datetime
) -> tuple[bytes, _Thread]:
    kind = rng.choices(KINDS, WEIGHTS)[0]
    japanese = kind in ("iso2022jp", "utf8jp", "utf8jp_html")
    charset = "iso-2022-jp" if kind == "iso2022jp" else "utf-8"
    parent = (
        threads[-rng.randint(1, min(len(threads), 200))]
        if threads and rng.random() < 0.35
        else None
    )
    sender = parent.sender if parent else rng.choice(CUSTOMERS)
    lines = JA_LINES if japanese else EN_LINES
    text = _paragraphs(rng, lines, 2, 12)
    if parent:
        quoted = "\n".join("> " + line for line in parent.body.splitlines()[:20])
        text = f"{text}\n\n{quoted}"
    text += _signature(sender)
    if kind in ("html", "utf8jp_html"):
        message: MIMEMultipart | MIMEText = MIMEMultipart("alternative")
        message.attach(_text_part(text, charset))
        message.attach(MIMEText(_html(text), "html", charset))
    elif kind == "attachment":
        message = MIMEMultipart()
        message.attach(_text_part(text, charset))
        payload = rng.randbytes(rng.randint(2_000, 40_000))
        name = f"invoice-{index}.pdf"
        attachment = MIMEApplication(payload, "pdf", Name=name)
        attachment["Content-Disposition"] = f'attachment; filename="{name}"'
        message.attach(attachment)
    else:
        message = _text_part(text, charset)
    if parent:
        subject = parent.subject if parent.subject.startswith("Re:") else f"Re: {parent.subject}"
    elif japanese:
        subject = rng.choice(["商品が届きません", "請求書の再発行について", "返品のお願い"])
        subject += f"（注文 A-{index:06d}）"
    else:
        subject = f"Order A-{index:06d}: " + rng.choice(["where is it?", "invoice", "return"])
    message["Subject"] = Header(subject, charset).encode() if japanese else subject
    message["From"] = formataddr((Header(sender[0], "utf-8").encode(), sender[1]))
    message["To"] = formataddr(("Support", DEFAULT_USER))
    message["Date"] = format_datetime(start + timedelta(seconds=37 * index))
    message_id = f"<bench.{index}.{rng.getrandbits(40):x}@customer.example>"
    message["Message-ID"] = message_id
    if parent:
        message["In-Reply-To"] = parent.message_id
        message["References"] = parent.message_id
    raw = crlf(message.as_bytes())
    return raw, _Thread(message_id, subject, sender, text)


def corpus(count: int, seed: int = 20240401) -> Iterator[bytes]:
    rng = random.Random(seed)
    threads: list[_Thread] = []
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for index in range(count):
        raw, thread = realistic_mail(index, rng, threads, start)
        threads.append(thread)
        if len(threads) > 1000:
            del threads[:500]  # replies go to recent mail; keep memory bounded at 100,000
        yield raw


def fill_maildir(server: DovecotServer, user: str, count: int) -> int:
    """Write ``count`` messages straight into the user's INBOX; returns the total bytes."""
    maildir = server.maildir(user)
    owner = maildir.parent.parent.stat()  # the mail root belongs to the mail user
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    total = 0
    base = int(time.time()) - count
    for index, raw in enumerate(corpus(count)):
        # Dovecot assigns UIDs in file-name order; S= and W= spare it computing sizes.
        name = f"{base + index}.M{index:07d}P1.bench,S={len(raw)},W={len(raw)}:2,"
        (maildir / "cur" / name).write_bytes(raw)
        total += len(raw)
    for path in [maildir.parent, maildir, *maildir.iterdir(), *(maildir / "cur").iterdir()]:
        os.chown(path, owner.st_uid, owner.st_gid)
    server.force_resync(user)
    return total


def warm_up(server: DovecotServer, user: str) -> int:
    """Read every message once before anyone is timed, so that all tools find the same warm
    Dovecot index and cache and the same page cache (the first reader would pay for both)."""
    with server.client(user) as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search("ALL")
        for start in range(0, len(uids), 500):
            client.fetch(uids[start : start + 500], [b"BODY.PEEK[]", b"INTERNALDATE", b"FLAGS"])
        return len(uids)


# --- measuring a child process -------------------------------------------------------------


@dataclass
class Result:
    name: str
    seconds: float
    max_rss_mb: float
    messages: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def _pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found


class _PeakRss:
    """Samples a child's VmHWM (its own peak RSS) from /proc until it exits, and the summed
    proportional set size of it and its descendants (the sync's fetch-and-parse children count
    too).

    ``wait4``'s ru_maxrss would be wrong here: Linux carries the pre-exec high-water mark across
    ``execve``, so a child forked from this (large) Python process reports at least our size.
    VmHWM belongs to the new program's memory only; it only grows, so the last sample before
    the exit is within one interval of the true peak.
    """

    INTERVAL_S = 0.01
    # Reading smaps_rollup walks a process's page tables: at every interval, that took a good
    # part of a core from the contender being measured. A streaming sync's memory is flat, so
    # the tree is sampled less often.
    TREE_INTERVAL_S = 0.25

    def __init__(self, pid: int, argv: list[str]) -> None:
        self._pid = pid
        self._argv = [a.encode() for a in argv]
        self.peak_kb = 0
        self.peak_tree_kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        proc = Path(f"/proc/{self._pid}")
        next_tree = 0.0
        while not self._done.is_set():
            try:
                # Before exec the child is still a copy of us: skip those samples.
                if (proc / "cmdline").read_bytes().split(b"\0")[:-1] == self._argv:
                    self.peak_kb = max(self.peak_kb, _status_kb(self._pid, "VmHWM:"))
                    if time.monotonic() >= next_tree:
                        next_tree = time.monotonic() + self.TREE_INTERVAL_S
                        tree = [self._pid, *_descendants(self._pid)]
                        if len(tree) > 1:
                            # Proportional set sizes: pages the processes share (the
                            # interpreter, libraries) count once, not once per process.
                            total = sum(_pss_kb(pid) for pid in tree)
                            self.peak_tree_kb = max(self.peak_tree_kb, total)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
            self._done.wait(self.INTERVAL_S)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def measure(
    name: str, command: list[str], messages: int, *, env: dict[str, str] | None = None
) -> Result:
    # Whatever the previous contender left to write back (notmuch's index, an unsynced
    # Maildir) goes to disk now, not during this contender's fsyncs.
    os.sync()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=ROOT)
        rss = _PeakRss(process.pid, command)
        returncode = process.wait()
        seconds = time.perf_counter() - started
        rss.stop()
        if returncode != 0:
            err.seek(0)
            out.seek(0)
            raise RuntimeError(
                f"{name} failed ({returncode}): {err.read().decode(errors='replace')}"
                f"{out.read().decode(errors='replace')[-2000:]}"
            )
    # The process's own peak, or its tree's (sampled) peak when children made it larger.
    return Result(name, seconds, max(rss.peak_kb, rss.peak_tree_kb) / 1024, messages)


def python_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@dataclass(frozen=True)
class Mailbox:
    server: DovecotServer
    user: str
    password: str
    messages: int


def bench_ours(
    name: str, url: str, mailbox: Mailbox, batch_size: int, py_spy: str | None = None
) -> Result:
    db = open_database(url)
    try:
        mailbox_id = add_sync_mailbox(db, mailbox.server, mailbox.user)
    finally:
        db.dispose()
    command = [
        sys.executable, "-m", "tests.mail.sync_worker", "--db", url,
        "--mailbox-id", str(mailbox_id), "--user", mailbox.user,
        "--password", mailbox.password, "--batch-size", str(batch_size),
    ]  # fmt: skip
    if py_spy:
        binary = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        formats = {".svg": "flamegraph", ".json": "speedscope"}
        kind = formats.get(Path(py_spy).suffix, "raw")  # raw: collapsed stacks, for grep
        command = [binary, "record", "--rate", "200", "-f", kind, "-o", py_spy, "--", *command]
    return measure(name, command, mailbox.messages, env=python_env())


def _mbsync_config(
    work: Path, server: DovecotServer, user: str, password: str, fsync: bool
) -> Path:
    local = work / "Maildir"
    local.mkdir(parents=True)
    config = work / "mbsyncrc"
    config.write_text(
        f"""FSync {"yes" if fsync else "no"}

IMAPAccount bench
Host {server.host}
Port {server.port}
User {user}
Pass "{password}"
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account bench

MaildirStore local
Path {local}/
Inbox {local}/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync Pull
SyncState *
"""
    )
    return config


def bench_mbsync(
    work: Path, server: DovecotServer, user: str, password: str, messages: int, *, fsync: bool
) -> tuple[Result, Path]:
    config = _mbsync_config(work, server, user, password, fsync)
    name = f"mbsync (FSync {'yes' if fsync else 'no'})"
    result = measure(name, ["mbsync", "-q", "-c", str(config), "bench"], messages)
    return result, work / "Maildir"


def bench_notmuch(maildir: Path, messages: int) -> Result:
    config = maildir.parent / "notmuch-config"
    config.write_text(
        f"[database]\npath={maildir}\n[user]\nname=Bench\nprimary_email=bench@example.com\n"
        "[new]\ntags=unread;inbox;\n[maildir]\nsynchronize_flags=true\n"
    )
    env = {**os.environ, "NOTMUCH_CONFIG": str(config), "XAPIAN_CJK_NGRAM": "1"}
    return measure("notmuch new (CJK n-grams)", ["notmuch", "new", "--quiet"], messages, env=env)


# --- the report ------------------------------------------------------------------------------


def print_results(rounds: dict[str, list[Result]], total_bytes: int) -> None:
    """Median seconds (and the range of rates) per contender; ratios of the medians."""
    runs = max(len(results) for results in rounds.values())
    print()
    print(f"{'':34}{'seconds':>9}{'msg/s':>9}{'range':>15}{'peak RSS':>11}")
    seconds = {n: statistics.median(r.seconds for r in results) for n, results in rounds.items()}
    messages = next(iter(rounds.values()))[0].messages
    for name, results in rounds.items():
        rates = sorted(r.rate for r in results)
        spread = f"{rates[0]:.0f}–{rates[-1]:.0f}" if len(rates) > 1 else ""
        memory = max(r.max_rss_mb for r in results)
        print(
            f"{name:34}{seconds[name]:9.1f}{messages / seconds[name]:9.0f}{spread:>15}"
            f"{memory:8.0f} MB"
        )
    print(
        f"\nmailbox: {messages} messages, {total_bytes / 2**20:.0f} MiB; medians of {runs} rounds"
    )
    mbsync = seconds.get("mbsync (FSync yes)")
    notmuch = seconds.get("notmuch new (CJK n-grams)")
    for name in (n for n in seconds if n.startswith("crm-desk")):
        if mbsync:
            print(f"{name} / mbsync (FSync yes): {mbsync / seconds[name]:.2f}x (target >= 1)")
        if mbsync and notmuch:
            combined = mbsync + notmuch
            print(f"{name} / (mbsync + notmuch new): {combined / seconds[name]:.2f}x (target >= 3)")
        no_fsync = seconds.get("mbsync (FSync no)")
        if no_fsync:
            print(f"{name} / mbsync (FSync no): {no_fsync / seconds[name]:.2f}x")


def run_round(
    work: Path,
    mailbox: Mailbox,
    args: argparse.Namespace,
    postgres_url: Callable[[], str] | None,
    py_spy: str | None,
) -> Iterator[Result]:
    """Every contender once, each on fresh storage, peers first."""
    server, user, password, count = mailbox.server, mailbox.user, mailbox.password, mailbox.messages
    if not args.skip_peers:
        for fsync in (True, False):
            result, maildir = bench_mbsync(
                work / f"mbsync-{fsync}", server, user, password, count, fsync=fsync
            )
            yield result
            if fsync:
                yield bench_notmuch(maildir, count)
            shutil.rmtree(maildir.parent, ignore_errors=True)
    database = work / "bench.sqlite3"
    yield bench_ours("crm-desk → SQLite", f"sqlite:///{database}", mailbox, args.batch_size, py_spy)
    for path in work.glob("bench.sqlite3*"):
        path.unlink()
    if postgres_url is not None:
        yield bench_ours(
            "crm-desk → PostgreSQL (durable)", postgres_url(), mailbox, args.batch_size
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of every contender, interleaved (medians)"
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-peers", action="store_true", help="no mbsync / notmuch")
    parser.add_argument("--py-spy", metavar="SVG", help="record our SQLite run with py-spy")
    args = parser.parse_args(argv)
    if not args.skip_peers:
        for tool, package in (("mbsync", "isync"), ("notmuch", "notmuch")):
            if shutil.which(tool) is None:
                parser.error(f"{tool} not found: apt-get install {package} (or --skip-peers)")
    work = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    rounds: dict[str, list[Result]] = {}
    try:
        with running_dovecot(spare_users=0) as server, contextlib.ExitStack() as stack:
            user, password = DEFAULT_USER, DEFAULT_PASSWORD
            started = time.perf_counter()
            total_bytes = fill_maildir(server, user, args.messages)
            print(f"mailbox written in {time.perf_counter() - started:.0f} s", flush=True)
            count = warm_up(server, user)
            assert count == args.messages, f"Dovecot sees {count} messages"
            mailbox = Mailbox(server, user, password, count)
            postgres_url = None
            if not args.skip_postgres:
                cluster = stack.enter_context(running_cluster(durable=True))
                postgres_url = cluster.create_database
            for number in range(args.rounds):
                # Rates move with whatever else the two cores do: contenders take turns, and
                # the report compares medians.
                py_spy = args.py_spy if number == 0 else None
                for result in run_round(work, mailbox, args, postgres_url, py_spy):
                    print(f"round {number + 1}: {result}", flush=True)
                    rounds.setdefault(result.name, []).append(result)
            print_results(rounds, total_bytes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
