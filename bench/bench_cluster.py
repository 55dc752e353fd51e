"""Cluster mode at scale (issue 15): polls per second with 1, 2 and 4 ``ingest worker``
processes on PostgreSQL beside one SQLite ``ingest run`` daemon, and the per-article cost of
the PostgreSQL store against the SQLite one.

    .venv/bin/python bench/bench_cluster.py [--feeds 400] [--delay 0.1] [--workers 1,2,4]
        [--repeats 2] [--window 15] [--concurrency 8] [--tick 1] [--rounds 2] [--skip-articles]

Polling: a loopback site (its own process, so it does not share a GIL with anyone) serves
``--feeds`` RSS feeds; every answer waits ``--delay`` seconds before its status line, as a real
feed across the internet does. The first answer is 200 with an ETag and one entry (stored on
the first check: the warm-up); later conditional requests get 304 (``--unchanged 200`` sends
the same body again instead, so every poll also parses). Every source is due one second after
its check (``[schedule] min_interval = default_interval = 1``, ``adaptive = false``), so there is
always more due than the processes can check. Per-host politeness is opened up (all feeds are on
127.0.0.1: ``per_host_concurrency = 100``, ``per_host_min_delay = 0``).

Each setup runs as real subprocesses, set up afresh: ``python -m ingest worker`` times 1, 2 or
4 on a new PostgreSQL database (created on ``$INGEST_TEST_POSTGRES``, default
``postgresql://postgres@127.0.0.1:5432/test``, and dropped after), and ``python -m ingest run``
on a new SQLite file. A *poll* is a completed source check: a ``kind = 'feed'`` row in
``fetch_log``. The rate is counted over a ``--window`` of seconds that starts ``--warmup``
seconds after every source was checked once. The setups run interleaved, ``--repeats`` times,
and the table shows medians. The machine's CPU use over the window comes from /proc/stat.

Per article: bench/bench_article_cost.py's pipeline (extract, topic, save_article) for the 181
Zyte pages into a fresh SQLite file and a fresh PostgreSQL database, page by page alternating
which goes first; wall time (for PostgreSQL it includes the round trips and the server's work)
and this process's CPU time. Needs ``$INGEST_SHARED/bench/zyte-article-extraction``.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("INGEST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
FEED_POLLS = "SELECT COUNT(*) FROM fetch_log WHERE kind = 'feed'"
BACKENDS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid()"
)
POLLED_SOURCES = "SELECT COUNT(DISTINCT source_id) FROM fetch_log WHERE kind = 'feed'"


def serve(count: int, port_file: str, delay: float, unchanged: str) -> None:
    """The loopback site: /f/<i> is a feed with an ETag and one entry; /a/<i> its article."""
    from ingest_demo.loopback import CannedResponse, LoopbackServer, RecordedRequest

    server = LoopbackServer().start()

    def feed(request: RecordedRequest) -> CannedResponse:
        i = int(request.path.rsplit("/", 1)[1])
        etag = f'"f{i}"'
        if unchanged == "304" and request.header("If-None-Match") == etag:
            return CannedResponse(status=304, headers=(("ETag", etag),), delay=delay)
        body = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{i}</title>'
            f"<item><title>Alibaba Cloud note {i}</title><link>{server.url(f'/a/{i}')}</link>"
            f"<guid>g{i}</guid><description>Alibaba Cloud item {i}</description></item>"
            "</channel></rss>"
        )
        return CannedResponse(body=body.encode(), content_type="application/rss+xml",
                              headers=(("ETag", etag),), delay=delay)  # fmt: skip

    def article(request: RecordedRequest) -> CannedResponse:
        i = request.path.rsplit("/", 1)[1]
        text = " ".join(
            f"Alibaba Cloud said source {i} grew revenue {j} percent in the quarter."
            for j in range(10)
        )
        html = f"<html><head><title>Note {i}</title></head><body><article><h1>Note {i}</h1>"
        html += f"<p>{text}</p></article></body></html>"
        return CannedResponse(body=html.encode(), content_type="text/html", delay=delay)

    for i in range(count):
        server.route(f"/f/{i}", feed)
        server.route(f"/a/{i}", article)
    Path(port_file).write_text(str(server.port))
    while True:
        time.sleep(3600)


def config_text(tmp: Path, port: int, feeds: int, concurrency: int, tick: int = 1) -> str:
    """One config for both sides: the daemon checks as many sources at once as one worker."""
    sources = "".join(
        f'[[sources]]\nname = "s{i:04d}"\nurl = "http://127.0.0.1:{port}/f/{i}"\n'
        for i in range(feeds)
    )
    return (
        f'[store]\npath = "{(tmp / "ingest.db").as_posix()}"\n'
        '[http]\nallow_networks = ["127.0.0.1/32"]\nper_host_min_delay = 0\n'
        "per_host_concurrency = 100\n"
        f"[schedule]\ntick = {tick}\nmin_interval = 1\ndefault_interval = 1\nadaptive = false\n"
        f"max_parallel_sources = {concurrency}\nrevisit_within = 0\n"
        f"[cluster]\ntick = {tick}\nconcurrency = {concurrency}\n"
        f"{sources}"
    )


@dataclass(frozen=True, slots=True)
class Sample:
    """One setup's window: polls, seconds, CPU, and what the polls looked like."""

    setup: str
    polls: int
    seconds: float
    busy_cores: float  # machine-wide CPU busy over the window, in cores (other tenants too)
    ingest_cores: float  # the ingest processes' own CPU, in cores
    own_cores: float  # ingest processes + their PostgreSQL backends + the loopback site
    mean_ms: float  # mean duration of a poll in the window (fetch_log.duration_ms)
    outcomes: str

    @property
    def rate(self) -> float:
        return self.polls / self.seconds


def cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def proc_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) of the given processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        rest = stat.rsplit(")", 1)[1].split()
        total += (int(rest[11]) + int(rest[12])) / ticks
    return total


def measure(
    setup: str,
    query: Callable[[str], list[tuple[object, ...]]],
    procs: list[subprocess.Popen[bytes]],
    feeds: int,
    warmup: float,
    window: float,
    log: Path,
    site: int,
) -> Sample:
    """Wait until every source was checked once, then ``warmup`` more, then count a window."""
    deadline = time.monotonic() + 180
    while int(query(POLLED_SOURCES)[0][0]) < feeds:
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"{setup}: a process exited early:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{setup}: not every source was checked:\n{log.read_text()[-3000:]}")
        time.sleep(0.25)
    time.sleep(warmup)
    pids = [p.pid for p in procs]
    # The run's PostgreSQL backends (pooled, so alive through the window); none for SQLite.
    backends = [int(str(r[0])) for r in query(BACKENDS) if r[0]]
    first_id = int(query("SELECT COALESCE(MAX(id), 0) FROM fetch_log")[0][0])
    n0, t0 = int(query(FEED_POLLS)[0][0]), time.perf_counter()
    b0, c0 = cpu_busy()
    w0, o0 = proc_cpu(pids), proc_cpu([*backends, site])
    time.sleep(window)
    n1, t1 = int(query(FEED_POLLS)[0][0]), time.perf_counter()
    b1, c1 = cpu_busy()
    w1, o1 = proc_cpu(pids), proc_cpu([*backends, site])
    cores = os.cpu_count() or 1
    rows = query(
        "SELECT outcome, COUNT(*), AVG(duration_ms) FROM fetch_log"
        f" WHERE kind = 'feed' AND id > {first_id} GROUP BY outcome ORDER BY 2 DESC"
    )
    total = sum(int(str(r[1])) for r in rows) or 1
    mean_ms = sum(float(str(r[2])) * int(str(r[1])) for r in rows) / total
    return Sample(
        setup=setup, polls=n1 - n0, seconds=t1 - t0,
        busy_cores=(b1 - b0) / (c1 - c0) * cores, ingest_cores=(w1 - w0) / (t1 - t0),
        own_cores=(w1 - w0 + o1 - o0) / (t1 - t0),
        mean_ms=mean_ms, outcomes=", ".join(f"{r[0]} {r[1]}" for r in rows),
    )  # fmt: skip


