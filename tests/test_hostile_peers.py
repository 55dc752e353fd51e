"""Nothing one stranger sends can stall the daemon (issue 11): alert receivers that trickle or
flood, slow page servers, SIGTERM while they do. Every peer is a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from peers import FloodPeer, trickling_http, trickling_smtp

from ingest.alerts import alert_settings, build_senders, close_senders
from ingest.alerts.enqueue import Alerter
from ingest.alerts.payload import Message
from ingest.alerts.synthetic import enqueue_synthetic
from ingest.config import parse_config
from ingest.daemon import Daemon, lease_for, run_pass
from ingest.models import utcnow
from ingest.pipeline import Services, check_source
from ingest.store import Store
from ingest_demo.loopback import CannedResponse, LoopbackServer

# What a hang is, for these tests: far beyond every deadline configured in them.
HANG = 40


def _message() -> Message:
    return Message(id="msg_test", type="ingest.test", timestamp=utcnow(), findings=())


def _send(alerts: dict[str, Any]) -> Any:
    settings = alert_settings(parse_config({"alerts": alerts}, file="t.toml", environ={}))

    async def go() -> Any:
        senders = build_senders(settings)
        try:
            (sender,) = senders.values()
            return await asyncio.wait_for(sender.send(_message(), now=utcnow()), HANG)
        finally:
            await close_senders(senders)

    return asyncio.run(go())


def test_a_trickling_webhook_receiver_meets_one_deadline_per_attempt() -> None:
    """A receiver that sends its headers a byte every 50 ms (never tripping a read timeout)
    fails the attempt at the attempt's deadline, with a message saying so."""
    with trickling_http() as peer:
        result = _send({"webhook": [{"url": peer.url(), "name": "hook", "timeout": 1}]})
    assert not result.ok
    assert "within 1 s" in result.error and "deadline" in result.error
    assert peer.sent > 5, "the peer did trickle"


def test_a_trickling_smtp_server_meets_one_deadline_per_session() -> None:
    """An SMTP server whose greeting never ends: the session is cut at `timeout`."""
    with trickling_smtp() as peer:
        result = _send({"email": {"host": "127.0.0.1", "port": peer.port, "security": "none",
                                  "from": "a@example.com", "to": ["b@example.com"],
                                  "timeout": 1}})  # fmt: skip
    assert not result.ok
    assert "no complete SMTP session within 1 s" in result.error
    assert peer.sent > 5


def test_a_huge_answer_is_read_a_few_kib_only() -> None:
    """A 500 with an endless body: the status and a short excerpt are kept, the rest is never
    read (traced memory stays far below what the peer sent)."""
    with FloodPeer() as peer:
        tracemalloc.start()
        try:
            result = _send({"webhook": [{"url": peer.url(), "name": "hook", "timeout": 5}]})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert not result.ok and result.status == 500
    assert result.error.startswith("HTTP 500 Internal Server Error: receiver is unhappy: xxx")
    assert len(result.error) <= 300
    assert peak < 8_000_000, f"traced peak {peak} bytes"


def _feed(entries: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{title}. Alibaba Cloud said revenue grew.</description></item>"
        for title, link in entries
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>'
    ).encode()


def _page(n: int) -> bytes:
    text = f"Alibaba Cloud story {n}: revenue grew 7% to RMB 29.6 billion in the quarter. " * 12
    return f"<html><body><article><h1>Story {n}</h1><p>{text}</p></article></body></html>".encode()


def _slow_site(loopback: LoopbackServer, prefix: str, count: int, delay: float) -> str:
    for n in range(count):
        loopback.route(f"/{prefix}/{n}", CannedResponse(body=_page(n), content_type="text/html",
                                                         delay=delay))  # fmt: skip
    entries = [(f"Story {prefix} {n}", loopback.url(f"/{prefix}/{n}")) for n in range(count)]
    loopback.route(f"/{prefix}.xml", CannedResponse(
        body=_feed(entries), content_type="application/rss+xml", headers=(("ETag", '"v1"'),),
    ))  # fmt: skip
    return loopback.url(f"/{prefix}.xml")


def _fresh(services: Services) -> Services:
    """The services with an HTTP client of this event loop (close it with ``_close``)."""
    from ingest.fetch.client import Fetcher

    return replace(services, fetcher=Fetcher(services.config.http))


