"""The cluster drill: three ``ingest worker`` processes, 300 feeds, ten SIGKILLs mid-check.

One PostgreSQL database holds the store and the queue. The loopback site serves 300 feeds:
slow ones (their feed answers after 1.5 s), failing ones (500), growing ones (a new entry, with
its article page, every round) and quiet ones (two entries, then 304 Not Modified). Two webhook
targets receive the alerts; one of them answers 503 with Retry-After to every fourth request.
While the rounds advance, one worker is SIGKILLed ten times, each time while it runs a source
check, and replaced. Then the feeds stop changing, the cluster catches up, and the drill checks:

* no source was checked twice at once, nor twice within its interval;
* every entry any feed offered is stored once, with its article;
* the jobs of every killed worker were taken up again within a minute;
* every alert reached both targets under its one ``webhook-id``, and no target got an alert
  more than once beyond the at-most-one-per-kill resend at-least-once delivery allows.
"""

from __future__ import annotations

import itertools
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from cluster_support import count, rows, start_worker, stop, wait_for

from ingest.models import to_iso
from ingest_demo.loopback import CannedResponse, LoopbackServer, RecordedRequest

pytest.importorskip("procrastinate", reason="the cluster extra is not installed")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SOURCES = 300
WORKERS = 3
KILLS = 10
INTERVAL = 12  # seconds: [schedule] min_interval = default_interval
SLOW_FEED = 1.5
PAGE_DELAY = 0.1

WORDS = (
    "cloud revenue customers region model inference training chips datacenter capacity "
    "storage network partners quarter analysts growth margin pricing enterprise developers "
    "platform subscription compute cluster tokens agents retail logistics finance payments "
    "services overseas market demand supply spending investment facility power cooling "
    "servers software hardware research engineers launch release upgrade contract licence"
).split()
CITIES = (
    "Hangzhou Shanghai Beijing Shenzhen Chengdu Wuhan Nanjing Xian Tianjin Suzhou Qingdao "
    "Dalian Xiamen Kunming Harbin Changsha Jinan Hefei Fuzhou Ningbo Singapore Jakarta Dubai "
    "Frankfurt London Tokyo Seoul Sydney Riyadh Manila"
).split()


def kind_of(i: int) -> str:
    return {0: "slow", 1: "failing", 2: "growing", 3: "growing", 4: "growing"}.get(i % 10, "quiet")


def article_text(i: int, j: int) -> str:
    """A distinct article: one stated figure, and prose no other article shares."""
    rng = random.Random(i * 1000 + j)
    city = CITIES[(i + j) % len(CITIES)]
    prose = " ".join(
        " ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + "." for _ in range(6)
    )
    return (
        f"Alibaba Cloud said revenue at its {city} data centre {i} reached "
        f"{120 + 7 * j + i % 13} million yuan in the quarter (feed {i} item {j}). {prose}"
    )


@dataclass
class Site:
    """The loopback site's state: the current round, and what each feed path went through."""

    server: LoopbackServer
    round: int = 0
    active: Counter[str] = field(default_factory=Counter)
    most_at_once: Counter[str] = field(default_factory=Counter)
    offered: dict[int, set[str]] = field(default_factory=dict)  # source -> guids it served
    accepted: dict[str, list[str]] = field(default_factory=dict)  # target -> webhook-ids (2xx)
    hook_requests: Counter[str] = field(default_factory=Counter)
    slow_since: dict[int, float] = field(default_factory=dict)  # slow feed -> its answer's start
    lock: threading.Lock = field(default_factory=threading.Lock)

    def items(self, i: int) -> list[int]:
        return list(range(self.round + 1)) if kind_of(i) == "growing" else [0, 1]

    def feed(self, i: int, request: RecordedRequest) -> CannedResponse:
        path = f"/f/{i}"
        kind = kind_of(i)
        with self.lock:
            self.active[path] += 1
            self.most_at_once[path] = max(self.most_at_once[path], self.active[path])
            items = self.items(i)
            tag = f'"r{self.round}"' if kind == "growing" else '"v1"'
        try:
            if kind == "slow":
                with self.lock:
                    self.slow_since[i] = time.monotonic()
                time.sleep(SLOW_FEED)
            if kind == "failing":
                return CannedResponse(status=500, body=b"upstream error")
            if request.header("If-None-Match") == tag:
                return CannedResponse(status=304, headers=(("ETag", tag),))
            with self.lock:
                self.offered.setdefault(i, set()).update(f"g{i}-{j}" for j in items)
            body = "".join(
                f"<item><title>Alibaba feed {i} item {j}</title>"
                f"<link>{self.server.url(f'/p/{i}/{j}')}</link><guid>g{i}-{j}</guid>"
                f"<description>Alibaba Cloud news, feed {i} item {j}</description></item>"
                for j in items
            )
            xml = (
                '<?xml version="1.0"?><rss version="2.0"><channel>'
                f"<title>Feed {i}</title>{body}</channel></rss>"
            )
            return CannedResponse(
                body=xml.encode(), content_type="application/rss+xml", headers=(("ETag", tag),)
            )
        finally:
            with self.lock:
                self.active[path] -= 1
                self.slow_since.pop(i, None)

    def page(self, i: int, j: int) -> CannedResponse:
        html = (
            f"<html><head><title>Alibaba feed {i} item {j}</title></head><body><article>"
            f"<h1>Alibaba feed {i} item {j}</h1><p>{article_text(i, j)}</p></article></body></html>"
        )
        return CannedResponse(body=html.encode(), content_type="text/html", delay=PAGE_DELAY)

    def hook(self, target: str, request: RecordedRequest) -> CannedResponse:
        with self.lock:
            self.hook_requests[target] += 1
            refuse = target == "flaky" and self.hook_requests[target] % 4 == 0
            if not refuse:
                self.accepted.setdefault(target, []).append(request.header("webhook-id") or "")
        if refuse:
            return CannedResponse(status=503, headers=(("Retry-After", "1"),))
        return CannedResponse(status=204)

    def publish(self, rounds: int) -> None:
        """Route every feed, hook and page up to round ``rounds``."""
        for i in range(SOURCES):
            self.server.route(f"/f/{i}", lambda r, i=i: self.feed(i, r))
            for j in range(rounds + 1 if kind_of(i) == "growing" else 2):
                self.server.route(f"/p/{i}/{j}", self.page(i, j))
        for target in ("steady", "flaky"):
            self.server.route(f"/hook/{target}", lambda r, t=target: self.hook(t, r))