def child_env(url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    env["PYTHONPATH"] = str(ROOT)
    if url:
        env["INGEST_DATABASE_URL"] = url
    return env


def start(command: str, config: Path, url: str | None, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ingest", command, "--config", str(config)],
            env=child_env(url), stdout=out, stderr=subprocess.STDOUT, cwd=config.parent,
        )  # fmt: skip


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database for one run; its sessions ended and dropped after."""
    import psycopg

    name = f"ingest_bench_{uuid.uuid4().hex[:12]}"
    base = ADMIN_URL.rpartition("/")[0]
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{base}/{name}"
        finally:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def postgres_query(url: str) -> Callable[[str], list[tuple[object, ...]]]:
    import psycopg

    def query(sql: str) -> list[tuple[object, ...]]:
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                return conn.execute(sql).fetchall()
            except psycopg.errors.UndefinedTable:
                return [(0, 0, 0)]  # the first worker has not created the schema yet

    return query


def sqlite_query(path: Path) -> Callable[[str], list[tuple[object, ...]]]:
    import sqlite3

    def query(sql: str) -> list[tuple[object, ...]]:
        if not path.exists():
            return [(0, 0, 0)]
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError:
            return [(0, 0, 0)]  # no schema yet
        finally:
            conn.close()

    return query


def run_setup(setup: str, port: int, site: int, args: argparse.Namespace, tmp: Path) -> Sample:
    run_dir = Path(tempfile.mkdtemp(prefix=f"{setup}-", dir=tmp))
    config = run_dir / "ingest.toml"
    text = config_text(run_dir, port, args.feeds, args.concurrency, args.tick)
    config.write_text(text, encoding="utf-8")
    log = run_dir / "log.txt"
    if setup == "sqlite":
        procs = [start("run", config, None, log)]
        try:
            return measure(setup, sqlite_query(run_dir / "ingest.db"), procs, args.feeds,
                           args.warmup, args.window, log, site)  # fmt: skip
        finally:
            stop(procs)
    workers = int(setup.split("x")[0])
    with fresh_database() as url:
        procs = [start("worker", config, url, log) for _ in range(workers)]
        try:
            return measure(setup, postgres_query(url), procs, args.feeds, args.warmup,
                           args.window, log, site)  # fmt: skip
        finally:
            stop(procs)


def polling(args: argparse.Namespace) -> None:
    setups = ["sqlite", *(f"{n}x postgres" for n in args.workers)]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        port_file = tmp / "port"
        server = subprocess.Popen(
            [sys.executable, __file__, "serve", str(args.feeds), str(port_file), str(args.delay),
             args.unchanged],
            env=child_env(None),
        )  # fmt: skip
        samples: dict[str, list[Sample]] = {s: [] for s in setups}
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            port = int(port_file.read_text())
            for r in range(args.repeats):
                for setup in setups:
                    s = run_setup(setup, port, server.pid, args, tmp)
                    samples[setup].append(s)
                    print(
                        f"  repeat {r + 1} {setup:12} {s.rate:7.1f} polls/s ({s.polls} in "
                        f"{s.seconds:.1f} s), mean poll {s.mean_ms:.0f} ms; CPU cores: ingest "
                        f"{s.ingest_cores:.2f}, with its database and the site {s.own_cores:.2f}"
                        f", machine {s.busy_cores:.2f}; {s.outcomes}",
                        flush=True,
                    )
        finally:
            server.kill()
            server.wait()
    report_polling(samples, args)


def report_polling(samples: dict[str, list[Sample]], args: argparse.Namespace) -> None:
    ceiling = args.concurrency / args.delay
    print(
        f"\n{args.feeds} feeds answering after {args.delay * 1000:.0f} ms ({args.unchanged} when"
        f" unchanged), {args.concurrency} checks at once per process (I/O ceiling "
        f"{ceiling:.0f} polls/s per process), {args.window:g} s windows, median of "
        f"{args.repeats}, tick {args.tick} s; nproc {os.cpu_count()}\n"
    )
    one = statistics.median(s.rate for s in samples.get(f"{args.workers[0]}x postgres", []))
    print("| setup | polls/s | vs 1 worker | per process | mean poll | CPU: ingest | CPU: ingest"
          " + database + site | CPU ms per poll | machine busy |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for setup, runs in samples.items():
        rate = statistics.median(s.rate for s in runs)
        own = statistics.median(s.own_cores for s in runs)
        processes = 1 if setup == "sqlite" else int(setup.split("x")[0])
        print(
            f"| {setup} | {rate:.1f} | {rate / one:.2f}x | {rate / processes:.1f} | "
            f"{statistics.median(s.mean_ms for s in runs):.0f} ms | "
            f"{statistics.median(s.ingest_cores for s in runs):.2f} | {own:.2f} | "
            f"{own / rate * 1000:.1f} | {statistics.median(s.busy_cores for s in runs):.2f} |"
        )
    print(
        f"\nCPU columns are cores (of {os.cpu_count()}); 'machine busy' counts every process on"
        " the machine, other tenants included. When it nears nproc, CPU (not the feeds' I/O) is"
        " the limit."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=400)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--unchanged", choices=("304", "200"), default="304")
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 2, 4])  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--tick", type=int, default=1, help="[schedule] and [cluster] tick")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--window", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2, help="per-article rounds")
    parser.add_argument("--skip-polling", action="store_true")
    parser.add_argument("--skip-articles", action="store_true")
    args = parser.parse_args()
    print(f"nproc {os.cpu_count()}, {cpu_model()}, PostgreSQL at {ADMIN_URL}", flush=True)
    if not args.skip_polling:
        polling(args)
    if not args.skip_articles:
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_cluster_articles import article_cost

        return article_cost(args.rounds, fresh_database)
    return 0


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5])
    else:
        sys.path.insert(0, str(ROOT))
        raise SystemExit(main())