def _with_budget(services: Services, seconds: float) -> Services:
    schedule = replace(services.config.schedule, check_budget=seconds)
    return replace(services, config=replace(services.config, schedule=schedule))


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_a_check_stops_at_its_budget_and_the_next_check_does_the_rest(
    make_services: Any, loopback: LoopbackServer, tmp_path: Path
) -> None:
    """12 pages answering after 1 s each, a 2.5 s budget: the check stops, says how many
    entries it left, does not save the feed's validators, and the next check stores the rest:
    12 articles in all, none lost, none twice."""
    url = _slow_site(loopback, "slow", 12, delay=1.0)
    services = make_services([{"name": "slow", "url": url}], topic={"enabled": False})
    source = services.store.list_sources()[0]

    async def twice() -> tuple[Any, Any, Any, int]:
        # One loop, as in the daemon: the per-host slots the cut check held must be free again.
        fresh = _fresh(services)
        try:
            first = await check_source(_with_budget(fresh, 2.5), source)
            after = services.store.get_source(source.id)
            stored = _count(tmp_path / "ingest.db", "SELECT COUNT(*) FROM articles")
            second = await asyncio.wait_for(check_source(_with_budget(fresh, 120), after), HANG)
        finally:
            await fresh.fetcher.aclose()
        return first, after, second, stored

    first, after, second, stored_first = asyncio.run(twice())
    assert first.outcome == "ok"
    assert "left for the next check" in (after.last_error or "")
    assert after.etag is None, "a partial check must not make the next one a 304"
    db = tmp_path / "ingest.db"
    assert 0 < stored_first < 12
    assert second.outcome == "ok"
    assert _count(db, "SELECT COUNT(*) FROM articles") == 12
    assert _count(db, "SELECT COUNT(DISTINCT canonical_url) FROM articles") == 12
    assert services.store.get_source(source.id).etag == '"v1"'


def test_pages_of_one_source_are_fetched_concurrently_within_the_host_limit(
    make_services: Any, loopback: LoopbackServer
) -> None:
    """With per_host_concurrency = 3, a source's 6 slow pages are fetched 3 at a time (not
    one after another, and never more than the host limit)."""
    url = _slow_site(loopback, "par", 6, delay=0.5)
    services = make_services(
        [{"name": "par", "url": url}], topic={"enabled": False}, http={"per_host_concurrency": 3}
    )

    async def go() -> Any:
        fresh = _fresh(services)
        try:
            return await check_source(fresh, services.store.list_sources()[0])
        finally:
            await fresh.fetcher.aclose()

    result = asyncio.run(go())
    assert result.new_articles == 6
    assert loopback.max_concurrent == 3


def test_one_slow_source_does_not_starve_a_fast_one(
    make_services: Any, loopback: LoopbackServer
) -> None:
    """While one source's pages hang, a source due every second is polled again and again
    within the same pass (it used to wait for the slow check to end).

    The slow pages answer only once the fast feed has been polled three times (or after 60 s,
    when the test has failed): no race with the machine's load decides the outcome.
    """
    polled_fast = threading.Event()
    fast_polls = 0
    feed = CannedResponse(body=_feed([]), content_type="application/rss+xml")

    def fast(request: Any) -> CannedResponse:
        nonlocal fast_polls
        fast_polls += 1
        if fast_polls >= 3:
            polled_fast.set()
        return feed

    def hanging_page(request: Any) -> CannedResponse:
        polled_fast.wait(60)
        return CannedResponse(body=_page(0), content_type="text/html")

    entries = [(f"Story crawl {n}", loopback.url(f"/crawl/{n}")) for n in range(3)]
    loopback.route("/crawl.xml", CannedResponse(body=_feed(entries),
                                                content_type="application/rss+xml"))  # fmt: skip
    for n in range(3):
        loopback.route(f"/crawl/{n}", hanging_page)
    loopback.route("/fast.xml", fast)
    services = make_services(
        [{"name": "slow", "url": loopback.url("/crawl.xml")},
         {"name": "fast", "url": loopback.url("/fast.xml"), "interval": "1s"}],
        topic={"enabled": False},
        # The pages must hang until the fast feed has had its polls, not time out first (the
        # tests' 2 s read timeout ended the slow check, and the pass, on a loaded machine).
        http={"per_host_concurrency": 4, "read_timeout": 60, "total_timeout": 60},
        schedule={"tick": "1s", "min_interval": "1s", "adaptive": False},
    )  # fmt: skip

    async def go() -> None:
        fresh = _fresh(services)
        try:
            await asyncio.wait_for(run_pass(fresh, only_due=True), HANG)
        finally:
            await fresh.fetcher.aclose()

    asyncio.run(go())
    assert len(loopback.requests_to("/crawl.xml")) == 1
    assert polled_fast.is_set(), "the fast source was not polled 3 times while the slow one hung"


