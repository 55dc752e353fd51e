"""Polling at scale, on loopback (issue 7, benchmarks 3 and 4).

Run: .venv/bin/python bench/bench_polling.py [--sources 1000] [--passes 10] [--registered 10000]

1. 1,000 sources on a loopback server (a separate process, so it does not share our GIL), one
   full pass where every feed answers 304 (target: under 5 s); then a pass where every feed has
   one new entry whose page is fetched, extracted and stored.
2. The scheduler's own work per tick (claiming due sources, with their leases) with 10,000
   sources registered (target: under 50 ms).
3. Resident memory over `--passes` passes of all sources with a fake clock that makes every
   source due on each pass (10 x 1,000 = 10,000 polls): growth after the first pass under 10 %,
   and under 200 MB.

All sources live on one host here, so the per-host limits are opened up
(`per_host_concurrency = 64`, `per_host_min_delay = 0`); on the real web they apply per site.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ARTICLE = (
    "<html><head><title>Alibaba Cloud note {i}</title></head><body><nav>Home</nav><article>"
    "<h1>Alibaba Cloud note {i}</h1><p>Alibaba Cloud said on Tuesday that source {i} "
    "published item {n} about its AI infrastructure, with revenue up {i}% in the quarter "
    "and capital spending of {n} billion yuan planned over three years.</p>"
    "<p>Analysts said the figures were in line with the company's earlier guidance on "
    "data centres and the Qwen model family.</p></article><footer>Footer</footer></body></html>"
)


def serve(count: int, port_file: str) -> None:
    """The loopback site: /f/<i> feeds with ETags; /phase/<n> adds an entry to every feed."""
    from ingest_demo.loopback import CannedResponse, LoopbackServer, RecordedRequest

    state = {"phase": 1}

    def feed(request: RecordedRequest) -> CannedResponse:
        i = int(request.path.rsplit("/", 1)[1])
        phase = state["phase"]
        etag = f'"f{i}-p{phase}"'
        if request.header("If-None-Match") == etag:
            return CannedResponse(status=304, headers=(("ETag", etag),))
        items = "".join(
            f"<item><title>Alibaba Cloud note {i}-{n}</title>"
            f"<link>http://127.0.0.1:{server.port}/a/{i}/{n}</link><guid>g{i}-{n}</guid>"
            f"<description>Alibaba Cloud item {n}</description></item>"
            for n in range(1, phase + 1)
        )
        body = (
            '<?xml version="1.0"?><rss version="2.0">'
            f"<channel><title>F{i}</title>{items}</channel></rss>"
        )
        return CannedResponse(
            body=body.encode(), content_type="application/rss+xml", headers=(("ETag", etag),)
        )

    def article(request: RecordedRequest) -> CannedResponse:
        _, _, i, n = request.path.split("/")
        return CannedResponse(body=ARTICLE.format(i=i, n=n).encode(), content_type="text/html")

    def phase(request: RecordedRequest) -> CannedResponse:
        state["phase"] = int(request.path.rsplit("/", 1)[1])
        return CannedResponse(body=b"ok")

    server = LoopbackServer().start()
    for i in range(count):
        server.route(f"/f/{i}", feed)
        for n in range(1, 4):
            server.route(f"/a/{i}/{n}", article)
    for n in range(1, 4):
        server.route(f"/phase/{n}", phase)
    Path(port_file).write_text(str(server.port))
    while True:
        time.sleep(3600)


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def build(tmp: Path, port: int, count: int) -> Any:
    from ingest.config import parse_config
    from ingest.daemon import build_services, open_store

    sources = [{"name": f"s{i:05d}", "url": f"http://127.0.0.1:{port}/f/{i}"} for i in range(count)]
    config = parse_config(
        {
            "store": {"path": str(tmp / "bench.db")},
            "http": {"allow_networks": ["127.0.0.1/32"], "per_host_min_delay": 0,
                     "per_host_concurrency": 64},
            # Revisits off: this measures polling; revisits are pages, measured per article.
            "schedule": {"max_parallel_sources": 32, "adaptive": False, "revisit_within": 0},
            "sources": sources,
        },
        file="bench.toml",
        environ={},
    )  # fmt: skip
    return config, build_services(config, open_store(config, config.store.path))


async def one_pass(services: Any, *, only_due: bool) -> tuple[float, dict[str, int]]:
    from ingest.daemon import run_pass

    t0 = time.perf_counter()
    results = await run_pass(services, only_due=only_due, owner="bench")
    outcomes: dict[str, int] = {}
    for r in results:
        outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
    return time.perf_counter() - t0, outcomes


def scheduler_tick_cost(tmp: Path, registered: int) -> None:
    """Time the claim of due sources with `registered` sources, 1 % of them due."""
    from ingest.models import CheckOutcome, SourceStatus
    from ingest.store import ScheduleUpdate, SourceSpec, Store

    store = Store(tmp / "sched.db")
    store.sync_sources(
        SourceSpec(f"s{i:05d}", f"https://h{i}.example/feed") for i in range(registered)
    )
    now = datetime(2026, 11, 1, tzinfo=UTC)
    # Give every source a next check; 1 % are due now, the rest spread over the next day.
    for s in store.list_sources():
        due = now - timedelta(minutes=1) if s.id % 100 == 0 else now + timedelta(seconds=s.id * 8)
        store.record_check(
            CheckOutcome(s.id, now, 1, "ok"),
            ScheduleUpdate(status=SourceStatus.OK, next_check=due, failures=0),
            url=s.url,
        )
    times, claimed = [], 0
    for k in range(20):
        t0 = time.perf_counter()
        got = store.claim_due_sources(now, limit=256, owner=f"o{k}", lease=timedelta(seconds=1))
        times.append((time.perf_counter() - t0) * 1000)
        claimed = max(claimed, len(got))
        store.release_leases(f"o{k}")
    print(
        f"scheduler tick with {registered} sources registered ({claimed} due): median "
        f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms (target < 50 ms)"
    )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=10)
    parser.add_argument("--registered", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        port_file = tmp / "port"
        server = subprocess.Popen(
            [sys.executable, __file__, "serve", str(args.sources), str(port_file)]
        )
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            port = int(port_file.read_text())
            asyncio.run(polling(tmp, port, args.sources, args.passes))
        finally:
            server.kill()
        scheduler_tick_cost(tmp, args.registered)
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


async def polling(tmp: Path, port: int, count: int, passes: int) -> None:
    import httpx

    _config, services = build(tmp, port, count)
    first, outcomes = await one_pass(services, only_due=False)
    print(f"pass 1 (first fetch of {count} feeds, 1 entry each): {first:.2f} s {outcomes}")
    cold, outcomes = await one_pass(services, only_due=False)
    print(f"pass 2 (all {count} answer 304): {cold:.2f} s {outcomes} (target < 5 s)")
    async with httpx.AsyncClient() as client:
        await client.get(f"http://127.0.0.1:{port}/phase/2")
    new, outcomes = await one_pass(services, only_due=False)
    print(f"pass 3 (all {count} with one new entry, page fetched + stored): {new:.2f} s {outcomes}")
    # Memory: a fake clock a day ahead per pass makes every source due for a normal tick.
    fake = [datetime.now(UTC)]
    from dataclasses import replace

    from ingest.daemon import Daemon

    services = replace(services, clock=lambda: fake[0])
    daemon = Daemon(services)
    rss = []
    for k in range(passes):
        fake[0] += timedelta(days=1, minutes=1)
        before = services.store.conn.execute("SELECT COUNT(*) FROM fetch_log").fetchone()[0]
        t0 = time.perf_counter()
        await daemon.tick()  # the daemon's own tick: claims due sources batch after batch
        took = time.perf_counter() - t0
        polled = (
            services.store.conn.execute("SELECT COUNT(*) FROM fetch_log").fetchone()[0] - before
        )
        rss.append(rss_mb())
        print(
            f"  memory pass {k + 1}/{passes}: {polled} polls in {took:.2f} s, RSS {rss[-1]:.1f} MB"
        )
    growth = (rss[-1] - rss[0]) / rss[0] * 100
    print(
        f"RSS after pass 1 {rss[0]:.1f} MB, after pass {passes} {rss[-1]:.1f} MB: growth "
        f"{growth:+.1f} % (target < 10 %, < 200 MB) over {passes * count} polls"
    )
    await services.fetcher.aclose()
    services.store.close()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        main()