def write_config(tmp_path: Path, site: Site) -> Path:
    sources = "".join(
        f'[[sources]]\nname = "feed {i}"\nurl = "{site.server.url(f"/f/{i}")}"\n'
        for i in range(SOURCES)
    )
    hooks = "".join(
        f'[[alerts.webhook]]\nname = "{t}"\nurl = "{site.server.url(f"/hook/{t}")}"\n'
        for t in ("steady", "flaky")
    )
    config = tmp_path / "ingest.toml"
    config.write_text(
        f'[store]\npath = "{(tmp_path / "unused.db").as_posix()}"\n'
        '[http]\nallow_networks = ["127.0.0.1/32"]\nper_host_min_delay = 0\n'
        "per_host_concurrency = 64\n"
        f"[schedule]\nmin_interval = {INTERVAL}\ndefault_interval = {INTERVAL}\n"
        "adaptive = false\nstop_grace = 30\n"
        "[cluster]\ntick = 1\nheartbeat = 0.5\nstalled_timeout = 3\nconcurrency = 8\n"
        "[alerts]\nretry_base = 1\nretry_max = 2\n"
        f"{hooks}{sources}",
        encoding="utf-8",
    )
    return config


@dataclass(frozen=True)
class Kill:
    at: datetime  # the database's clock at the kill
    jobs: tuple[int, ...]  # the check jobs the worker was running


def worker_ids(url: str) -> set[int]:
    import psycopg

    try:
        return {r[0] for r in rows(url, "SELECT id FROM procrastinate_workers")}
    except psycopg.errors.UndefinedTable:  # the first worker has not set up the queue yet
        return set()


def start_registered(
    config: Path, url: str, log: Path, known: set[int]
) -> tuple[subprocess.Popen[bytes], int]:
    """Start a worker and learn its row in procrastinate_workers (the one that appears)."""
    proc = start_worker(config, url, log)
    fresh: set[int] = set()

    def registered() -> bool:
        fresh.update(worker_ids(url) - known)
        return bool(fresh)

    wait_for("the worker to register", registered, [proc], log)
    (worker_id,) = fresh
    known.add(worker_id)
    return proc, worker_id


def running_checks(url: str, worker_id: int) -> dict[int, int]:
    """The check jobs a worker runs: job id -> source id."""
    found = rows(
        url,
        "SELECT id, (args->>'source_id')::int FROM procrastinate_jobs"
        " WHERE worker_id = %s AND status = 'doing' AND task_name = 'ingest.check_source'",
        (worker_id,),
    )
    return dict(found)


def kill_mid_check(
    url: str, site: Site, workers: list[tuple[subprocess.Popen[bytes], int]], log: Path
) -> tuple[int, Kill]:
    """SIGKILL a worker that runs two source checks at least, one of them a slow feed whose
    answer has a second to go (so the check cannot end before the signal lands); which one it
    was, and the check jobs it left running (read after its death)."""
    feed_of = {
        sid: int(name.split()[-1]) for sid, name in rows(url, "SELECT id, name FROM sources")
    }
    victim = 0

    def mid_slow_check(checks: dict[int, int]) -> bool:
        now = time.monotonic()
        with site.lock:
            started = [site.slow_since.get(feed_of.get(s, -1)) for s in checks.values()]
        return any(t is not None and now - t < SLOW_FEED - 1.0 for t in started)

    def busy() -> bool:
        nonlocal victim
        for n, (_, worker_id) in enumerate(workers):
            checks = running_checks(url, worker_id)
            if len(checks) >= 2 and mid_slow_check(checks):
                victim = n
                return True
        return False

    wait_for("a worker mid-check", busy, [p for p, _ in workers], log, timeout=60)
    proc, worker_id = workers[victim]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    ((at,),) = rows(url, "SELECT clock_timestamp()")
    return victim, Kill(at=at, jobs=tuple(running_checks(url, worker_id)))