def test_the_lease_outlasts_the_budget_and_a_lost_lease_skips_the_check(tmp_path: Path) -> None:
    """A source lease is longer than a check's budget; a source whose lease expired in our
    queue and was claimed by another process is not checked by us."""
    config = parse_config({"schedule": {"check_budget": "20m"}}, file="t.toml", environ={})
    assert lease_for(config).total_seconds() > config.schedule.check_budget
    store = Store(tmp_path / "l.db")
    from datetime import timedelta

    from ingest.store import SourceSpec

    store.add_source(SourceSpec(name="s", url="http://127.0.0.1:9/feed"))
    now = utcnow()
    (mine,) = store.claim_due_sources(now, limit=5, owner="a:1", lease=timedelta(seconds=1))
    assert store.renew_lease(mine.id, owner="a:1", until=now + timedelta(minutes=1))
    later = now + timedelta(minutes=2)
    assert store.claim_due_sources(later, limit=5, owner="b:2", lease=timedelta(minutes=5))
    assert not store.renew_lease(mine.id, owner="a:1", until=later + timedelta(minutes=1))
    store.close()


def test_delivery_to_a_trickling_receiver_never_holds_a_tick(
    make_services: Any, loopback: LoopbackServer
) -> None:
    """An alert is due to a receiver that trickles for a minute: ticks still return and poll;
    at stop the delivery is cut after stop_grace, and its lease released."""
    loopback.route("/f.xml", CannedResponse(body=_feed([]), content_type="application/rss+xml"))
    with trickling_http() as peer:
        services = make_services(
            [{"name": "f", "url": loopback.url("/f.xml"), "interval": "1s"}],
            topic={"enabled": False}, schedule={"min_interval": "1s", "stop_grace": "1s"},
            alerts={"webhook": [{"url": peer.url(), "name": "hook", "timeout": 60}]},
        )  # fmt: skip
        enqueue_synthetic(Alerter(services.store, services.alerts), 1, now=utcnow())

        async def go() -> tuple[bool, bool]:
            fresh = replace(_fresh(services), senders=build_senders(services.alerts))
            daemon = Daemon(fresh)
            await asyncio.wait_for(daemon.tick(), HANG)
            while not peer.connections:
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.1)
            await asyncio.wait_for(daemon.tick(), HANG)  # the receiver still trickles
            delivering = daemon._delivery is not None and not daemon._delivery.done()
            daemon.stop()
            await asyncio.wait_for(daemon._finish_in_hand(), HANG)
            await fresh.fetcher.aclose()
            await close_senders(fresh.senders)
            return delivering, bool(daemon._delivery and daemon._delivery.cancelled())

        delivering, cut = asyncio.run(go())
    assert len(loopback.requests_to("/f.xml")) == 2
    assert delivering and cut
    assert services.store.alert_lease_owners() == []


def _write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "ingest.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.slow
def test_sigterm_stops_the_daemon_within_its_grace_whatever_the_peers_do(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """`ingest run` with an article page trickling for two minutes and an alert receiver
    trickling for one: SIGTERM exits 0 after stop_grace (2 s), not when the peers let go;
    the entry it did not finish is not stored, and no lease is left behind."""
    loopback.route("/page", CannedResponse(body=_page(1), content_type="text/html", trickle=0.1))
    loopback.route("/feed", CannedResponse(
        body=_feed([("Story 1", loopback.url("/page"))]), content_type="application/rss+xml",
    ))  # fmt: skip
    db = tmp_path / "d.db"
    with trickling_http() as peer:
        config = _write_config(
            tmp_path,
            f"""
[store]
path = "{db}"
[http]
allow_networks = ["127.0.0.1/32"]
per_host_min_delay = 0
total_timeout = 120
[schedule]
tick = "1s"
stop_grace = "2s"
[topic]
enabled = false
[[alerts.webhook]]
name = "hook"
url = "{peer.url()}"
timeout = 60
[[sources]]
name = "slow"
url = "{loopback.url("/feed")}"
""",
        )
        from ingest.config import load_config
        from ingest.daemon import open_store

        loaded = load_config(config)
        store = open_store(loaded, db)
        enqueue_synthetic(Alerter(store, alert_settings(loaded)), 1, now=utcnow())
        store.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
        log = tmp_path / "run.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "ingest", "run", "--config", str(config)],
                env=env, stdout=subprocess.DEVNULL, stderr=sink,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + HANG
            while not (loopback.requests_to("/page") and peer.connections):
                assert proc.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.05)
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=HANG) == 0, log.read_text(errors="replace")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log.read_text(errors="replace")
    assert "cutting work still running after 2s" in text
    assert _count(db, "SELECT COUNT(*) FROM articles") == 0
    assert _count(db, "SELECT COUNT(*) FROM sources WHERE lease_owner IS NOT NULL") == 0
    assert _count(db, "SELECT COUNT(*) FROM alert_deliveries WHERE lease_owner IS NOT NULL") == 0
