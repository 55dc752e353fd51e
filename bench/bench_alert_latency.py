"""Alert delivery latency and throughput on loopback.

    .venv/bin/python bench/bench_alert_latency.py [--n 200]

Measures, against a real HTTP receiver on 127.0.0.1 (ingest_demo.loopback):
  1. enqueue -> received: one finding enqueued (its own committed transaction), then one
     ``deliver_due`` pass; time until the receiver's handler runs. p50 / p95 / max.
  2. a burst of 500 alerts delivered one by one in one pass (immediate mode): alerts/s.
  3. the same burst in digest mode: one signed message, time of the pass.
  4. poll -> webhook received, through the real pipeline: a loopback feed gets a new item whose
     page states a new figure; one poll pass (``run_pass``: feed, page, extraction, dedup,
     figures, finding and alert row in one transaction) then one ``deliver_alerts``, with the
     services built once as the daemon does; the receiver timestamps arrival. p50 / p95 / max,
     and the share of it spent in the poll.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.alerts import AlertSettings, build_senders, close_senders, deliver_due
from ingest.alerts.enqueue import Alerter
from ingest.alerts.settings import WebhookSettings
from ingest.alerts.synthetic import enqueue_synthetic, synthetic_finding
from ingest.store import Store
from ingest.store.alerts import AlertQueries, create_alert_tables
from ingest_demo.loopback import CannedResponse, LoopbackServer, RecordedRequest

SECRET = "whsec_YmVuY2htYXJrLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"


class _Store(Store, AlertQueries):
    """The store with the outbox mixed in (a no-op once Store has it)."""


def _open(path: Path) -> _Store:
    store = _Store(path)
    create_alert_tables(store.conn)
    return store


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _pass(store: _Store, settings: AlertSettings, now: datetime) -> int:
    senders = build_senders(settings)
    try:
        return (await deliver_due(store, senders, settings, now, rng=Random(0))).sent
    finally:
        await close_senders(senders)


def bench_latency(server: LoopbackServer, tmp: Path, n: int, *, fresh_senders: bool) -> list[float]:
    """``fresh_senders``: build the HTTP client for every pass, as a one-shot ``ingest poll``
    does; otherwise build it once, as the daemon does."""
    arrived: list[float] = []

    def handler(_request: RecordedRequest) -> CannedResponse:
        arrived.append(time.perf_counter())
        return CannedResponse(status=204, content_type=None)

    path = f"/latency-{fresh_senders}"
    server.route(path, handler)
    settings = AlertSettings(
        webhooks=(WebhookSettings(name="hook", url=server.url(path), secret=SECRET),)
    )
    store = _open(tmp / f"latency-{fresh_senders}.db")
    store_alerts = Alerter(store, settings)
    now = datetime.now(UTC)

    async def run() -> list[float]:
        latencies = []
        senders = None if fresh_senders else build_senders(settings)
        for i in range(1, n + 1):
            started = time.perf_counter()
            with store.unit():  # as the findings stage does: alert row with the finding
                store_alerts.enqueue_record(synthetic_finding(i, now=now), now=now)
            if senders is None:
                await _pass(store, settings, now)
            else:
                await deliver_due(store, senders, settings, now, rng=Random(0))
            latencies.append((arrived[-1] - started) * 1000)
        if senders is not None:
            await close_senders(senders)
        return latencies

    result = asyncio.run(run())
    store.close()
    return result


def bench_burst(server: LoopbackServer, tmp: Path, *, digest: bool) -> tuple[float, int, int]:
    count = 0

    def handler(_request: RecordedRequest) -> CannedResponse:
        nonlocal count
        count += 1
        return CannedResponse(status=200, content_type=None)

    path = "/digest" if digest else "/burst"
    server.route(path, handler)
    hook = WebhookSettings(name="hook", url=server.url(path), secret=SECRET)
    settings = (
        AlertSettings(mode="digest", digest_every=900.0, webhooks=(hook,))
        if digest
        else AlertSettings(webhooks=(hook,), batch=1000)
    )
    store = _open(tmp / f"{path[1:]}.db")
    store_alerts = Alerter(store, settings)
    now = datetime(2026, 11, 3, 14, 1, tzinfo=UTC)
    with store.unit():
        enqueue_synthetic(store_alerts, 500, now=now)
    due = now + timedelta(minutes=15) if digest else now
    started = time.perf_counter()
    sent = asyncio.run(_pass(store, settings, due))
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, sent, count


_WORDS = (
    "analysts customers capacity servers cooling suppliers region quarter margin pricing rivals "
    "developers enterprise training inference demand chips power land contracts partners "
    "hangzhou shenzhen beijing singapore frankfurt brazil france exports regulators filings "
    "engineers startups retailers banks insurers carmakers schools hospitals ports airlines"
).split()


def _article_html(i: int) -> bytes:
    """An invented article with one figure no earlier item states (its own fiscal year), and
    filler drawn at random so no two items look like copies of each other to dedup."""
    rng = Random(i)
    filler = " ".join(
        " ".join(rng.choice(_WORDS) for _ in range(14)).capitalize() + "." for _ in range(6)
    )
    return (
        f"<html><head><title>Alibaba Cloud results {i}</title></head><body><article>"
        f"<h1>Alibaba Cloud revenue, fiscal {1000 + i}</h1>"
        f"<p>Alibaba Cloud revenue was {10 + i / 10:.1f} billion yuan in fiscal {1000 + i}, "
        "the group said, as demand for AI computing kept growing.</p>"
        f"<p>{filler}</p></article></body></html>"
    ).encode()


def _feed_xml(base: str, items: list[int]) -> bytes:
    entries = "".join(
        f"<item><title>Alibaba Cloud results {i}</title><link>{base}/a/{i}</link>"
        f"<guid>{base}/a/{i}</guid><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate>"
        "<description>Alibaba Cloud AI revenue.</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>'
        f"<link>{base}/</link><description>bench</description>{entries}</channel></rss>"
    ).encode()


def bench_poll_to_webhook(server: LoopbackServer, tmp: Path, n: int) -> tuple[list[float], ...]:
    """Latency (ms) from the start of a poll that sees one new item to the webhook's arrival,
    and the part of it spent in the poll pass."""
    from ingest.config import parse_config
    from ingest.daemon import build_services, close_services, deliver_alerts, open_store, run_pass

    arrived: list[float] = []

    def hook(_request: RecordedRequest) -> CannedResponse:
        arrived.append(time.perf_counter())
        return CannedResponse(status=204, content_type=None)

    server.route("/poll-hook", hook)
    config = parse_config(
        {
            "store": {"path": str(tmp / "poll.db")},
            "http": {"allow_networks": ["127.0.0.1/32"], "per_host_min_delay": 0},
            "sources": [{"name": "bench", "url": server.url("/feed.xml")}],
            "alerts": {"webhook": [{"url": server.url("/poll-hook"), "secret_env": "HOOK"}]},
        },
        file="bench.toml",
        environ={"HOOK": SECRET},
    )
    services = build_services(config, open_store(config, config.store.path))
    items: list[int] = []

    async def run() -> tuple[list[float], list[float]]:
        total, polling = [], []
        try:
            for i in range(1, n + 1):
                items.insert(0, i)
                del items[20:]  # feeds keep their newest entries only
                server.route(
                    f"/a/{i}", CannedResponse(body=_article_html(i), content_type="text/html")
                )
                server.route(
                    "/feed.xml",
                    CannedResponse(body=_feed_xml(server.base_url, items), content_type="text/xml"),
                )
                before = len(arrived)
                started = time.perf_counter()
                await run_pass(services, only_due=False)
                polled = time.perf_counter()
                await deliver_alerts(services)
                if len(arrived) != before + 1:
                    raise SystemExit(f"item {i}: expected one webhook, got {len(arrived) - before}")
                total.append((arrived[-1] - started) * 1000)
                polling.append((polled - started) * 1000)
        finally:
            await close_services(services)
        return total, polling

    result = asyncio.run(run())
    services.store.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--poll-n", type=int, default=100, help="items for measurement 4")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d, LoopbackServer() as server:
        tmp = Path(d)
        print(f"1. enqueue -> webhook received, {args.n} alerts, one pass each (ms):")
        for fresh, what in ((False, "daemon (client built once)"), (True, "one-shot (new client)")):
            lat = bench_latency(server, tmp, args.n, fresh_senders=fresh)
            print(
                f"   {what:28} p50 {statistics.median(lat):6.1f}  "
                f"p95 {_percentile(lat, 0.95):6.1f}  max {max(lat):6.1f}"
            )
        elapsed, sent, requests = bench_burst(server, tmp, digest=False)
        print(
            f"2. burst of 500, immediate: {sent} sent in {requests} requests, "
            f"{elapsed:.2f} s ({sent / elapsed:.0f} alerts/s)"
        )
        elapsed, sent, requests = bench_burst(server, tmp, digest=True)
        print(f"3. burst of 500, digest: {sent} alerts in {requests} request(s), {elapsed:.3f} s")
        print(f"   ratio immediate/digest requests: {500 // max(requests, 1)}:1")
        total, polling = bench_poll_to_webhook(server, tmp, args.poll_n)
        print(f"4. poll sees a new item -> webhook received, {args.poll_n} items (ms):")
        print(
            f"   total                        p50 {statistics.median(total):6.1f}  "
            f"p95 {_percentile(total, 0.95):6.1f}  max {max(total):6.1f}"
        )
        print(
            f"   of which the poll pass       p50 {statistics.median(polling):6.1f}  "
            f"p95 {_percentile(polling, 0.95):6.1f}  max {max(polling):6.1f}"
        )


if __name__ == "__main__":
    main()