def test_three_workers_300_feeds_ten_sigkills(
    tmp_path: Path, loopback: LoopbackServer, postgres_url: str
) -> None:
    url = postgres_url
    site = Site(loopback)
    rounds = KILLS // 2 + 1
    site.publish(rounds)
    config = write_config(tmp_path, site)
    log = tmp_path / "workers.log"
    known: set[int] = set()
    workers = [start_registered(config, url, log, known) for _ in range(WORKERS)]
    kills: list[Kill] = []
    try:
        # Every source's first check, then the rounds, each a new entry on the growing feeds;
        # two kills per round.
        done = "SELECT COUNT(DISTINCT source_id) FROM fetch_log WHERE kind = 'feed'"
        wait_for("a first check of every source", lambda: count(url, done) == SOURCES,
                 [p for p, _ in workers], log, timeout=240)  # fmt: skip
        for n in range(KILLS):
            if n % 2 == 0:
                with site.lock:
                    site.round = min(site.round + 1, rounds)
            victim, kill = kill_mid_check(url, site, workers, log)
            kills.append(kill)
            workers[victim] = start_registered(config, url, log, known)
            time.sleep(INTERVAL / 3)
        # The feeds stop changing: every source that can be checked is, once more at least.
        ((frozen,),) = rows(url, "SELECT clock_timestamp()")
        since = (
            "SELECT COUNT(DISTINCT source_id) FROM fetch_log WHERE kind = 'feed'"
            f" AND outcome <> 'error' AND started_at > '{to_iso(frozen)}'"
        )
        healthy = sum(1 for i in range(SOURCES) if kind_of(i) != "failing")
        wait_for("a check of every source after the last change",
                 lambda: count(url, since) >= healthy, [p for p, _ in workers], log,
                 timeout=180)  # fmt: skip
        pending = "SELECT COUNT(*) FROM alert_deliveries WHERE status <> 'sent'"
        wait_for("every alert delivered", lambda: count(url, pending) == 0,
                 [p for p, _ in workers], log, timeout=120)  # fmt: skip
    finally:
        codes = stop([p for p, _ in workers])
    assert codes == [0] * WORKERS, log.read_text()[-3000:]
    assert len(kills) == KILLS and all(k.jobs for k in kills)

    # No source was fetched twice at once, nor checked twice within its interval.
    assert max(site.most_at_once.values()) == 1
    checks = rows(
        url,
        "SELECT s.name, f.started_at FROM fetch_log f JOIN sources s ON s.id = f.source_id"
        " WHERE f.kind = 'feed' ORDER BY s.name, f.started_at",
    )
    by_source: dict[str, list[datetime]] = {}
    for name, started in checks:
        by_source.setdefault(name, []).append(datetime.fromisoformat(started))
    gaps = [
        (b - a).total_seconds()
        for name, times in by_source.items()
        if kind_of(int(name.split()[1])) != "failing"
        for a, b in itertools.pairwise(times)
    ]
    # started_at is stored to the second, hence the 1 s of slack.
    assert gaps and min(gaps) >= INTERVAL - 1, sorted(gaps)[:5]
    assert len(by_source) == SOURCES

    # Every offered entry stored once, with its article.
    stored = rows(
        url,
        "SELECT s.name, e.guid, e.article_id FROM entries e JOIN sources s ON s.id = e.source_id",
    )
    guids = Counter(guid for _, guid, _ in stored)
    assert all(n == 1 for n in guids.values()), [g for g, n in guids.items() if n > 1][:5]
    offered = set().union(*site.offered.values())
    assert set(guids) == offered
    assert all(article is not None for _, _, article in stored)
    growing = sum(1 for i in range(SOURCES) if kind_of(i) == "growing")
    assert len(offered) >= growing * (rounds + 1)

    # The jobs of each killed worker ran again (or were closed for a newer copy) within a minute.
    for kill in kills:
        for job in kill.jobs:
            taken_up = rows(
                url,
                "SELECT MIN(at) FROM procrastinate_events WHERE job_id = %s AND at > %s"
                " AND type IN ('started', 'failed')",
                (job, kill.at),
            )[0][0]
            assert taken_up is not None, f"job {job} of a killed worker never ran again"
            assert (taken_up - kill.at).total_seconds() < 60
    assert count(url, "SELECT COUNT(*) FROM procrastinate_jobs WHERE status = 'doing'") == 0

    # Every alert at both targets under its one webhook-id; repeats only from kills.
    uids = {r[0] for r in rows(url, "SELECT uid FROM alerts")}
    assert uids, "the drill produced no alerts"
    assert count(url, "SELECT COUNT(*) FROM alert_deliveries") == 2 * len(uids)
    for target in ("steady", "flaky"):
        got = Counter(site.accepted[target])
        assert set(got) == uids, target
        assert sum(got.values()) - len(got) <= KILLS, target
    assert site.hook_requests["flaky"] > len(site.accepted["flaky"])  # it did refuse some
